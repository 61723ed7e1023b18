// Accounts, admin tokens and API access keys as the admin API changes them; every change is audited.
import type {
  AccountRecord,
  AdminRole,
  AdminTokenRecord,
  KeyChanges,
  KeyRecord,
  KeyStore,
  OperationAction,
  OperationRecord,
  Page,
  KeyAuthMethod,
  PreviousPair,
} from '../ports/key-store.js';
import type { Quota, RateLimit } from '../ports/key-limiter.js';
import type { Clock } from '../ports/runtime.js';
import type { SessionStore } from '../ports/session-store.js';
import { actorName, type Actor } from './admin-access.js';
import type { Environment } from '../shared/domain.js';
import { newId } from './ids.js';
import { checkAllowedScopes, checkExpiry } from './key-rules.js';
import { assertNever, fail, ok, type Result } from '../shared/result.js';
import {
  generateAdminToken,
  generateApplicationId,
  generateApplicationSecret,
  secretHint,
  type SecretHasher,
} from './secrets.js';
import { withWebhookEvent } from './webhook-events.js';
import { readClientJwks, type ClientJwks } from './client-jwks.js';

/** A key's limits (SPEC §7), within LIMIT_BOUNDS (the admin API's schema checks them); null: none. */
export interface KeyLimitSettings {
  rateLimit?: RateLimit | null;
  quota?: Quota | null;
  tokenRateLimit?: RateLimit | null;
}

export interface NewKeyInput extends KeyLimitSettings {
  environment: Environment;
  name: string;
  scopes: string[];
  expiresAt: number | null;
  /** SPEC §8: `private_key_jwt` keys authenticate with assertions signed by `jwks` and get no secret. */
  authMethod?: KeyAuthMethod;
  /** A JWK or a JWK Set (parsed JSON or pasted text), checked by `readClientJwks`. */
  jwks?: unknown;
  requireDpop?: boolean;
}

/** What updateKey changes; a limit set to null is removed. The proxy of this process sees limits at once. */
export interface KeyPatch extends KeyLimitSettings {
  name?: string;
  scopes?: string[];
  expiresAt?: number | null;
  /** Replaces a private_key_jwt key's public keys. */
  jwks?: unknown;
  requireDpop?: boolean;
}

/** A key together with its application secret, the one time it is shown (none for a private_key_jwt key). */
export interface KeyWithSecret {
  key: KeyRecord;
  applicationSecret?: string;
}

export type KeyFailure =
  | 'not_found'
  | 'limit_exceeded'
  | 'name_taken'
  | 'scope_not_allowed'
  | 'expiry_in_past'
  /** The JWKs are not 1–5 acceptable public keys; or given for a secret key; or missing for a private_key_jwt one. */
  | 'invalid_jwks';

/**
 * `overlap_without_secret`: an overlap asked of a private_key_jwt key, which has no secret pair to keep; its public
 * keys roll with overlap by PATCHing `jwks` with the old and new ones together.
 */
export type RegenerateFailure = 'not_found' | 'overlap_without_secret';

/** The longest overlap a roll may give the previous pair: a week (SPEC §9). */
export const MAX_OVERLAP_SECONDS = 604_800;

/** An admin token as the operator lists it: never the token or its hash. */
export type AdminTokenSummary = Omit<AdminTokenRecord, 'tokenHash'>;

