-- Audit and data protection (issue 17): API keys as a resource (name, scope), the hash-chained audit
-- log (one chain per account, appended by its AuditLogObject), its outbox and the daily checkpoints.
ALTER TABLE `api_keys` ADD `name` text;
--> statement-breakpoint
ALTER TABLE `api_keys` ADD `scope` text DEFAULT 'full' NOT NULL;
--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`seq` integer NOT NULL,
	`occurred_at` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text,
	`line` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_events_chain` ON `audit_events` (`account_id`,`seq`);
--> statement-breakpoint
CREATE INDEX `audit_events_action` ON `audit_events` (`account_id`,`action`,`seq`);
--> statement-breakpoint
CREATE INDEX `audit_events_actor` ON `audit_events` (`account_id`,`actor_id`,`seq`);
--> statement-breakpoint
CREATE INDEX `audit_events_target` ON `audit_events` (`account_id`,`target_id`,`seq`);
--> statement-breakpoint
CREATE INDEX `audit_events_time` ON `audit_events` (`account_id`,`occurred_at`);
--> statement-breakpoint
CREATE TABLE `audit_outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`intent` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_outbox_created` ON `audit_outbox` (`created_at`);
--> statement-breakpoint
CREATE TABLE `audit_checkpoints` (
	`account_id` text PRIMARY KEY NOT NULL,
	`day` text NOT NULL,
	`seq` integer NOT NULL,
	`hash` text NOT NULL,
	`object_key` text NOT NULL,
	`created_at` text NOT NULL
);
