// SPEC §4 inside workerd (D1 + Workers KV): accounts, admin tokens, keys and their lifecycle, the limit, the audit log.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Environment } from '../../src/shared/domain.js';
import {
  admin,
  call,
  createAccount,
  createAdminToken,
  createKey,
  exchange,
  expectOAuthError,
  expectProblem,
  introspect,
  issuer,
  mint,
  tokenInfo,
  type KeyWithSecret,
} from './support/worker-client.js';

async function verifies(environment: Environment, token: string): Promise<boolean> {
  const jwks = (await (await call(`/${environment}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  try {
    await jwtVerify(token, createLocalJWKSet(jwks), { issuer: issuer(environment) });
    return true;
  } catch {
    return false;
  }
}

describe('accounts and admin tokens', () => {
  it('creates an account and shows it to root and to its own admins only', async () => {
    const response = await admin('POST', '/accounts', { name: 'Initech' });
    expect(response.status).toBe(201);
    const account = (await response.json()) as { id: string };
    expect(account).toEqual({ id: expect.stringMatching(/^acct_/), name: 'Initech', createdAt: expect.any(String) });

    const viewer = await createAdminToken(account.id, 'viewer');
    expect((await admin('GET', `/accounts/${account.id}`, undefined, viewer)).status).toBe(200);
    const other = await createAccount('Other');
    await expectProblem(await admin('GET', `/accounts/${other.id}`, undefined, viewer), 403, 'forbidden');
  });

  it('answers 401 problem JSON without a valid admin token', async () => {
    await expectProblem(await call('/admin/v1/accounts', { method: 'POST' }), 401, 'unauthorized');
    await expectProblem(await admin('GET', '/accounts/acct_x', undefined, 'kmat_not_a_real_token_at_all'), 401, 'unauthorized');
  });

  it('lets a viewer read keys but not create them, and only root create accounts', async () => {
    const account = await createAccount();
    const viewer = await createAdminToken(account.id, 'viewer');
    const manager = await createAdminToken(account.id, 'manager');
    expect((await admin('GET', `/accounts/${account.id}/keys`, undefined, viewer)).status).toBe(200);
    const refused = await admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: 'x' }, viewer);
    await expectProblem(refused, 403, 'forbidden');
    await expectProblem(await admin('POST', '/accounts', { name: 'x' }, manager), 403, 'forbidden');
    expect((await createKey(account.id, { environment: 'sandbox' }, manager)).applicationSecret).toMatch(/^sk_sbx_/);
  });

  it('answers 400 with the zod issues for invalid input', async () => {
    const account = await createAccount();
    const body = await expectProblem(
      await admin('POST', `/accounts/${account.id}/keys`, { environment: 'staging', name: '' }),
      400,
      'invalid_request',
    );
    expect(body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'environment' })]));
  });
});

describe('API access keys', () => {
  let accountId: string;
  beforeAll(async () => {
    accountId = (await createAccount()).id;
  });

  it('shows the secret once, at creation, and never in a listing', async () => {
    const key = await createKey(accountId, { environment: 'sandbox', name: 'billing', scopes: ['a', 'b'] });
    expect(key).toMatchObject({
      id: expect.stringMatching(/^key_/),
      applicationId: expect.stringMatching(/^app_sbx_/),
      applicationSecret: expect.stringMatching(/^sk_sbx_/),
      secretHint: key.applicationSecret.slice(-4),
      scopes: ['a', 'b'],
      status: 'active',
    });
    const listing = await admin('GET', `/accounts/${accountId}/keys?environment=sandbox`);
    const text = await listing.text();
    expect(text).toContain(key.id);
    expect(text).not.toContain(key.applicationSecret);
    const one = (await (await admin('GET', `/accounts/${accountId}/keys/${key.id}`)).json()) as Record<string, unknown>;
    expect(one).not.toHaveProperty('applicationSecret');
  });

  it('answers 404, never 403, for a key of another account', async () => {
    const other = await createAccount('Other');
    const theirs = await createKey(other.id, { environment: 'sandbox' });
    const manager = await createAdminToken(accountId, 'manager');
    await expectProblem(await admin('GET', `/accounts/${accountId}/keys/${theirs.id}`), 404, 'not_found');
    await expectProblem(await admin('DELETE', `/accounts/${accountId}/keys/${theirs.id}`, undefined, manager), 404, 'not_found');
    expect((await admin('GET', `/accounts/${other.id}/keys/${theirs.id}`)).status).toBe(200);
  });

  it('refuses a key past the per-environment limit with 409, counting each environment apart', async () => {
    const account = await createAccount();
    for (let index = 0; index < 3; index++) await createKey(account.id, { environment: 'production' });
    const refused = await admin('POST', `/accounts/${account.id}/keys`, { environment: 'production', name: 'fourth' });
    await expectProblem(refused, 409, 'limit_exceeded');
    await createKey(account.id, { environment: 'sandbox' });
  });

  it('holds the limit under concurrent creates on D1 (one conditional INSERT … SELECT, no transaction)', async () => {
    const account = await createAccount();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        admin('POST', `/accounts/${account.id}/keys`, { environment: 'sandbox', name: `racer ${index}` }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(statuses.filter((status) => status === 409)).toHaveLength(9);
    const listing = (await (await admin('GET', `/accounts/${account.id}/keys`)).json()) as { items: unknown[] };
    expect(listing.items).toHaveLength(3);
    const operations = (await (await admin('GET', `/accounts/${account.id}/operations`)).json()) as {
      items: { action: string }[];
    };
    // A refused create leaves no audit entry.
    expect(operations.items.filter((operation) => operation.action === 'key.created')).toHaveLength(3);
  });

  it('applies a PATCH to minting at once', async () => {
    const key = await createKey(accountId, { environment: 'sandbox', scopes: ['a', 'b'] });
    const patched = await admin('PATCH', `/accounts/${accountId}/keys/${key.id}`, { scopes: ['a'] });
    expect(await patched.json()).toMatchObject({ scopes: ['a'] });
    const wide = await exchange('sandbox', key.applicationId, key.applicationSecret, { scope: 'b' });
    await expectOAuthError(wide, 400, 'invalid_scope');
  });
});

describe('regenerate, disable, delete: the pair stops minting, earlier sessions stay valid', () => {
  let accountId: string;
  let witness: KeyWithSecret;
  let productionWitness: KeyWithSecret;
  beforeAll(async () => {
    accountId = (await createAccount()).id;
    // Introspection needs an active key of the same account and environment.
    witness = await createKey(accountId, { environment: 'sandbox' });
    productionWitness = await createKey(accountId, { environment: 'production' });
  });

  it('regenerates a new pair under the same id; the old pair is refused, its token still valid', async () => {
    const key = await createKey(accountId, { environment: 'sandbox', scopes: ['a'] });
    const before = await mint('sandbox', key);
    const response = await admin('POST', `/accounts/${accountId}/keys/${key.id}/regenerate`);
    expect(response.status).toBe(200);
    const regenerated = (await response.json()) as KeyWithSecret;
    expect(regenerated.id).toBe(key.id);
    expect(regenerated.applicationId).not.toBe(key.applicationId);
    expect(regenerated.applicationSecret).not.toBe(key.applicationSecret);

    await expectOAuthError(await exchange('sandbox', key.applicationId, key.applicationSecret), 401, 'invalid_client');
    expect(await mint('sandbox', regenerated)).not.toBe(before);
    expect(await verifies('sandbox', before)).toBe(true);
    expect(await introspect('sandbox', witness, before)).toMatchObject({ active: true, client_id: key.applicationId });
  });

  it('disables and enables a key; tokens minted before stay valid', async () => {
    const key = await createKey(accountId, { environment: 'sandbox' });
    const before = await mint('sandbox', key);
    const disabled = await admin('POST', `/accounts/${accountId}/keys/${key.id}/disable`);
    expect(await disabled.json()).toMatchObject({ id: key.id, status: 'disabled' });
    const refused = await exchange('sandbox', key.applicationId, key.applicationSecret);
    expect((await expectOAuthError(refused, 401, 'invalid_client')).error_description).toMatch(/disabled/);
    expect(await introspect('sandbox', witness, before)).toMatchObject({ active: true });
    expect((await tokenInfo('sandbox', before)).status).toBe(200);

    const enabled = await admin('POST', `/accounts/${accountId}/keys/${key.id}/enable`);
    expect(await enabled.json()).toMatchObject({ status: 'active' });
    await mint('sandbox', key);
  });

  it('deletes a key with 204; the pair is refused, its token still valid, the key gone', async () => {
    const key = await createKey(accountId, { environment: 'production' });
    const before = await mint('production', key);
    const deleted = await admin('DELETE', `/accounts/${accountId}/keys/${key.id}`);
    expect(deleted.status).toBe(204);
    await expectOAuthError(await exchange('production', key.applicationId, key.applicationSecret), 401, 'invalid_client');
    expect(await verifies('production', before)).toBe(true);
    expect(await introspect('production', productionWitness, before)).toMatchObject({ active: true });
    await expectProblem(await admin('GET', `/accounts/${accountId}/keys/${key.id}`), 404, 'not_found');
  });

  it("revokes every live session of a key on revoke-sessions (in the key's Durable Object)", async () => {
    const key = await createKey(accountId, { environment: 'production', scopes: ['a', 'b'] });
    const tokens = [await mint('production', key, { scope: 'a' }), await mint('production', key, { scope: 'b' })];
    const response = await admin('POST', `/accounts/${accountId}/keys/${key.id}/revoke-sessions`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ key: { id: key.id }, revokedSessions: 2 });
    for (const token of tokens) {
      expect(await introspect('production', productionWitness, token)).toEqual({ active: false });
      await expectOAuthError(await tokenInfo('production', token), 401, 'invalid_token');
    }
    // The key itself still mints, and not from the (forgotten) issuance cache.
    expect(tokens).not.toContain(await mint('production', key, { scope: 'a' }));
  });

  it('deletes a key and revokes its live sessions in one call with ?revokeSessions=true', async () => {
    const key = await createKey(accountId, { environment: 'production' });
    const token = await mint('production', key);
    const deleted = await admin('DELETE', `/accounts/${accountId}/keys/${key.id}?revokeSessions=true`);
    expect(deleted.status).toBe(204);
    expect(await introspect('production', productionWitness, token)).toEqual({ active: false });
  });

  it('records every change in the audit log, newest first', async () => {
    const body = (await (await admin('GET', `/accounts/${accountId}/operations?limit=100`)).json()) as {
      items: { id: string; action: string; actor: string; environment: string | null }[];
    };
    const actions = body.items.map((operation) => operation.action);
    expect(actions).toEqual(
      expect.arrayContaining(['key.created', 'key.regenerated', 'key.disabled', 'key.enabled', 'key.deleted', 'key.sessions_revoked']),
    );
    expect(actions.at(-1)).toBe('account.created');
    expect(body.items.every((operation) => operation.actor === 'root')).toBe(true);
  });
});

describe('environment isolation', () => {
  it('keeps keys, sessions and signing keys of sandbox and production apart', async () => {
    const account = await createAccount();
    const sandbox = await createKey(account.id, { environment: 'sandbox' });
    const production = await createKey(account.id, { environment: 'production' });
    expect(production.applicationId).toMatch(/^app_prd_/);

    const crossed = await exchange('production', sandbox.applicationId, sandbox.applicationSecret);
    expect((await expectOAuthError(crossed, 401, 'invalid_client')).error_description).toMatch(/sandbox/);
    const token = await mint('sandbox', sandbox);
    expect(await verifies('production', token)).toBe(false);
    expect(await introspect('production', production, token)).toEqual({ active: false });

    const listed = (await (await admin('GET', `/accounts/${account.id}/keys?environment=production`)).json()) as {
      items: { id: string }[];
    };
    expect(listed.items.map((key) => key.id)).toEqual([production.id]);
  });
});

describe('signing keys', () => {
  it('rotates an environment key; the retired public key stays published for tokens it signed', async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { environment: 'production' });
    const before = await mint('production', key);
    const rotated = await admin('POST', '/environments/production/signing-keys/rotate');
    expect(rotated.status).toBe(201);
    expect(await rotated.json()).toMatchObject({ status: 'active', kid: expect.any(String) });
    const listing = (await (await admin('GET', '/environments/production/signing-keys')).json()) as {
      items: { status: string }[];
    };
    expect(listing.items.filter((item) => item.status === 'active')).toHaveLength(1);
    expect(listing.items.some((item) => item.status === 'retired')).toBe(true);
    expect(await verifies('production', before)).toBe(true);
    expect(await verifies('production', await mint('production', key))).toBe(true);
  });

  it('answers 403 to account admins', async () => {
    const account = await createAccount();
    const manager = await createAdminToken(account.id, 'manager');
    await expectProblem(await admin('GET', '/environments/sandbox/signing-keys', undefined, manager), 403, 'forbidden');
  });
});

describe('unknown routes', () => {
  it('answers problem JSON 404 outside OAuth and an OAuth error inside it', async () => {
    await expectProblem(await call('/nowhere'), 404, 'not_found');
    await expectOAuthError(await call('/sandbox/oauth/nothing', { method: 'POST' }), 400, 'invalid_request');
  });
});
