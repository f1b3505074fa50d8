-- Partners (issue 15 point 7): an account's defaults. One row per account, created on the first PATCH
-- /v1/settings; an account without a row has the defaults below (src/db/settings-store.ts). The webhook_url
-- shortcut lives in the default endpoint it points at (webhook_endpoints.url), so it has no column of its own.
CREATE TABLE `account_settings` (
	`account_id` text PRIMARY KEY NOT NULL,
	`default_webhook_endpoint_id` text,
	`retention_days` integer,
	`low_balance_threshold` integer DEFAULT 10 NOT NULL,
	`extraction_schema` text,
	`extraction_schema_version` integer DEFAULT 0 NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
