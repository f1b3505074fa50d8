-- Events (issue 13 points 3 and 4): the account-level outbox for events not tied to a fax
-- (number.provisioned, number.released, balance.low, usage.tier_limit_reached), and each fax
-- event's place in its fax's order.
CREATE TABLE `account_events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text,
	`type` text NOT NULL,
	`created_at` text NOT NULL,
	`data` text NOT NULL,
	`published_at` text
);
--> statement-breakpoint
CREATE INDEX `account_events_account` ON `account_events` (`account_id`,`id`);--> statement-breakpoint
CREATE INDEX `account_events_unpublished` ON `account_events` (`created_at`) WHERE published_at IS NULL;--> statement-breakpoint
ALTER TABLE `fax_events` ADD `sequence` integer;--> statement-breakpoint
CREATE INDEX `fax_events_sequence` ON `fax_events` (`fax_id`,`sequence`);
