// SPEC §10 on Workers: revoke, revoke-sessions and DELETE …?revokeSessions=true are written to the key's session
// object, the one place every isolate and location reads a session from, so each is seen at once everywhere (issue 18).
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DurableNamespaceLike } from '../../src/adapters/workers/durable-object.js';
import { DurableObjectSessionStore } from '../../src/adapters/workers/session-partition-object.js';
import { systemClock } from '../../src/ports/runtime.js';
import {
  admin,
  createAccount,
  createKey,
  expectOAuthError,
  introspect,
  mint,
  postForm,
  tokenInfo,
  type KeyWithSecret,
} from './support/worker-client.js';

/** The store as another isolate (or location) of the Worker builds it: the same binding, a fresh instance. */
const elsewhere = () => new DurableObjectSessionStore(env.SESSION_RECORDS as unknown as DurableNamespaceLike, { clock: systemClock });

const jtiOf = (token: string) => (JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { jti: string }).jti;

describe('session revocation inside workerd', () => {
  let accountId: string;
  let witness: KeyWithSecret;

  beforeAll(async () => {
    accountId = (await createAccount('Revocations')).id;
    witness = await createKey(accountId, { environment: 'sandbox' });
  });

  it('revokes a token at /oauth/revoke: another isolate reads it revoked, and the issuance cache never hands it out again', async () => {
    const key = await createKey(accountId, { environment: 'sandbox' });
    const token = await mint('sandbox', key);
    // Reused from the cache while live.
    expect(await mint('sandbox', key)).toBe(token);
    expect(await elsewhere().getSession('sandbox', jtiOf(token))).toMatchObject({ keyId: key.id, revoked: false });

    const revoked = await postForm('sandbox', 'revoke', { token }, key);
    expect(revoked.status).toBe(200);
    expect(await elsewhere().getSession('sandbox', jtiOf(token))).toMatchObject({ revoked: true });
    expect(await introspect('sandbox', witness, token)).toEqual({ active: false });
    await expectOAuthError(await tokenInfo('sandbox', token), 401, 'invalid_token');
    const next = await mint('sandbox', key);
    expect(next).not.toBe(token);
    expect(await introspect('sandbox', witness, next)).toMatchObject({ active: true });
  });

  it('revokes every session of a key on revoke-sessions, as every isolate reads them', async () => {
    const key = await createKey(accountId, { environment: 'sandbox', scopes: ['a', 'b'] });
    const tokens = [await mint('sandbox', key, { scope: 'a' }), await mint('sandbox', key, { scope: 'b' })];
    const response = await admin('POST', `/accounts/${accountId}/keys/${key.id}/revoke-sessions`);
    expect(await response.json()).toMatchObject({ revokedSessions: 2 });
    for (const token of tokens) expect(await elsewhere().getSession('sandbox', jtiOf(token))).toMatchObject({ revoked: true });
    // Nothing is left to revoke: the count is exact, not a listing that may lag.
    expect(await elsewhere().revokeKeySessions('sandbox', key.id)).toBe(0);
  });

  it('revokes the sessions of a key deleted with ?revokeSessions=true, as every isolate reads them', async () => {
    // An account of its own: three keys per environment.
    const account = (await createAccount('Deletions')).id;
    const [key, witnessHere] = [await createKey(account, { environment: 'sandbox' }), await createKey(account, { environment: 'sandbox' })];
    const token = await mint('sandbox', key);
    expect((await admin('DELETE', `/accounts/${account}/keys/${key.id}?revokeSessions=true`)).status).toBe(204);
    expect(await elsewhere().getSession('sandbox', jtiOf(token))).toMatchObject({ revoked: true });
    expect(await introspect('sandbox', witnessHere, token)).toEqual({ active: false });
  });
});
