-- Partners (issue 15): external users, numbers per user with tiers, release grace, monthly inbound usage.
CREATE TABLE `external_users` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`external_user_id` text NOT NULL,
	`name` text,
	`email` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `external_users_active` ON `external_users` (`account_id`,`external_user_id`) WHERE deleted_at IS NULL;--> statement-breakpoint
CREATE INDEX `external_users_account` ON `external_users` (`account_id`,`id`);--> statement-breakpoint
ALTER TABLE `numbers` ADD `external_user_id` text;--> statement-breakpoint
ALTER TABLE `numbers` ADD `tier` text;--> statement-breakpoint
ALTER TABLE `numbers` ADD `routes_until` text;--> statement-breakpoint
CREATE INDEX `numbers_external_user` ON `numbers` (`account_id`,`external_user_id`) WHERE released_at IS NULL;--> statement-breakpoint
CREATE INDEX `numbers_released` ON `numbers` (`number`,`released_at`);--> statement-breakpoint
ALTER TABLE `faxes` ADD `external_user_id` text;--> statement-breakpoint
CREATE INDEX `faxes_account_external_user` ON `faxes` (`account_id`,`external_user_id`,`id`);--> statement-breakpoint
CREATE TABLE `number_inbound_pages` (
	`fax_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`number_id` text NOT NULL,
	`month` text NOT NULL,
	`pages` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `number_inbound_pages_month` ON `number_inbound_pages` (`account_id`,`number_id`,`month`);--> statement-breakpoint
CREATE TABLE `number_tier_alerts` (
	`account_id` text NOT NULL,
	`number_id` text NOT NULL,
	`month` text NOT NULL,
	`tier` text NOT NULL,
	`included_pages` integer NOT NULL,
	`inbound_pages` integer NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`number_id`, `month`, `tier`)
);
