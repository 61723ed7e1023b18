CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook_id` text NOT NULL,
	`account_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_attempt_at` integer,
	`last_status` integer,
	`last_error` text,
	`delivered_at` integer,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook` ON `webhook_deliveries` (`webhook_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`url` text NOT NULL,
	`events` text,
	`secret` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhooks_account` ON `webhooks` (`account_id`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`environment` text NOT NULL,
	`name` text NOT NULL,
	`application_id` text NOT NULL,
	`secret_hash` text,
	`secret_hint` text,
	`scopes` text NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_used_at` integer,
	`auth_method` text DEFAULT 'client_secret' NOT NULL,
	`jwks` text,
	`require_dpop` integer DEFAULT 0 NOT NULL,
	`rate_limit` text,
	`quota` text,
	`token_rate_limit` text,
	`previous_application_id` text,
	`previous_secret_hash` text,
	`previous_secret_hint` text,
	`previous_expires_at` integer,
	`previous_last_used_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- Only the columns the old table has (drizzle-kit listed the new ones too); the new ones take their defaults.
INSERT INTO `__new_api_keys`("id", "account_id", "environment", "name", "application_id", "secret_hash", "secret_hint", "scopes", "status", "expires_at", "created_at", "updated_at", "last_used_at") SELECT "id", "account_id", "environment", "name", "application_id", "secret_hash", "secret_hint", "scopes", "status", "expires_at", "created_at", "updated_at", "last_used_at" FROM `api_keys`;--> statement-breakpoint
DROP TABLE `api_keys`;--> statement-breakpoint
ALTER TABLE `__new_api_keys` RENAME TO `api_keys`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_application_id` ON `api_keys` (`application_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_secret_hash` ON `api_keys` (`secret_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_previous_application_id` ON `api_keys` (`previous_application_id`) WHERE previous_application_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_previous_secret_hash` ON `api_keys` (`previous_secret_hash`) WHERE previous_secret_hash is not null;--> statement-breakpoint
-- Names become unique per account and environment: before the index, a later key that repeats an earlier
-- key's name is renamed `name (key_…)` (hand-written; drizzle-kit cannot express a data fix).
UPDATE `api_keys` SET `name` = `name` || ' (' || `id` || ')' WHERE EXISTS (
	SELECT 1 FROM `api_keys` AS `earlier` WHERE `earlier`.`account_id` = `api_keys`.`account_id`
		AND `earlier`.`environment` = `api_keys`.`environment` AND `earlier`.`name` = `api_keys`.`name` AND `earlier`.`id` < `api_keys`.`id`
);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_name` ON `api_keys` (`account_id`,`environment`,`name`);--> statement-breakpoint
CREATE INDEX `api_keys_account_environment` ON `api_keys` (`account_id`,`environment`,`id`);--> statement-breakpoint
ALTER TABLE `admin_tokens` ADD `last_used_at` integer;