CREATE TABLE "webhook_deliveries" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"webhook_id" text collate "C" NOT NULL,
	"account_id" text collate "C" NOT NULL,
	"event_type" text collate "C" NOT NULL,
	"payload" text collate "C" NOT NULL,
	"created_at" bigint NOT NULL,
	"status" text collate "C" NOT NULL,
	"attempts" bigint NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_attempt_at" bigint,
	"last_status" bigint,
	"last_error" text collate "C",
	"delivered_at" bigint
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"account_id" text collate "C" NOT NULL,
	"url" text collate "C" NOT NULL,
	"events" text collate "C",
	"secret" text collate "C" NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ALTER COLUMN "secret_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ALTER COLUMN "secret_hint" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "admin_tokens" ADD COLUMN "last_used_at" bigint;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "auth_method" text collate "C" DEFAULT 'client_secret' NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "jwks" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "require_dpop" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "rate_limit" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "quota" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "token_rate_limit" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_application_id" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_secret_hash" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_secret_hint" text collate "C";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_expires_at" bigint;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "previous_last_used_at" bigint;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook" ON "webhook_deliveries" USING btree ("webhook_id","id");--> statement-breakpoint
CREATE INDEX "webhooks_account" ON "webhooks" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_previous_application_id" ON "api_keys" USING btree ("previous_application_id") WHERE previous_application_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_previous_secret_hash" ON "api_keys" USING btree ("previous_secret_hash") WHERE previous_secret_hash is not null;--> statement-breakpoint
-- Names become unique per account and environment: before the index, a later key that repeats an earlier
-- key's name is renamed `name (key_…)` (hand-written; drizzle-kit cannot express a data fix).
UPDATE "api_keys" SET "name" = "name" || ' (' || "id" || ')' WHERE EXISTS (
	SELECT 1 FROM "api_keys" AS "earlier" WHERE "earlier"."account_id" = "api_keys"."account_id"
		AND "earlier"."environment" = "api_keys"."environment" AND "earlier"."name" = "api_keys"."name" AND "earlier"."id" < "api_keys"."id"
);--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_name" ON "api_keys" USING btree ("account_id","environment","name");