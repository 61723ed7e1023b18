// How the key store's records map to the columns both SQL dialects share (db/schema.ts, db/pg/schema.ts):
// JSON text for the structured fields, five flat columns for a roll's previous pair.
import type { KeyChanges, KeyMatch, KeyRecord, Page, PreviousPair } from '../ports/key-store.js';
import type { DeliveryAttempt, WebhookDeliveryRecord, WebhookRecord } from '../ports/webhook-store.js';

/** An api_keys row under its schema property names, as either dialect reads it. */
export interface KeyRow {
  id: string;
  accountId: string;
  environment: KeyRecord['environment'];
  name: string;
  applicationId: string;
  secretHash: string | null;
  secretHint: string | null;
  scopes: string;
  status: KeyRecord['status'];
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  authMethod: KeyRecord['authMethod'];
  jwks: string | null;
  /** 1 or 0. */
  requireDpop: number;
  rateLimit: string | null;
  quota: string | null;
  tokenRateLimit: string | null;
  previousApplicationId: string | null;
  previousSecretHash: string | null;
  previousSecretHint: string | null;
  previousExpiresAt: number | null;
  previousLastUsedAt: number | null;
}

function parsed<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function json(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

export function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    accountId: row.accountId,
    environment: row.environment,
    name: row.name,
    applicationId: row.applicationId,
    secretHash: row.secretHash,
    secretHint: row.secretHint,
    scopes: JSON.parse(row.scopes) as string[],
    status: row.status,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastUsedAt: row.lastUsedAt,
    authMethod: row.authMethod,
    jwks: parsed(row.jwks),
    requireDpop: Boolean(row.requireDpop),
    rateLimit: parsed(row.rateLimit),
    quota: parsed(row.quota),
    tokenRateLimit: parsed(row.tokenRateLimit),
    // The five columns are written together (previousColumns), so one stands for all.
    previous:
      row.previousApplicationId === null
        ? null
        : {
            applicationId: row.previousApplicationId,
            secretHash: row.previousSecretHash!,
            secretHint: row.previousSecretHint!,
            expiresAt: row.previousExpiresAt!,
            lastUsedAt: row.previousLastUsedAt,
          },
  };
}

function previousColumns(previous: PreviousPair | null) {
  return {
    previousApplicationId: previous?.applicationId ?? null,
    previousSecretHash: previous?.secretHash ?? null,
    previousSecretHint: previous?.secretHint ?? null,
    previousExpiresAt: previous?.expiresAt ?? null,
    previousLastUsedAt: previous?.lastUsedAt ?? null,
  };
}

/** An api_keys row as it is written. */
export type KeyColumns = KeyRow;

/** The row a new key is inserted as. */
export function toKeyRow(key: KeyRecord): KeyColumns {
  return {
    id: key.id,
    accountId: key.accountId,
    environment: key.environment,
    name: key.name,
    applicationId: key.applicationId,
    secretHash: key.secretHash,
    secretHint: key.secretHint,
    scopes: JSON.stringify(key.scopes),
    status: key.status,
    expiresAt: key.expiresAt,
    createdAt: key.createdAt,
    updatedAt: key.updatedAt,
    lastUsedAt: key.lastUsedAt,
    authMethod: key.authMethod,
    jwks: json(key.jwks),
    requireDpop: key.requireDpop ? 1 : 0,
    rateLimit: json(key.rateLimit),
    quota: json(key.quota),
    tokenRateLimit: json(key.tokenRateLimit),
    ...previousColumns(key.previous),
  };
}

/** The columns an update sets: only those the changes name (`previous: null` clears the whole pair). */
export function toKeyColumnChanges(changes: KeyChanges): Partial<KeyColumns> {
  const { scopes, jwks, requireDpop, rateLimit, quota, tokenRateLimit, previous, ...plain } = changes;
  return {
    ...plain,
    ...(requireDpop !== undefined && { requireDpop: requireDpop ? 1 : 0 }),
    ...(scopes !== undefined && { scopes: JSON.stringify(scopes) }),
    ...(jwks !== undefined && { jwks: json(jwks) }),
    ...(rateLimit !== undefined && { rateLimit: json(rateLimit) }),
    ...(quota !== undefined && { quota: json(quota) }),
    ...(tokenRateLimit !== undefined && { tokenRateLimit: json(tokenRateLimit) }),
    ...(previous !== undefined && previousColumns(previous)),
  };
}

/** A webhooks row under its schema property names. */
export interface WebhookRow {
  id: string;
  accountId: string;
  url: string;
  events: string | null;
  secret: string;
  createdAt: number;
}

export function toWebhookRecord(row: WebhookRow): WebhookRecord {
  return { ...row, events: parsed(row.events) };
}

export function toWebhookRow(webhook: WebhookRecord): WebhookRow {
  return { ...webhook, events: json(webhook.events) };
}

/** A webhook_deliveries row as drizzle reads it (event types are audit actions). */
export function toDeliveryRecord(row: Omit<WebhookDeliveryRecord, 'eventType'> & { eventType: string }): WebhookDeliveryRecord {
  return { ...row, eventType: row.eventType as WebhookDeliveryRecord['eventType'] };
}

/** The part of an operation id that delivery ids are built from (`op_X` → `X`). */
export function operationIdSuffix(operationId: string): string {
  return operationId.slice(operationId.indexOf('_') + 1);
}

/** A page of `limit` from `limit + 1` rows read: the extra row says there is more. */
export function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** Which pair of the key `value` named, as the look-up by `current` and `previous` found it. */
export function matchOf(row: KeyRow | undefined, value: string, current: 'applicationId' | 'secretHash'): KeyMatch | null {
  if (!row) return null;
  return { key: toKeyRecord(row), pair: row[current] === value ? 'current' : 'previous' };
}

/** The delivery columns one attempt sets; `attempts` is the dialect's `attempts + 1` expression. */
export function deliveryAttemptColumns<Increment>(attempt: DeliveryAttempt, attempts: Increment) {
  const last = { attempts, lastAttemptAt: attempt.at };
  switch (attempt.outcome) {
    case 'delivered':
      return { ...last, status: 'delivered' as const, lastStatus: attempt.status, lastError: null, deliveredAt: attempt.at };
    case 'retry':
      return { ...last, lastStatus: attempt.status, lastError: attempt.error, nextAttemptAt: attempt.nextAttemptAt };
    case 'failed':
      return { ...last, status: 'failed' as const, lastStatus: attempt.status, lastError: attempt.error };
  }
}
