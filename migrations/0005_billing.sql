-- billing (issue 16): the credit ledger, purchases of credit bundles, monthly statements. Mirrors src/db/schema.ts.
CREATE TABLE `credit_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`fax_id` text,
	`purchase_id` text,
	`pages` integer,
	`reference` text NOT NULL,
	`description` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credit_transactions_seq` ON `credit_transactions` (`account_id`,`mode`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_transactions_reference` ON `credit_transactions` (`account_id`,`mode`,`reference`);--> statement-breakpoint
CREATE INDEX `credit_transactions_fax` ON `credit_transactions` (`account_id`,`fax_id`);--> statement-breakpoint
CREATE INDEX `credit_transactions_created` ON `credit_transactions` (`account_id`,`mode`,`created_at`);--> statement-breakpoint
CREATE TABLE `credit_purchases` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`bundle` text NOT NULL,
	`credits` integer NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`provider_ref` text,
	`checkout_url` text,
	`created_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `credit_purchases_account` ON `credit_purchases` (`account_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `credit_purchases_provider_ref` ON `credit_purchases` (`provider`,`provider_ref`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`period` text NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`total` integer NOT NULL,
	`amount_paid` integer NOT NULL,
	`lines` text NOT NULL,
	`created_at` text NOT NULL,
	`due_at` text NOT NULL,
	`paid_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invoices_period` ON `invoices` (`account_id`,`mode`,`period`);--> statement-breakpoint
CREATE INDEX `invoices_status_due` ON `invoices` (`status`,`due_at`);
