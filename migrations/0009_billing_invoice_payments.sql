-- billing (issue 16): payments of monthly statements, one row per way a statement was (or is being) paid: the
-- operator's record (manual), a Stripe Checkout Session, or test mode at once. Mirrors src/db/schema.ts.
CREATE TABLE `invoice_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`mode` text NOT NULL,
	`invoice_id` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`provider_ref` text,
	`checkout_url` text,
	`note` text,
	`created_at` text NOT NULL,
	`paid_at` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invoice_id`) REFERENCES `invoices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invoice_payments_invoice` ON `invoice_payments` (`account_id`,`invoice_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `invoice_payments_provider_ref` ON `invoice_payments` (`provider`,`provider_ref`);
