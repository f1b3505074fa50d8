-- Key mode (test and live data never mix, src/db/tenant.ts): external users belong to a mode, like the numbers
-- and faxes they hold, so a test key neither sees nor changes a live user (Stripe's customers work so).
-- The partner's id is unique per account and mode among active users.
ALTER TABLE `external_users` ADD `mode` text DEFAULT 'test' NOT NULL;
--> statement-breakpoint
DROP INDEX `external_users_active`;
--> statement-breakpoint
CREATE UNIQUE INDEX `external_users_active` ON `external_users` (`account_id`,`mode`,`external_user_id`) WHERE deleted_at IS NULL;
--> statement-breakpoint
-- Existing users take the mode of what they hold. One holding test and live numbers or faxes is split: a live
-- copy (same fields, a new id from the same creation time) takes over its live numbers and faxes.
CREATE TABLE `external_user_splits` (`test_id` text PRIMARY KEY NOT NULL, `live_id` text NOT NULL);
--> statement-breakpoint
INSERT INTO `external_user_splits` (`test_id`, `live_id`)
SELECT u.`id`, 'usr_' || substr(u.`id`, 5, 10) || lower(hex(randomblob(8))) FROM `external_users` u
WHERE (EXISTS (SELECT 1 FROM `numbers` n WHERE n.`user_id` = u.`id` AND n.`mode` = 'live') OR EXISTS (SELECT 1 FROM `faxes` f WHERE f.`account_id` = u.`account_id` AND f.`user_id` = u.`id` AND f.`mode` = 'live'))
  AND (EXISTS (SELECT 1 FROM `numbers` n WHERE n.`user_id` = u.`id` AND n.`mode` = 'test') OR EXISTS (SELECT 1 FROM `faxes` f WHERE f.`account_id` = u.`account_id` AND f.`user_id` = u.`id` AND f.`mode` = 'test'));
--> statement-breakpoint
INSERT INTO `external_users` (`id`, `account_id`, `external_user_id`, `name`, `email`, `metadata`, `created_at`, `updated_at`, `deleted_at`, `mode`)
SELECT s.`live_id`, u.`account_id`, u.`external_user_id`, u.`name`, u.`email`, u.`metadata`, u.`created_at`, u.`updated_at`, u.`deleted_at`, 'live'
FROM `external_users` u JOIN `external_user_splits` s ON s.`test_id` = u.`id`;
--> statement-breakpoint
UPDATE `numbers` SET `user_id` = (SELECT s.`live_id` FROM `external_user_splits` s WHERE s.`test_id` = `numbers`.`user_id`)
WHERE `mode` = 'live' AND `user_id` IN (SELECT `test_id` FROM `external_user_splits`);
--> statement-breakpoint
UPDATE `faxes` SET `user_id` = (SELECT s.`live_id` FROM `external_user_splits` s WHERE s.`test_id` = `faxes`.`user_id`)
WHERE `mode` = 'live' AND `user_id` IN (SELECT `test_id` FROM `external_user_splits`);
--> statement-breakpoint
DROP TABLE `external_user_splits`;
--> statement-breakpoint
-- Users holding only live numbers or faxes are live; so is one holding nothing in an account that has a live key
-- (a production partner's user, most likely, not a test's).
UPDATE `external_users` SET `mode` = 'live'
WHERE `mode` = 'test'
  AND NOT EXISTS (SELECT 1 FROM `numbers` n WHERE n.`user_id` = `external_users`.`id` AND n.`mode` = 'test')
  AND NOT EXISTS (SELECT 1 FROM `faxes` f WHERE f.`account_id` = `external_users`.`account_id` AND f.`user_id` = `external_users`.`id` AND f.`mode` = 'test')
  AND (EXISTS (SELECT 1 FROM `numbers` n WHERE n.`user_id` = `external_users`.`id` AND n.`mode` = 'live')
    OR EXISTS (SELECT 1 FROM `faxes` f WHERE f.`account_id` = `external_users`.`account_id` AND f.`user_id` = `external_users`.`id` AND f.`mode` = 'live')
    OR (NOT EXISTS (SELECT 1 FROM `numbers` n WHERE n.`user_id` = `external_users`.`id`)
      AND EXISTS (SELECT 1 FROM `api_keys` k WHERE k.`account_id` = `external_users`.`account_id` AND k.`mode` = 'live')));
