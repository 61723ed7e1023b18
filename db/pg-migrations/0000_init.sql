CREATE TABLE "accounts" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"name" text collate "C" NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "admin_tokens" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"account_id" text collate "C" NOT NULL,
	"name" text collate "C" NOT NULL,
	"role" text collate "C" NOT NULL,
	"token_hash" text collate "C" NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"account_id" text collate "C" NOT NULL,
	"environment" text collate "C" NOT NULL,
	"name" text collate "C" NOT NULL,
	"application_id" text collate "C" NOT NULL,
	"secret_hash" text collate "C" NOT NULL,
	"secret_hint" text collate "C" NOT NULL,
	"scopes" text collate "C" NOT NULL,
	"status" text collate "C" NOT NULL,
	"expires_at" bigint,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"last_used_at" bigint
);
--> statement-breakpoint
CREATE TABLE "operations" (
	"id" text collate "C" PRIMARY KEY NOT NULL,
	"account_id" text collate "C",
	"environment" text collate "C",
	"key_id" text collate "C",
	"action" text collate "C" NOT NULL,
	"actor" text collate "C" NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"kid" text collate "C" PRIMARY KEY NOT NULL,
	"environment" text collate "C" NOT NULL,
	"alg" text collate "C" NOT NULL,
	"public_jwk" text collate "C" NOT NULL,
	"private_key" text collate "C" NOT NULL,
	"status" text collate "C" NOT NULL,
	"created_at" bigint NOT NULL,
	"retired_at" bigint,
	"publish_until" bigint
);
--> statement-breakpoint
ALTER TABLE "admin_tokens" ADD CONSTRAINT "admin_tokens_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "admin_tokens_token_hash" ON "admin_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_application_id" ON "api_keys" USING btree ("application_id");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash" ON "api_keys" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "api_keys_account_environment" ON "api_keys" USING btree ("account_id","environment","id");--> statement-breakpoint
CREATE INDEX "operations_account" ON "operations" USING btree ("account_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_keys_one_active" ON "signing_keys" USING btree ("environment") WHERE status = 'active';