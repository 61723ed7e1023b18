// The drizzle schema for SQLite (better-sqlite3 on Node) and D1 (Workers); db/pg/schema.ts is its PostgreSQL twin.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import {
  ADMIN_ROLE_VALUES,
  AUTH_METHOD_VALUES,
  ENVIRONMENT_VALUES,
  KEY_STATUS_VALUES,
  SIGNING_KEY_STATUS_VALUES,
  WEBHOOK_DELIVERY_STATUS_VALUES,
} from './columns.js';

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const adminTokens = sqliteTable(
  'admin_tokens',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    name: text('name').notNull(),
    role: text('role', { enum: ADMIN_ROLE_VALUES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('admin_tokens_token_hash').on(t.tokenHash)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    environment: text('environment', { enum: ENVIRONMENT_VALUES }).notNull(),
    name: text('name').notNull(),
    applicationId: text('application_id').notNull(),
    // Null for a private_key_jwt key, which has no secret.
    secretHash: text('secret_hash'),
    secretHint: text('secret_hint'),
    // JSON array of scope strings.
    scopes: text('scopes').notNull(),
    status: text('status', { enum: KEY_STATUS_VALUES }).notNull(),
    expiresAt: integer('expires_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    authMethod: text('auth_method', { enum: AUTH_METHOD_VALUES }).notNull().default('client_secret'),
    // JSON text of a private_key_jwt key's public JWK Set.
    jwks: text('jwks'),
    // 1 when the key may mint only DPoP-bound tokens, else 0 (a whole number in both dialects).
    requireDpop: integer('require_dpop').notNull().default(0),
    // JSON text: {requests, windowSeconds}, {requests, period}, {requests, windowSeconds}; null = none.
    rateLimit: text('rate_limit'),
    quota: text('quota'),
    tokenRateLimit: text('token_rate_limit'),
    // The pair a regenerate with overlap replaced, usable until previous_expires_at (SPEC §9).
    previousApplicationId: text('previous_application_id'),
    previousSecretHash: text('previous_secret_hash'),
    previousSecretHint: text('previous_secret_hint'),
    previousExpiresAt: integer('previous_expires_at'),
    previousLastUsedAt: integer('previous_last_used_at'),
  },
  (t) => [
    uniqueIndex('api_keys_application_id').on(t.applicationId),
    // `Api-Key` calls on the proxy find the key by its secret's HMAC (NULLs, keys without a secret, never collide).
    uniqueIndex('api_keys_secret_hash').on(t.secretHash),
    // The token endpoint and the proxy find a key by its previous pair too, during an overlap.
    uniqueIndex('api_keys_previous_application_id')
      .on(t.previousApplicationId)
      .where(sql`previous_application_id is not null`),
    uniqueIndex('api_keys_previous_secret_hash')
      .on(t.previousSecretHash)
      .where(sql`previous_secret_hash is not null`),
    uniqueIndex('api_keys_name').on(t.accountId, t.environment, t.name),
    index('api_keys_account_environment').on(t.accountId, t.environment, t.id),
  ],
);

export const operations = sqliteTable(
  'operations',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id'),
    environment: text('environment', { enum: ENVIRONMENT_VALUES }),
    keyId: text('key_id'),
    action: text('action').notNull(),
    actor: text('actor').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('operations_account').on(t.accountId, t.id)],
);

export const signingKeys = sqliteTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    environment: text('environment', { enum: ENVIRONMENT_VALUES }).notNull(),
    alg: text('alg').notNull(),
    publicJwk: text('public_jwk').notNull(),
    // The private JWK: JSON, or `v1.<iv>.<ciphertext>` when sealed with KEYMINT_KEK.
    privateKey: text('private_key').notNull(),
    status: text('status', { enum: SIGNING_KEY_STATUS_VALUES }).notNull(),
    createdAt: integer('created_at').notNull(),
    // A pending key (published ahead of a scheduled rotation): when every node starts signing with it.
    activatesAt: integer('activates_at'),
    retiredAt: integer('retired_at'),
    // Until when the public key must stay in the JWKS (retired_at + longest token lifetime).
    publishUntil: integer('publish_until'),
  },
  (t) => [
    // At most one active key per environment, even when two first requests race.
    uniqueIndex('signing_keys_one_active')
      .on(t.environment)
      .where(sql`status = 'active'`),
    // At most one next key per environment, however many nodes find the active one due at once.
    uniqueIndex('signing_keys_one_pending')
      .on(t.environment)
      .where(sql`status = 'pending'`),
  ],
);

export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    url: text('url').notNull(),
    // JSON array of the event types (audit actions) it receives; null = every event.
    events: text('events'),
    // The Standard Webhooks signing secret: `whsec_…`, or sealed (`v1.…`) under KEYMINT_KEK.
    secret: text('secret').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('webhooks_account').on(t.accountId, t.id)],
);

/** The outbox: one row per event and webhook, written in the same transaction as the change it reports. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    // The Standard Webhooks `webhook-id`: `msg_` + the operation's id and the webhook's, so a rewrite is a no-op.
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    eventType: text('event_type').notNull(),
    // JSON text: the Standard Webhooks payload {type, timestamp, data}.
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUS_VALUES }).notNull(),
    attempts: integer('attempts').notNull(),
    // When a pending delivery is due (or its claim's lease ends).
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastAttemptAt: integer('last_attempt_at'),
    // The receiver's HTTP status, null when it gave none (refused, timed out).
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due')
      .on(t.nextAttemptAt)
      .where(sql`status = 'pending'`),
    index('webhook_deliveries_webhook').on(t.webhookId, t.id),
  ],
);
