// The drizzle schema for PostgreSQL: the same tables, columns and indexes as db/schema.ts (SQLite), in PostgreSQL's types.
import { sql } from 'drizzle-orm';
import { bigint, customType, index, pgTable, uniqueIndex } from 'drizzle-orm/pg-core';
import {
  ADMIN_ROLE_VALUES,
  AUTH_METHOD_VALUES,
  ENVIRONMENT_VALUES,
  KEY_STATUS_VALUES,
  SIGNING_KEY_STATUS_VALUES,
  WEBHOOK_DELIVERY_STATUS_VALUES,
} from '../columns.js';

/**
 * Text compared byte by byte, as SQLite's BINARY collation does. Under a database's default collation
 * (en_US.UTF-8 and the like) 'a' sorts before 'B', which would reorder the base62 ids that lists and
 * cursors rely on (`key_…`, `op_…` are time-ordered only in byte order).
 */
const text = customType<{ data: string; driverData: string }>({ dataType: () => 'text collate "C"' });

/** Epoch milliseconds, as in the ports: bigint in the database, a JavaScript number in rows. */
const millis = (name: string) => bigint(name, { mode: 'number' });

export const accounts = pgTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: millis('created_at').notNull(),
});

export const adminTokens = pgTable(
  'admin_tokens',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    name: text('name').notNull(),
    role: text('role').$type<(typeof ADMIN_ROLE_VALUES)[number]>().notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: millis('created_at').notNull(),
    lastUsedAt: millis('last_used_at'),
  },
  (t) => [uniqueIndex('admin_tokens_token_hash').on(t.tokenHash)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    environment: text('environment').$type<(typeof ENVIRONMENT_VALUES)[number]>().notNull(),
    name: text('name').notNull(),
    applicationId: text('application_id').notNull(),
    // Null for a private_key_jwt key, which has no secret.
    secretHash: text('secret_hash'),
    secretHint: text('secret_hint'),
    // JSON array of scope strings (text, as in SQLite, so both stores read and write it alike).
    scopes: text('scopes').notNull(),
    status: text('status').$type<(typeof KEY_STATUS_VALUES)[number]>().notNull(),
    expiresAt: millis('expires_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    lastUsedAt: millis('last_used_at'),
    authMethod: text('auth_method').$type<(typeof AUTH_METHOD_VALUES)[number]>().notNull().default('client_secret'),
    // JSON text of a private_key_jwt key's public JWK Set.
    jwks: text('jwks'),
    // 1 when the key may mint only DPoP-bound tokens, else 0 (a whole number in both dialects).
    requireDpop: bigint('require_dpop', { mode: 'number' }).notNull().default(0),
    // JSON text: {requests, windowSeconds}, {requests, period}, {requests, windowSeconds}; null = none.
    rateLimit: text('rate_limit'),
    quota: text('quota'),
    tokenRateLimit: text('token_rate_limit'),
    // The pair a regenerate with overlap replaced, usable until previous_expires_at (SPEC §9).
    previousApplicationId: text('previous_application_id'),
    previousSecretHash: text('previous_secret_hash'),
    previousSecretHint: text('previous_secret_hint'),
    previousExpiresAt: millis('previous_expires_at'),
    previousLastUsedAt: millis('previous_last_used_at'),
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

export const operations = pgTable(
  'operations',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id'),
    environment: text('environment').$type<(typeof ENVIRONMENT_VALUES)[number]>(),
    keyId: text('key_id'),
    action: text('action').notNull(),
    actor: text('actor').notNull(),
    at: millis('at').notNull(),
  },
  (t) => [index('operations_account').on(t.accountId, t.id)],
);

export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    environment: text('environment').$type<(typeof ENVIRONMENT_VALUES)[number]>().notNull(),
    alg: text('alg').notNull(),
    publicJwk: text('public_jwk').notNull(),
    // The private JWK: JSON, or `v1.<iv>.<ciphertext>` when sealed with KEYMINT_KEK.
    privateKey: text('private_key').notNull(),
    status: text('status').$type<(typeof SIGNING_KEY_STATUS_VALUES)[number]>().notNull(),
    createdAt: millis('created_at').notNull(),
    // A pending key (published ahead of a scheduled rotation): when every node starts signing with it.
    activatesAt: millis('activates_at'),
    retiredAt: millis('retired_at'),
    // Until when the public key must stay in the JWKS (retired_at + longest token lifetime).
    publishUntil: millis('publish_until'),
  },
  (t) => [
    // At most one active key per environment, even when nodes starting together race to create it.
    uniqueIndex('signing_keys_one_active')
      .on(t.environment)
      .where(sql`status = 'active'`),
    // At most one next key per environment, however many nodes find the active one due at once.
    uniqueIndex('signing_keys_one_pending')
      .on(t.environment)
      .where(sql`status = 'pending'`),
  ],
);

export const webhooks = pgTable(
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
    createdAt: millis('created_at').notNull(),
  },
  (t) => [index('webhooks_account').on(t.accountId, t.id)],
);

/** The outbox: one row per event and webhook, written in the same transaction as the change it reports. */
export const webhookDeliveries = pgTable(
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
    createdAt: millis('created_at').notNull(),
    status: text('status').$type<(typeof WEBHOOK_DELIVERY_STATUS_VALUES)[number]>().notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull(),
    // When a pending delivery is due (or its claim's lease ends).
    nextAttemptAt: millis('next_attempt_at').notNull(),
    lastAttemptAt: millis('last_attempt_at'),
    // The receiver's HTTP status, null when it gave none (refused, timed out).
    lastStatus: bigint('last_status', { mode: 'number' }),
    lastError: text('last_error'),
    deliveredAt: millis('delivered_at'),
  },
  (t) => [
    index('webhook_deliveries_due')
      .on(t.nextAttemptAt)
      .where(sql`status = 'pending'`),
    index('webhook_deliveries_webhook').on(t.webhookId, t.id),
  ],
);
