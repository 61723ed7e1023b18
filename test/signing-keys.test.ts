// Signing keys: scheduled rotation publishing the next key before anyone signs with it, the JWKS keeping retired keys
// exactly as long as tokens need them, and private keys sealed at rest with KEYMINT_KEK.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { JWKS_MAX_AGE_SECONDS, PUBLISH_AHEAD_MS } from '../src/core/keyring.js';
import { startGateway, type Gateway } from './support/gateway.js';

const DAY = 86_400_000;

async function jwks(gateway: Gateway): Promise<JSONWebKeySet> {
  return (await (await gateway.fetch('/sandbox/.well-known/jwks.json')).json()) as JSONWebKeySet;
}

describe('signing keys', () => {
  const open: Gateway[] = [];
  const directories: string[] = [];
  // A directory of our own outlives a gateway's close(), so a second gateway can restart on it.
  const keptDirectory = () => {
    directories.push(mkdtempSync(join(tmpdir(), 'keymint-keys-')));
    return directories.at(-1)!;
  };
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    while (directories.length) rmSync(directories.pop()!, { recursive: true, force: true });
  });

  it('rotate on schedule: the next key is published first, signs once its time comes, the old one stays published for a token lifetime', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const gateway = await startGateway({
      clock: { now: () => now },
      env: { KEYMINT_SIGNING_KEY_ROTATION_DAYS: '7', KEYMINT_SESSION_TTL: '600', KEYMINT_ISSUANCE_CACHE: 'false' },
    });
    open.push(gateway);
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'sandbox' });
    const before = await gateway.mint('sandbox', key);
    const oldKid = decodeProtectedHeader(before).kid;
    expect((await jwks(gateway)).keys.map((jwk) => jwk.kid)).toEqual([oldKid]);

    // Seven days and a bit later the next reload of the keyring publishes the next key; tokens keep the old one.
    now += 7 * DAY + 120_000;
    const publishedAt = now;
    expect(decodeProtectedHeader(await gateway.mint('sandbox', key)).kid).toBe(oldKid);
    const kidsNow = (await jwks(gateway)).keys.map((jwk) => jwk.kid);
    expect(kidsNow).toHaveLength(2);
    const newKid = kidsNow.find((kid) => kid !== oldKid)!;
    const pending = ((await (await gateway.admin('GET', '/environments/sandbox/signing-keys')).json()) as {
      items: { kid: string; status: string; activatesAt: string | null }[];
    }).items.find((item) => item.kid === newKid)!;
    expect(pending.status).toBe('pending');
    // In every JWKS at least the JWKS max-age plus 5 s before any node signs with it (SPEC §6).
    const activatesAt = Date.parse(pending.activatesAt!);
    expect(activatesAt - publishedAt).toBeGreaterThanOrEqual((JWKS_MAX_AGE_SECONDS + 5) * 1000);
    now = activatesAt - 1;
    expect(decodeProtectedHeader(await gateway.mint('sandbox', key)).kid).toBe(oldKid);
    now = activatesAt;
    const after = await gateway.mint('sandbox', key);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect((await jwks(gateway)).keys.map((jwk) => jwk.kid).sort()).toEqual([oldKid, newKid].sort());

    // A token the old key signed before rotation still verifies against the published set.
    const published = createLocalJWKSet(await jwks(gateway));
    const { payload } = await jwtVerify(before, published, { currentDate: new Date('2026-01-01T00:05:00Z') });
    expect(payload.sub).toBe(key.applicationId);

    // Once every token the old key signed has expired (lifetime + 60 s skew), it leaves the JWKS.
    now += 661_000 + 60_000;
    expect((await jwks(gateway)).keys.map((jwk) => jwk.kid)).toEqual([newKid]);
    const listed = await gateway.admin('GET', '/environments/sandbox/signing-keys');
    const items = ((await listed.json()) as { items: { kid: string; status: string }[] }).items;
    expect(items).toEqual([expect.objectContaining({ kid: newKid, status: 'active' })]);
  });

  it('seals private keys with KEYMINT_KEK and opens them again after a restart', async () => {
    const kek = Buffer.alloc(32, 7).toString('base64');
    const gateway = await startGateway({ directory: keptDirectory(), env: { KEYMINT_KEK: kek } });
    const account = await gateway.createAccount();
    const key = await gateway.createKey(account.id, { environment: 'production' });
    const token = await gateway.mint('production', key);
    const database = new Database(gateway.config.database, { readonly: true });
    const stored = database.prepare('select private_key from signing_keys').all() as { private_key: string }[];
    database.close();
    expect(stored.length).toBeGreaterThan(0);
    for (const row of stored) {
      expect(row.private_key).toMatch(/^v1\./);
      expect(row.private_key).not.toContain('"d"');
    }
    await gateway.close();

    // Same database, same KEK: the sealed key opens and keeps signing with the same kid.
    const again = await startGateway({ directory: gateway.directory, env: { KEYMINT_KEK: kek } });
    open.push(again);
    const second = await again.createKey(account.id, { environment: 'production' });
    expect(decodeProtectedHeader(await again.mint('production', second)).kid).toBe(decodeProtectedHeader(token).kid);
  });

  it('refuses to sign with a sealed key when the KEK is wrong', async () => {
    const gateway = await startGateway({
      directory: keptDirectory(),
      env: { KEYMINT_KEK: Buffer.alloc(32, 1).toString('base64') },
    });
    const account = await gateway.createAccount();
    await gateway.mint('sandbox', await gateway.createKey(account.id, { environment: 'sandbox' }));
    await gateway.close();

    const wrong = await startGateway({ directory: gateway.directory, env: { KEYMINT_KEK: Buffer.alloc(32, 2).toString('base64') } });
    open.push(wrong);
    const key = await wrong.createKey(account.id, { environment: 'sandbox' });
    const response = await wrong.exchange('sandbox', key.applicationId, key.applicationSecret);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'server_error', error_description: 'internal error' });
    expect(wrong.logs.join('')).toContain('cannot be opened with this KEYMINT_KEK');
  });

  it('audits every rotation once: the schedule as "scheduler" however many processes find the key due, a manual one as root', async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const clock = { now: () => now };
    const env = { KEYMINT_SIGNING_KEY_ROTATION_DAYS: '7', KEYMINT_ISSUANCE_CACHE: 'false' };
    const first = await startGateway({ directory: keptDirectory(), clock, env });
    open.push(first);
    const second = await startGateway({ directory: first.directory, clock, env });
    open.push(second);
    const account = await first.createAccount();
    const key = await first.createKey(account.id, { environment: 'sandbox' });
    await Promise.all([first.mint('sandbox', key), second.mint('sandbox', key)]);

    // Both processes reload past the due date at once: one next key published; both sign with it once its time comes;
    // one rotation, one entry.
    now += 7 * DAY + 120_000;
    await Promise.all([first.mint('sandbox', key), second.mint('sandbox', key)]);
    expect((await jwks(first)).keys).toHaveLength(2);
    expect(await jwks(second)).toEqual(await jwks(first));
    now += PUBLISH_AHEAD_MS;
    const minted = await Promise.all([first.mint('sandbox', key), second.mint('sandbox', key)]);
    expect(new Set(minted.map((token) => decodeProtectedHeader(token).kid)).size).toBe(1);
    expect((await jwks(first)).keys.map((jwk) => jwk.kid)).toContain(decodeProtectedHeader(minted[0]!).kid);
    expect((await first.admin('POST', '/environments/sandbox/signing-keys/rotate')).status).toBe(201);

    const database = new Database(first.config.database, { readonly: true });
    const audited = database
      .prepare("select environment, account_id, actor, at from operations where action = 'signing_key.rotated' order by id")
      .all();
    database.close();
    expect(audited).toEqual([
      { environment: 'sandbox', account_id: null, actor: 'scheduler', at: now },
      { environment: 'sandbox', account_id: null, actor: 'root', at: now },
    ]);
  });
});
