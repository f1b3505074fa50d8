CREATE TABLE `access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `access_tokens_expiry` ON `access_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`rate_limit_per_minute` integer,
	`created_at` text NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_account` ON `api_keys` (`account_id`);--> statement-breakpoint
CREATE TABLE `fax_events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`fax_id` text NOT NULL,
	`type` text NOT NULL,
	`created_at` text NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `fax_events_fax` ON `fax_events` (`account_id`,`fax_id`,`id`);--> statement-breakpoint
CREATE TABLE `faxes` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`direction` text NOT NULL,
	`status` text NOT NULL,
	`to` text NOT NULL,
	`from` text NOT NULL,
	`page_count` integer DEFAULT 0 NOT NULL,
	`pages_sent` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`next_attempt_at` text,
	`send_at` text,
	`error_code` text,
	`version` integer DEFAULT 0 NOT NULL,
	`document_key` text,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `faxes_account_id` ON `faxes` (`account_id`,`id`);--> statement-breakpoint
CREATE INDEX `faxes_account_status` ON `faxes` (`account_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `faxes_status_updated` ON `faxes` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `numbers` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`number` text NOT NULL,
	`label` text,
	`created_at` text NOT NULL,
	`released_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `numbers_active` ON `numbers` (`number`) WHERE released_at IS NULL;--> statement-breakpoint
CREATE INDEX `numbers_account` ON `numbers` (`account_id`);