-- Webhook endpoints per mode (Stripe's model; README "Test and live data"): an endpoint belongs to the test or
-- the live mode and receives only that mode's events, so a test key can no longer register a URL that receives
-- live faxes. Each mode has its own default endpoint (PATCH /v1/settings webhook_url).
ALTER TABLE `webhook_endpoints` ADD `mode` text DEFAULT 'live' NOT NULL;
--> statement-breakpoint
-- The row whose id a copied secret's ciphertext is bound to (src/webhooks/secrets.ts binds it to its row's id);
-- null: this row's own id. Only the copies below have one; rotating the secret clears it.
ALTER TABLE `webhook_endpoints` ADD `secret_owner` text;
--> statement-breakpoint
ALTER TABLE `account_settings` ADD `default_test_webhook_endpoint_id` text;
--> statement-breakpoint
-- Back-fill: until now every endpoint received the events of both modes, and none stops receiving either.
-- The existing endpoint keeps its id in the mode the account's keys use (test when it has test keys and no live
-- key, as under `npm start`, whose first key is a test key; live otherwise), so the ids a key already uses keep
-- working; a copy in the other mode (same URL, event types, state and secret, a new id) receives the other mode's
-- events. A copy nobody wants is deleted like any endpoint. Deleted endpoints take a mode and no copy.
UPDATE `webhook_endpoints` SET `mode` = 'test'
WHERE EXISTS (SELECT 1 FROM `api_keys` k WHERE k.`account_id` = `webhook_endpoints`.`account_id` AND k.`mode` = 'test')
  AND NOT EXISTS (SELECT 1 FROM `api_keys` k WHERE k.`account_id` = `webhook_endpoints`.`account_id` AND k.`mode` = 'live');
--> statement-breakpoint
CREATE TABLE `webhook_endpoint_copies` (`original_id` text PRIMARY KEY NOT NULL, `copy_id` text NOT NULL);
--> statement-breakpoint
INSERT INTO `webhook_endpoint_copies` (`original_id`, `copy_id`)
SELECT e.`id`, 'whe_' || substr(e.`id`, 5, 10) || lower(hex(randomblob(8))) FROM `webhook_endpoints` e
WHERE e.`deleted_at` IS NULL AND e.`secret_owner` IS NULL;
--> statement-breakpoint
INSERT INTO `webhook_endpoints` (`id`, `account_id`, `mode`, `url`, `description`, `event_types`, `enabled`, `disabled_reason`, `secret`, `previous_secret`, `previous_secret_expires_at`, `secret_owner`, `created_at`, `updated_at`, `deleted_at`)
SELECT c.`copy_id`, e.`account_id`, CASE e.`mode` WHEN 'test' THEN 'live' ELSE 'test' END, e.`url`, e.`description`, e.`event_types`, e.`enabled`, e.`disabled_reason`,
  e.`secret`, e.`previous_secret`, e.`previous_secret_expires_at`, e.`id`, e.`created_at`, e.`updated_at`, NULL
FROM `webhook_endpoints` e JOIN `webhook_endpoint_copies` c ON c.`original_id` = e.`id`;
--> statement-breakpoint
-- The default endpoint and its copy become the two modes' defaults.
UPDATE `account_settings` SET
  `default_test_webhook_endpoint_id` = CASE WHEN (SELECT e.`mode` FROM `webhook_endpoints` e WHERE e.`id` = `account_settings`.`default_webhook_endpoint_id`) = 'test'
    THEN `default_webhook_endpoint_id` ELSE (SELECT c.`copy_id` FROM `webhook_endpoint_copies` c WHERE c.`original_id` = `account_settings`.`default_webhook_endpoint_id`) END,
  `default_webhook_endpoint_id` = CASE WHEN (SELECT e.`mode` FROM `webhook_endpoints` e WHERE e.`id` = `account_settings`.`default_webhook_endpoint_id`) = 'test'
    THEN (SELECT c.`copy_id` FROM `webhook_endpoint_copies` c WHERE c.`original_id` = `account_settings`.`default_webhook_endpoint_id`) ELSE `default_webhook_endpoint_id` END
WHERE `default_webhook_endpoint_id` IS NOT NULL;
--> statement-breakpoint
DROP TABLE `webhook_endpoint_copies`;
