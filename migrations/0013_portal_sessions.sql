-- Portal (issue 19, session 2): each session has a public id (so one can be revoked from the sessions page
-- without showing its token hash), the browser's user agent and a prefix of its address (IPv4 /24, IPv6 /48:
-- enough to recognise a place, not a person), and its test/live context.
-- Written by hand; mirrored in src/db/schema.ts.
ALTER TABLE `portal_sessions` ADD `id` text;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `user_agent` text;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `ip_prefix` text;--> statement-breakpoint
ALTER TABLE `portal_sessions` ADD `mode` text DEFAULT 'test' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `portal_sessions_id` ON `portal_sessions` (`id`);
