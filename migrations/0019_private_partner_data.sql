-- Data-protection gaps (point 1): external users' metadata is sealed in D1 like fax metadata (src/storage/fields.ts),
-- so GET /v1/external-users?metadata[key]=value looks up this blind index: one row per metadata pair of a user,
-- `hash` = HMAC-SHA-256 of (scope, account, key, value) under a key derived from DOCUMENT_ENCRYPTION_KEY (`key_id`
-- names it). Nothing is back-filled (SQL cannot compute the HMAC): rows stored in clear are read and filtered as
-- they are until a PUT rewrites them or `npm run documents:rewrap` seals them.
-- Written by hand; mirrored in src/db/schema.ts.
CREATE TABLE `external_user_metadata_index` (
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`key_id` text NOT NULL,
	`hash` text NOT NULL,
	PRIMARY KEY(`account_id`, `hash`, `user_id`)
);
--> statement-breakpoint
CREATE INDEX `external_user_metadata_index_user` ON `external_user_metadata_index` (`user_id`);
--> statement-breakpoint
-- Data-protection gaps (point 2): the replies an Idempotency-Key replays are kept sealed in one Durable Object per
-- (account, key), which cannot be listed; this names each one still alive, with the key its reply is sealed
-- under, so `npm run documents:rewrap` can re-seal them and an old key can leave the secret at once.
CREATE TABLE `idempotency_replies` (
	`account_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`key_id` text NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`account_id`, `idempotency_key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_replies_expires` ON `idempotency_replies` (`expires_at`);
