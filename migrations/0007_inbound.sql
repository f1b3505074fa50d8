-- Inbound intelligence (issue 14): the text of every received page, its full-text index, and a number's own
-- extraction schema. Written by hand (RULES: no drizzle-kit generate); mirrored in src/db/schema.ts.
CREATE TABLE `fax_page_texts` (
	`account_id` text NOT NULL,
	`fax_id` text NOT NULL,
	`page` integer NOT NULL,
	`status` text NOT NULL,
	`text` text NOT NULL,
	`confidence` real,
	`flagged` integer NOT NULL DEFAULT 0,
	`engine` text NOT NULL,
	`error` text,
	`created_at` text NOT NULL,
	PRIMARY KEY (`fax_id`, `page`)
);
--> statement-breakpoint
CREATE INDEX `fax_page_texts_account` ON `fax_page_texts` (`account_id`, `fax_id`, `page`);
--> statement-breakpoint
-- One row per received fax: its OCR text, sender and remote ident, searchable with FTS5 (porter stemming,
-- diacritics folded). account_id and fax_id are UNINDEXED: every query filters on account_id itself.
CREATE VIRTUAL TABLE `fax_text_index` USING fts5(
	`account_id` UNINDEXED,
	`fax_id` UNINDEXED,
	`sender`,
	`remote_ident`,
	`body`,
	tokenize = 'porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
ALTER TABLE `numbers` ADD `extraction_schema` text;
