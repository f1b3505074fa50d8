-- Deliveries carry their event's mode (src/events/event-mode.ts; null for an event of both modes). Deliveries to a
-- fax's own webhook_url have no endpoint whose mode scopes them, so GET /v1/webhooks/callback-deliveries and its
-- redeliver filter by this: a test key never sees nor resends a live fax's callbacks (README "Test and live data").
ALTER TABLE `webhook_deliveries` ADD `mode` text;
--> statement-breakpoint
-- Back-fill: an endpoint's delivery takes its endpoint's mode (migration 0017); a callback delivery its fax's,
-- found through the event it carries (fax_events.id is the event id).
UPDATE `webhook_deliveries` SET `mode` = (SELECT `e`.`mode` FROM `webhook_endpoints` `e` WHERE `e`.`id` = `webhook_deliveries`.`endpoint_id`)
WHERE `endpoint_id` IS NOT NULL;
--> statement-breakpoint
UPDATE `webhook_deliveries` SET `mode` = (
  SELECT `f`.`mode` FROM `fax_events` `ev` JOIN `faxes` `f` ON `f`.`id` = `ev`.`fax_id` AND `f`.`account_id` = `ev`.`account_id`
  WHERE `ev`.`id` = `webhook_deliveries`.`event_id` AND `ev`.`account_id` = `webhook_deliveries`.`account_id`)
WHERE `endpoint_id` IS NULL;
--> statement-breakpoint
-- A callback delivery whose fax event is gone stays visible to live keys only (the safe side).
UPDATE `webhook_deliveries` SET `mode` = 'live' WHERE `endpoint_id` IS NULL AND `mode` IS NULL;
