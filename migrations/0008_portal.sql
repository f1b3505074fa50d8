-- Portal (issue 19): the members of an account's team, the links emailed to them, and their sessions.
-- Written by hand (docs/architecture.md "Where a new feature goes"); mirrored in src/db/schema.ts.
CREATE TABLE `portal_members` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`created_at` text NOT NULL,
	`removed_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `portal_members_active` ON `portal_members` (`account_id`,`email`) WHERE removed_at IS NULL;--> statement-breakpoint
CREATE INDEX `portal_members_email` ON `portal_members` (`email`);--> statement-breakpoint
CREATE TABLE `portal_links` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`purpose` text NOT NULL,
	`email` text NOT NULL,
	`account_id` text,
	`member_id` text,
	`role` text,
	`company_name` text,
	`invited_by` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `portal_links_token` ON `portal_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `portal_links_account` ON `portal_links` (`account_id`,`purpose`,`id`);--> statement-breakpoint
CREATE TABLE `portal_sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`member_id` text NOT NULL,
	`account_id` text NOT NULL,
	`created_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE INDEX `portal_sessions_member` ON `portal_sessions` (`member_id`);
