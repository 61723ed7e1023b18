// AdminClient: the admin API (SPEC §4) over a fetch function, the same for the in-process app and a remote gateway.
import type { Environment } from '../shared/domain.js';
import type { accountView, adminTokenSummaryView, keyView } from '../http/admin/views.js';
import type { KeyUsage } from '../core/key-usage.js';
import type { LimitChanges } from './limits.js';
import { CliError, refusalOf } from './errors.js';

/** Sends one request: `app.fetch` in process, or the global fetch towards a running gateway. */
export type SendRequest = (request: Request) => Promise<Response>;

export type Account = ReturnType<typeof accountView>;
export type Key = Awaited<ReturnType<typeof keyView>>;
export type AdminTokenSummary = ReturnType<typeof adminTokenSummaryView>;
/** A key as create and regenerate answer: the application secret, this once (none for a private_key_jwt key). */
export type KeyWithSecret = Key & { applicationSecret?: string };

export interface SigningKey {
  kid: string;
  alg: string;
  status: string;
  createdAt: string;
  retiredAt: string | null;
  publishedUntil: string | null;
}

export interface NewKey extends LimitChanges {
  environment: Environment;
  name: string;
  scopes?: string[];
  expiresAt?: string | null;
  authMethod?: 'client_secret' | 'private_key_jwt';
  /** A JWK or a JWK Set, as read from --jwks-file. */
  jwks?: unknown;
}

export interface UsageQuery {
  granularity?: 'hour' | 'day';
  from?: string;
  to?: string;
}


/** What `keys edit` and `keys set-limits` change: only the fields given; `null` removes an expiry or a limit. */
export interface KeyPatch extends LimitChanges {
  name?: string;
  scopes?: string[];
  expiresAt?: string | null;
  /** A private_key_jwt key's public keys replaced: a JWK or a JWK Set, as read from --jwks-file. */
  jwks?: unknown;
}

export type KeyAction = 'regenerate' | 'retire-previous' | 'disable' | 'enable' | 'revoke-sessions';

export interface AdminClient {
  createAccount(name: string): Promise<Account>;
  /** Every account (all pages). */
  listAccounts(): Promise<Account[]>;
  listAdminTokens(accountId: string): Promise<AdminTokenSummary[]>;
  deleteAdminToken(accountId: string, tokenId: string): Promise<void>;
  createKey(accountId: string, key: NewKey): Promise<KeyWithSecret>;
  /** Every key of the account (all pages), optionally of one environment. */
  listKeys(accountId: string, environment?: Environment): Promise<Key[]>;
  getKey(accountId: string, keyId: string): Promise<Key>;
  /** PATCH: name, scopes, expiry, limits, or a private_key_jwt key's public keys. */
  updateKey(accountId: string, keyId: string, patch: KeyPatch): Promise<Key>;
  /** A new pair; with `overlapSeconds` the replaced one keeps minting that long. */
  regenerateKey(accountId: string, keyId: string, overlapSeconds?: number): Promise<KeyWithSecret>;
  retirePreviousPair(accountId: string, keyId: string): Promise<Key>;
  setKeyStatus(accountId: string, keyId: string, action: 'disable' | 'enable'): Promise<Key>;
  revokeKeySessions(accountId: string, keyId: string): Promise<{ key: Key; revokedSessions: number }>;
  deleteKey(accountId: string, keyId: string): Promise<void>;
  /** The key's usage series (SPEC §7). */
  keyUsage(accountId: string, keyId: string, query: UsageQuery): Promise<KeyUsage>;
  listSigningKeys(environment: Environment): Promise<SigningKey[]>;
  rotateSigningKey(environment: Environment): Promise<SigningKey>;
}

const MAX_PAGE = 100;

export function createAdminClient(send: SendRequest, baseUrl: string, adminToken: string): AdminClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const request = new Request(`${baseUrl}/admin/v1${path}`, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${adminToken}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const response = await send(request);
    if (!response.ok) throw await refusalOf(response);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new CliError('unreachable', `${baseUrl} did not answer like a keymint admin API (${method} ${path})`);
    }
  }

  const account = (accountId: string) => `/accounts/${encodeURIComponent(accountId)}`;
  const key = (accountId: string, keyId: string) => `${account(accountId)}/keys/${encodeURIComponent(keyId)}`;
  const signingKeys = (environment: Environment) => `/environments/${environment}/signing-keys`;
  const keyAction = <T>(action: KeyAction) => (accountId: string, keyId: string, body?: unknown) =>
    call<T>('POST', `${key(accountId, keyId)}/${action}`, body);

  async function allPages<T>(path: string, query: URLSearchParams): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      query.set('limit', String(MAX_PAGE));
      if (cursor) query.set('cursor', cursor);
      const page: { items: T[]; nextCursor: string | null } = await call('GET', `${path}?${query}`);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  return {
    createAccount: (name) => call('POST', '/accounts', { name }),
    listAccounts: () => allPages<Account>('/accounts', new URLSearchParams()),
    listAdminTokens: async (accountId) =>
      (await call<{ items: AdminTokenSummary[] }>('GET', `${account(accountId)}/admin-tokens`)).items,
    deleteAdminToken: (accountId, tokenId) => call('DELETE', `${account(accountId)}/admin-tokens/${encodeURIComponent(tokenId)}`),
    createKey: (accountId, input) => call('POST', `${account(accountId)}/keys`, input),
    listKeys: (accountId, environment) =>
      allPages<Key>(`${account(accountId)}/keys`, new URLSearchParams(environment ? { environment } : {})),
    getKey: (accountId, keyId) => call('GET', key(accountId, keyId)),
    updateKey: (accountId, keyId, patch) => call('PATCH', key(accountId, keyId), patch),
    regenerateKey: (accountId, keyId, overlapSeconds) =>
      keyAction<KeyWithSecret>('regenerate')(accountId, keyId, overlapSeconds === undefined ? undefined : { overlapSeconds }),
    retirePreviousPair: (accountId, keyId) => keyAction<Key>('retire-previous')(accountId, keyId),
    setKeyStatus: (accountId, keyId, action) => keyAction<Key>(action)(accountId, keyId),
    revokeKeySessions: keyAction('revoke-sessions'),
    deleteKey: (accountId, keyId) => call('DELETE', key(accountId, keyId)),
    keyUsage(accountId, keyId, query) {
      const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
      return call('GET', `${key(accountId, keyId)}/usage?${search}`);
    },
    listSigningKeys: async (environment) =>
      (await call<{ items: SigningKey[] }>('GET', signingKeys(environment))).items,
    rotateSigningKey: (environment) => call('POST', `${signingKeys(environment)}/rotate`),
  };
}
