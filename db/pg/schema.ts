// The drizzle schema for PostgreSQL: the same tables, columns and indexes as db/schema.ts (SQLite), in PostgreSQL's types.
import { sql } from 'drizzle-orm';
import { bigint, customType, index, pgTable, uniqueIndex } from 'drizzle-orm/pg-core';
import { ADMIN_ROLE_VALUES, ENVIRONMENT_VALUES, KEY_STATUS_VALUES, SIGNING_KEY_STATUS_VALUES } from '../columns.js';

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
    secretHash: text('secret_hash').notNull(),
    secretHint: text('secret_hint').notNull(),
    // JSON array of scope strings (text, as in SQLite, so both stores read and write it alike).
    scopes: text('scopes').notNull(),
    status: text('status').$type<(typeof KEY_STATUS_VALUES)[number]>().notNull(),
    expiresAt: millis('expires_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    lastUsedAt: millis('last_used_at'),
  },
  (t) => [
    uniqueIndex('api_keys_application_id').on(t.applicationId),
    // `Api-Key` calls on the proxy find the key by its secret's HMAC.
    uniqueIndex('api_keys_secret_hash').on(t.secretHash),
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
    retiredAt: millis('retired_at'),
    // Until when the public key must stay in the JWKS (retired_at + longest token lifetime).
    publishUntil: millis('publish_until'),
  },
  (t) => [
    // At most one active key per environment, even when nodes starting together race to create it.
    uniqueIndex('signing_keys_one_active')
      .on(t.environment)
      .where(sql`status = 'active'`),
  ],
);
