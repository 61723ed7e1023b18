// AdminClient: the admin API (SPEC §4) over a fetch function, the same for the in-process app and a remote gateway.
import type { Environment } from '../shared/domain.js';
import type { accountView, keyView } from '../http/admin/views.js';
import { CliError, refusalOf } from './errors.js';

/** Sends one request: `app.fetch` in process, or the global fetch towards a running gateway. */
export type SendRequest = (request: Request) => Promise<Response>;

export type Account = ReturnType<typeof accountView>;
export type Key = Awaited<ReturnType<typeof keyView>>;
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

export interface NewKey {
  environment: Environment;
  name: string;
  scopes?: string[];
  expiresAt?: string;
  authMethod?: 'client_secret' | 'private_key_jwt';
  /** A JWK or a JWK Set, as read from --jwks-file. */
  jwks?: unknown;
}

export type KeyAction = 'regenerate' | 'disable' | 'enable' | 'revoke-sessions';

export interface AdminClient {
  createAccount(name: string): Promise<Account>;
  createKey(accountId: string, key: NewKey): Promise<KeyWithSecret>;
  /** Every key of the account (all pages), optionally of one environment. */
  listKeys(accountId: string, environment?: Environment): Promise<Key[]>;
  getKey(accountId: string, keyId: string): Promise<Key>;
  /** PATCH: here, a private_key_jwt key's public keys replaced. */
  updateKey(accountId: string, keyId: string, changes: { jwks: unknown }): Promise<Key>;
  regenerateKey(accountId: string, keyId: string): Promise<KeyWithSecret>;
  setKeyStatus(accountId: string, keyId: string, action: 'disable' | 'enable'): Promise<Key>;
  revokeKeySessions(accountId: string, keyId: string): Promise<{ key: Key; revokedSessions: number }>;
  deleteKey(accountId: string, keyId: string): Promise<void>;
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
  const keyAction = <T>(action: KeyAction) => (accountId: string, keyId: string) =>
    call<T>('POST', `${key(accountId, keyId)}/${action}`);

  return {
    createAccount: (name) => call('POST', '/accounts', { name }),
    createKey: (accountId, input) => call('POST', `${account(accountId)}/keys`, input),
    async listKeys(accountId, environment) {
      const keys: Key[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: String(MAX_PAGE) });
        if (environment) query.set('environment', environment);
        if (cursor) query.set('cursor', cursor);
        const page: { items: Key[]; nextCursor: string | null } = await call('GET', `${account(accountId)}/keys?${query}`);
        keys.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return keys;
    },
    getKey: (accountId, keyId) => call('GET', key(accountId, keyId)),
    updateKey: (accountId, keyId, changes) => call('PATCH', key(accountId, keyId), changes),
    regenerateKey: keyAction('regenerate'),
    setKeyStatus: (accountId, keyId, action) => keyAction<Key>(action)(accountId, keyId),
    revokeKeySessions: keyAction('revoke-sessions'),
    deleteKey: (accountId, keyId) => call('DELETE', key(accountId, keyId)),
    listSigningKeys: async (environment) =>
      (await call<{ items: SigningKey[] }>('GET', signingKeys(environment))).items,
    rotateSigningKey: (environment) => call('POST', `${signingKeys(environment)}/rotate`),
  };
}
