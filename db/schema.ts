// The drizzle schema for SQLite (better-sqlite3 on Node) and D1 (Workers); db/pg/schema.ts is its PostgreSQL twin.
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { ADMIN_ROLE_VALUES, ENVIRONMENT_VALUES, KEY_STATUS_VALUES, SIGNING_KEY_STATUS_VALUES } from './columns.js';

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
    secretHash: text('secret_hash').notNull(),
    secretHint: text('secret_hint').notNull(),
    // JSON array of scope strings.
    scopes: text('scopes').notNull(),
    status: text('status', { enum: KEY_STATUS_VALUES }).notNull(),
    expiresAt: integer('expires_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [
    uniqueIndex('api_keys_application_id').on(t.applicationId),
    // `Api-Key` calls on the proxy find the key by its secret's HMAC.
    uniqueIndex('api_keys_secret_hash').on(t.secretHash),
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
    retiredAt: integer('retired_at'),
    // Until when the public key must stay in the JWKS (retired_at + longest token lifetime).
    publishUntil: integer('publish_until'),
  },
  (t) => [
    // At most one active key per environment, even when two first requests race.
    uniqueIndex('signing_keys_one_active')
      .on(t.environment)
      .where(sql`status = 'active'`),
  ],
);
