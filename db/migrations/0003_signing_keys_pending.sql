ALTER TABLE `signing_keys` ADD `activates_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `signing_keys_one_pending` ON `signing_keys` (`environment`) WHERE status = 'pending';