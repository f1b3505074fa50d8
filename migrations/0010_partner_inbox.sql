-- Partners (issue 15 points 3 and 4): a user's numbers and faxes name the user record (external_users.id,
-- `usr_…`) as well as the partner's external_user_id, which a partner may reuse after deleting a user: the
-- new user starts with an empty inbox and never reaches the old one's faxes. `read_at` is the inbox's read
-- state (set when the user fetches the fax or its files; cleared by marking it unread).
ALTER TABLE `numbers` ADD `user_id` text;
--> statement-breakpoint
ALTER TABLE `faxes` ADD `user_id` text;
--> statement-breakpoint
ALTER TABLE `faxes` ADD `read_at` text;
--> statement-breakpoint
CREATE INDEX `faxes_account_user` ON `faxes` (`account_id`,`user_id`,`id`);
--> statement-breakpoint
-- Existing rows: the user whose lifetime covers the number's provisioning, then the number's user for each fax.
UPDATE `numbers` SET `user_id` = (
	SELECT u.`id` FROM `external_users` u
	WHERE u.`account_id` = `numbers`.`account_id` AND u.`external_user_id` = `numbers`.`external_user_id`
	  AND u.`created_at` <= `numbers`.`created_at` AND (u.`deleted_at` IS NULL OR u.`deleted_at` >= `numbers`.`created_at`)
	ORDER BY u.`created_at` DESC LIMIT 1
) WHERE `external_user_id` IS NOT NULL;
--> statement-breakpoint
UPDATE `faxes` SET `user_id` = (
	SELECT n.`user_id` FROM `numbers` n
	WHERE n.`account_id` = `faxes`.`account_id` AND n.`external_user_id` = `faxes`.`external_user_id`
	  AND n.`number` = CASE `faxes`.`direction` WHEN 'inbound' THEN `faxes`.`to` ELSE `faxes`.`from` END
	  AND n.`created_at` <= `faxes`.`created_at`
	ORDER BY n.`created_at` DESC LIMIT 1
) WHERE `external_user_id` IS NOT NULL;
--> statement-breakpoint
-- Until now an inbox fax counted as read once its image was downloaded.
UPDATE `faxes` SET `read_at` = `updated_at`
WHERE `direction` = 'inbound' AND `external_user_id` IS NOT NULL AND json_extract(`body`, '$.image_downloaded') = 1;
