// The admin API's wire shapes: ISO times, and never a secret's hash.
import type { AccountRecord, KeyRecord, OperationRecord } from '../../ports/key-store.js';

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function accountView(account: AccountRecord) {
  return { id: account.id, name: account.name, createdAt: iso(account.createdAt) };
}

export function keyView(key: KeyRecord) {
  return {
    id: key.id,
    accountId: key.accountId,
    environment: key.environment,
    name: key.name,
    applicationId: key.applicationId,
    secretHint: key.secretHint,
    scopes: key.scopes,
    status: key.status,
    expiresAt: iso(key.expiresAt),
    createdAt: iso(key.createdAt),
    updatedAt: iso(key.updatedAt),
    lastUsedAt: iso(key.lastUsedAt),
  };
}

export function operationView(operation: OperationRecord) {
  return {
    id: operation.id,
    action: operation.action,
    keyId: operation.keyId,
    environment: operation.environment,
    actor: operation.actor,
    at: iso(operation.at),
  };
}