export interface KeyManagement {
  createAccount(actor: Actor, name: string): Promise<AccountRecord>;
  getAccount(accountId: string): Promise<Result<AccountRecord, 'not_found'>>;
  listAccounts(query: { after?: string; limit: number }): Promise<Page<AccountRecord>>;
  listAdminTokens(accountId: string): Promise<Result<AdminTokenSummary[], 'not_found'>>;
  /** Deletes the token: from the next request on it authenticates nothing, console sessions signed in with it included. */
  deleteAdminToken(actor: Actor, accountId: string, tokenId: string): Promise<Result<void, 'not_found'>>;
  createAdminToken(
    actor: Actor,
    accountId: string,
    input: { name: string; role: AdminRole },
  ): Promise<Result<{ id: string; token: string; name: string; role: AdminRole; createdAt: number }, 'not_found'>>;
  createKey(actor: Actor, accountId: string, input: NewKeyInput): Promise<Result<KeyWithSecret, KeyFailure>>;
  listKeys(accountId: string, query: { environment?: Environment; after?: string; limit: number }): Promise<Page<KeyRecord>>;
  getKey(accountId: string, keyId: string): Promise<Result<KeyRecord, 'not_found'>>;
  updateKey(actor: Actor, accountId: string, keyId: string, patch: KeyPatch): Promise<Result<KeyRecord, KeyFailure>>;
  /**
   * A new pair, same key. With `overlapSeconds` > 0 the pair it replaces keeps minting that long (the key's
   * `previous`); a pair replaced earlier stops at once. 0 (the default): the old pair stops at once.
   */
  regenerateKey(
    actor: Actor,
    accountId: string,
    keyId: string,
    options?: { overlapSeconds?: number },
  ): Promise<Result<KeyWithSecret, RegenerateFailure>>;
  /** Ends a roll's overlap now: the previous pair stops minting. A key without one is returned unchanged. */
  retirePreviousPair(actor: Actor, accountId: string, keyId: string): Promise<Result<KeyRecord, 'not_found'>>;
  setKeyStatus(actor: Actor, accountId: string, keyId: string, status: 'active' | 'disabled'): Promise<Result<KeyRecord, 'not_found'>>;
  /** Deletes the key; sessions it minted stay valid unless `revokeSessions` revokes them first. */
  deleteKey(
    actor: Actor,
    accountId: string,
    keyId: string,
    options?: { revokeSessions?: boolean },
  ): Promise<Result<void, 'not_found'>>;
  revokeKeySessions(actor: Actor, accountId: string, keyId: string): Promise<Result<{ key: KeyRecord; revoked: number }, 'not_found'>>;
  listOperations(accountId: string, query: { after?: string; limit: number }): Promise<Page<OperationRecord>>;
}

