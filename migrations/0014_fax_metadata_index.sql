-- Encryption (issue 17 point 4): fax metadata and cover-page text are sealed in D1 (src/storage/fields.ts), so the
-- `metadata[key]=value` list filter looks up this blind index instead: one row per metadata pair of a fax,
-- `hash` = HMAC-SHA-256 of (account, key, value) under a key derived from DOCUMENT_ENCRYPTION_KEY (`key_id` names it).
-- Written by hand; mirrored in src/db/schema.ts.
CREATE TABLE `fax_metadata_index` (
	`account_id` text NOT NULL,
	`fax_id` text NOT NULL,
	`key_id` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`account_id`, `hash`, `fax_id`)
);
--> statement-breakpoint
CREATE INDEX `fax_metadata_index_fax` ON `fax_metadata_index` (`fax_id`);