export function createKeyManagement(deps: {
  keys: KeyStore;
  sessions: SessionStore;
  hasher: SecretHasher;
  clock: Clock;
  keysPerEnvironment: number;
  /** Keys per account over both environments (KEYMINT_KEYS_PER_ACCOUNT); undefined = no cap. */
  keysPerAccount?: number;
  /** The scopes keys may hold; undefined allows any well-formed scope. */
  allowedScopes: readonly string[] | undefined;
}): KeyManagement {
  const { keys, hasher, clock } = deps;

  function operation(
    actor: Actor,
    action: OperationAction,
    at: number,
    target: { accountId: string | null; environment?: Environment | null; keyId?: string | null },
  ): OperationRecord {
    // Every change is also an event for the account's webhooks, queued by the store with the audit entry.
    return withWebhookEvent({
      id: newId('op', at),
      accountId: target.accountId,
      environment: target.environment ?? null,
      keyId: target.keyId ?? null,
      action,
      actor: actorName(actor),
      at,
    });
  }

  async function changeKey(
    actor: Actor,
    accountId: string,
    keyId: string,
    action: OperationAction,
    changes: Omit<KeyChanges, 'updatedAt'>,
  ): Promise<Result<KeyRecord, 'not_found' | 'name_taken'>> {
    const existing = await keys.getKey(accountId, keyId);
    if (!existing) return fail('not_found');
    const now = clock.now();
    const updated = await keys.updateKey(
      accountId,
      keyId,
      { ...changes, updatedAt: now },
      operation(actor, action, now, { accountId, environment: existing.environment, keyId }),
    );
    if (updated.ok || updated.reason === 'not_found') return updated;
    return fail('name_taken', `another ${existing.environment} key of this account is named ${JSON.stringify(changes.name)}`);
  }

  /** A change that cannot rename the key (only updateKey can), so `name_taken` cannot come of it. */
  async function changeKeyKeepingName(
    actor: Actor,
    accountId: string,
    keyId: string,
    action: OperationAction,
    changes: Omit<KeyChanges, 'updatedAt' | 'name'>,
  ): Promise<Result<KeyRecord, 'not_found'>> {
    const changed = await changeKey(actor, accountId, keyId, action, changes);
    if (changed.ok || changed.reason === 'not_found') return changed as Result<KeyRecord, 'not_found'>;
    throw new Error(`key ${keyId}: ${action} refused as name_taken without a rename`);
  }

  return {
    async createAccount(actor, name) {
      const now = clock.now();
      const account = { id: newId('acct', now), name, createdAt: now };
      await keys.createAccount(account, operation(actor, 'account.created', now, { accountId: account.id }));
      return account;
    },

    async getAccount(accountId) {
      const account = await keys.getAccount(accountId);
      return account ? ok(account) : fail('not_found');
    },

    listAccounts: (query) => keys.listAccounts(query),

    async listAdminTokens(accountId) {
      if (!(await keys.getAccount(accountId))) return fail('not_found');
      const tokens = await keys.listAdminTokens(accountId);
      return ok(tokens.map(({ tokenHash: _hash, ...summary }) => summary));
    },

    async deleteAdminToken(actor, accountId, tokenId) {
      const now = clock.now();
      const deleted = await keys.deleteAdminToken(accountId, tokenId, operation(actor, 'admin_token.revoked', now, { accountId }));
      return deleted ? ok(undefined) : fail('not_found');
    },

    async createAdminToken(actor, accountId, input) {
      if (!(await keys.getAccount(accountId))) return fail('not_found');
      const now = clock.now();
      const token = generateAdminToken();
      const record = {
        id: newId('adm', now),
        accountId,
        name: input.name,
        role: input.role,
        tokenHash: await hasher.hash(token),
        createdAt: now,
        lastUsedAt: null,
      };
      await keys.createAdminToken(record, operation(actor, 'admin_token.created', now, { accountId }));
      return ok({ id: record.id, token, name: record.name, role: record.role, createdAt: now });
    },

    async createKey(actor, accountId, input) {
      const now = clock.now();
      const scopes = checkAllowedScopes(input.scopes, deps.allowedScopes);
      if (!scopes.ok) return scopes;
      const expiry = checkExpiry(input.expiresAt, now);
      if (!expiry.ok) return expiry;
      const authMethod = input.authMethod ?? 'client_secret';
      let jwks: ClientJwks | null = null;
      if (authMethod === 'private_key_jwt') {
        if (input.jwks === undefined) return fail('invalid_jwks', 'a private_key_jwt key needs jwks: a JWK or a JWK Set of 1–5 public keys');
        const read = await readClientJwks(input.jwks);
        if (!read.ok) return read;
        jwks = read.value.jwks;
      } else if (input.jwks !== undefined) {
        return fail('invalid_jwks', 'jwks belong to private_key_jwt keys only (set authMethod)');
      }
      if (!(await keys.getAccount(accountId))) return fail('not_found');
      // A private_key_jwt key has no secret at all: nothing to show, nothing to guess.
      const applicationSecret = authMethod === 'client_secret' ? generateApplicationSecret(input.environment) : undefined;
      const key: KeyRecord = {
        id: newId('key', now),
        accountId,
        environment: input.environment,
        name: input.name,
        applicationId: generateApplicationId(input.environment),
        secretHash: applicationSecret === undefined ? null : await hasher.hash(applicationSecret),
        secretHint: applicationSecret === undefined ? null : secretHint(applicationSecret),
        scopes: [...new Set(input.scopes)],
        status: 'active',
        expiresAt: input.expiresAt,
        createdAt: now,
        updatedAt: now,
        lastUsedAt: null,
        authMethod,
        jwks: jwks as unknown as KeyRecord['jwks'],
        requireDpop: input.requireDpop ?? false,
        rateLimit: input.rateLimit ?? null,
        quota: input.quota ?? null,
        tokenRateLimit: input.tokenRateLimit ?? null,
        previous: null,
      };
      const audit = operation(actor, 'key.created', now, { accountId, environment: key.environment, keyId: key.id });
      const limits = { perEnvironment: deps.keysPerEnvironment, perAccount: deps.keysPerAccount };
      const inserted = await keys.insertKey(key, limits, audit);
      if (!inserted.ok) {
        switch (inserted.reason) {
          case 'limit_exceeded':
            return fail(
              'limit_exceeded',
              `this account already has ${deps.keysPerEnvironment} keys in ${input.environment}; delete one first`,
            );
          case 'account_limit_exceeded':
            return fail('limit_exceeded', `this account already has ${deps.keysPerAccount} keys; delete one first`);
          case 'name_taken':
            return fail('name_taken', `another ${input.environment} key of this account is named ${JSON.stringify(input.name)}`);
          default:
            return assertNever(inserted.reason);
        }
      }
      return ok(applicationSecret === undefined ? { key } : { key, applicationSecret });
    },

    listKeys: (accountId, query) => keys.listKeys(accountId, query),

    async getKey(accountId, keyId) {
      const key = await keys.getKey(accountId, keyId);
      return key ? ok(key) : fail('not_found');
    },

    async updateKey(actor, accountId, keyId, patch) {
      const scopes = checkAllowedScopes(patch.scopes, deps.allowedScopes);
      if (!scopes.ok) return scopes;
      const expiry = checkExpiry(patch.expiresAt, clock.now());
      if (!expiry.ok) return expiry;
      const { jwks: newJwks, ...rest } = patch;
      const changes: Omit<KeyChanges, 'updatedAt'> = { ...rest, ...(patch.scopes && { scopes: [...new Set(patch.scopes)] }) };
      if (newJwks !== undefined) {
        const existing = await keys.getKey(accountId, keyId);
        if (!existing) return fail('not_found');
        if (existing.authMethod !== 'private_key_jwt') return fail('invalid_jwks', 'jwks belong to private_key_jwt keys only');
        const read = await readClientJwks(newJwks);
        if (!read.ok) return read;
        changes.jwks = read.value.jwks as unknown as KeyRecord['jwks'];
      }
      return changeKey(actor, accountId, keyId, 'key.updated', changes);
    },

    async regenerateKey(actor, accountId, keyId, options = {}) {
      const overlapSeconds = options.overlapSeconds ?? 0;
      if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_OVERLAP_SECONDS) {
        throw new RangeError(`overlapSeconds must be a whole number from 0 to ${MAX_OVERLAP_SECONDS}`);
      }
      const existing = await keys.getKey(accountId, keyId);
      if (!existing) return fail('not_found');
      if (existing.authMethod === 'private_key_jwt') {
        if (overlapSeconds > 0) {
          return fail(
            'overlap_without_secret',
            'a private_key_jwt key has no secret to keep working; to roll its keys with an overlap, set jwks to the old and new public keys together, then to the new ones alone',
          );
        }
        // No secret to replace: a new application ID only (assertions signed for the old one stop working).
        const changed = await changeKeyKeepingName(actor, accountId, keyId, 'key.regenerated', {
          applicationId: generateApplicationId(existing.environment),
        });
        return changed.ok ? ok({ key: changed.value }) : changed;
      }
      const applicationSecret = generateApplicationSecret(existing.environment);
      // The pair being replaced becomes the previous one (a key without a secret has no pair to keep); whatever
      // pair an earlier roll kept is dropped: at most two pairs mint at once.
      const previous: PreviousPair | null =
        overlapSeconds > 0 && existing.secretHash !== null && existing.secretHint !== null
          ? {
              applicationId: existing.applicationId,
              secretHash: existing.secretHash,
              secretHint: existing.secretHint,
              expiresAt: clock.now() + overlapSeconds * 1000,
              lastUsedAt: null,
            }
          : null;
      const changed = await changeKeyKeepingName(actor, accountId, keyId, 'key.regenerated', {
        applicationId: generateApplicationId(existing.environment),
        secretHash: await hasher.hash(applicationSecret),
        secretHint: secretHint(applicationSecret),
        previous,
      });
      return changed.ok ? ok({ key: changed.value, applicationSecret }) : changed;
    },

    async retirePreviousPair(actor, accountId, keyId) {
      const existing = await keys.getKey(accountId, keyId);
      if (!existing) return fail('not_found');
      if (existing.previous === null) return ok(existing);
      return changeKeyKeepingName(actor, accountId, keyId, 'key.previous_retired', { previous: null });
    },

    setKeyStatus(actor, accountId, keyId, status) {
      return changeKeyKeepingName(actor, accountId, keyId, status === 'active' ? 'key.enabled' : 'key.disabled', { status });
    },

    async deleteKey(actor, accountId, keyId, options = {}) {
      const existing = await keys.getKey(accountId, keyId);
      if (!existing) return fail('not_found');
      // Once the row is gone nothing names the key's sessions any more: revoke them while it exists.
      if (options.revokeSessions) await this.revokeKeySessions(actor, accountId, keyId);
      const now = clock.now();
      const audit = operation(actor, 'key.deleted', now, { accountId, environment: existing.environment, keyId });
      return (await keys.deleteKey(accountId, keyId, audit)) ? ok(undefined) : fail('not_found');
    },

    async revokeKeySessions(actor, accountId, keyId) {
      const key = await keys.getKey(accountId, keyId);
      if (!key) return fail('not_found');
      const revoked = await deps.sessions.revokeKeySessions(key.environment, key.id);
      const now = clock.now();
      await keys.recordOperation(
        operation(actor, 'key.sessions_revoked', now, { accountId, environment: key.environment, keyId }),
      );
      return ok({ key, revoked });
    },

    listOperations: (accountId, query) => keys.listOperations(accountId, query),
  };
}
