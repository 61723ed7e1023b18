// The SessionStore contract: records that end at their exp, revocation, the per-key index, the issuance cache, outages.
import { describe, expect, it } from 'vitest';
import { newSessionId } from '../session-ids.js';
import type { IssuanceSlot, IssuedToken, SessionRecord, SessionStore } from '../session-store.js';
import { advancePast, expectUnavailable, nextId, openFixtures, type ContractClock, type StoreFixture } from './fixtures.js';

export type SessionStoreFixture = StoreFixture<SessionStore>;

const seconds = (clock: ContractClock) => Math.floor(clock.now() / 1000);

/**
 * A deadline (seconds, as in the token) between 0.3 and 1.3 s away: far enough for the writes and reads
 * before it, near enough that a backend on the real clock (Redis) is waited for only briefly.
 */
const soon = (clock: ContractClock) => Math.ceil((clock.now() + 300) / 1000);

/** A record as the core makes one: its jti made for its key (`newSessionId`). */
function session(clock: ContractClock, overrides: Partial<Omit<SessionRecord, 'jti'>> = {}): SessionRecord {
  const iat = seconds(clock);
  const keyId = overrides.keyId ?? 'key_a';
  return {
    jti: newSessionId(keyId),
    applicationId: 'app_sbx_contract',
    keyId,
    accountId: 'acct_a',
    scope: 'orders:read',
    aud: 'https://keymint.example/sandbox/api',
    iat,
    exp: iat + 3600,
    revoked: false,
    ...overrides,
  };
}

function issue(record: SessionRecord, slot: string, reuseUntil = record.iat + 1800) {
  const token: IssuedToken = { token: `jwt.for.${record.jti}`, jti: record.jti, scope: record.scope, iat: record.iat, exp: record.exp };
  return { slot: { keyId: record.keyId, slot } satisfies IssuanceSlot, token, reuseUntil };
}

/**
 * Declares the SessionStore contract against stores from `factory`, one fresh fixture per test (a fresh
 * namespace is enough: tests use fixed key ids within it).
 */
export function describeSessionStoreContract(name: string, factory: () => SessionStoreFixture | Promise<SessionStoreFixture>): void {
  describe(`SessionStore contract: ${name}`, () => {
    const open = openFixtures(factory);

    it('saves a session and reads it back, in its environment only', async () => {
      const { store, clock } = await open();
      const record = session(clock);
      await store.saveSession('sandbox', record);
      expect(await store.getSession('sandbox', record.jti)).toEqual(record);
      expect(await store.getSession('production', record.jti)).toBeNull();
      expect(await store.getSession('sandbox', newSessionId('key_a'))).toBeNull();
      // An id without a partition (a token minted before session ids had one) is simply unknown here.
      expect(await store.getSession('sandbox', nextId('jti_'))).toBeNull();
    });

    it('revokes one session: kept and marked revoked, the others of its key untouched; unknown ones are false', async () => {
      const { store, clock } = await open();
      const record = session(clock);
      const sibling = session(clock);
      await store.saveSession('sandbox', record);
      await store.saveSession('sandbox', sibling);
      expect(await store.revokeSession('sandbox', record.jti)).toBe(true);
      expect(await store.getSession('sandbox', record.jti)).toEqual({ ...record, revoked: true });
      expect(await store.getSession('sandbox', sibling.jti)).toEqual(sibling);
      // Revoking again still finds it.
      expect(await store.revokeSession('sandbox', record.jti)).toBe(true);
      expect(await store.revokeSession('sandbox', newSessionId('key_a'))).toBe(false);
      expect(await store.revokeSession('sandbox', nextId('jti_'))).toBe(false);
      expect(await store.revokeSession('production', sibling.jti)).toBe(false);
      expect(await store.getSession('sandbox', sibling.jti)).toEqual(sibling);
    });

    it('forgets sessions at their exp, revoked or not, after which they cannot be revoked', async () => {
      const { store, clock } = await open();
      const ending = session(clock, { exp: soon(clock) });
      const revoked = session(clock, { exp: soon(clock) });
      const lasting = session(clock);
      for (const record of [ending, revoked, lasting]) await store.saveSession('sandbox', record);
      expect(await store.revokeSession('sandbox', revoked.jti)).toBe(true);
      expect(await store.getSession('sandbox', ending.jti)).toEqual(ending);
      // A revoked session stays readable as revoked until it would have expired.
      expect(await store.getSession('sandbox', revoked.jti)).toEqual({ ...revoked, revoked: true });

      await advancePast(clock, ending.exp * 1000);
      expect(await store.getSession('sandbox', ending.jti)).toBeNull();
      expect(await store.getSession('sandbox', revoked.jti)).toBeNull();
      expect(await store.revokeSession('sandbox', ending.jti)).toBe(false);
      expect(await store.getSession('sandbox', lasting.jti)).toEqual(lasting);
    });

    it('revokes every live session of a key and returns how many it revoked', async () => {
      const { store, clock } = await open();
      const live = [session(clock), session(clock), session(clock, { scope: 'orders:write' })];
      const alreadyRevoked = session(clock);
      const otherKey = session(clock, { keyId: 'key_b' });
      const otherEnvironment = session(clock);
      for (const record of [...live, alreadyRevoked, otherKey]) await store.saveSession('sandbox', record);
      await store.saveSession('production', otherEnvironment);
      await store.revokeSession('sandbox', alreadyRevoked.jti);

      expect(await store.revokeKeySessions('sandbox', 'key_a')).toBe(3);
      for (const record of live) expect(await store.getSession('sandbox', record.jti)).toEqual({ ...record, revoked: true });
      expect(await store.getSession('sandbox', otherKey.jti)).toEqual(otherKey);
      expect(await store.getSession('production', otherEnvironment.jti)).toEqual(otherEnvironment);
      expect(await store.revokeKeySessions('sandbox', 'key_a')).toBe(0);
      expect(await store.revokeKeySessions('sandbox', 'key_unknown')).toBe(0);

      // Sessions minted afterwards are live, and the next call finds them.
      const later = session(clock);
      await store.saveSession('sandbox', later);
      expect(await store.getSession('sandbox', later.jti)).toEqual(later);
      expect(await store.revokeKeySessions('sandbox', 'key_a')).toBe(1);
    });

    it("keeps a key's session index as long as its longest-lived session, whatever order they were saved in", async () => {
      const { store, clock } = await open();
      const long = session(clock);
      const short = session(clock, { exp: soon(clock) });
      await store.saveSession('sandbox', long);
      await store.saveSession('sandbox', short);

      await advancePast(clock, short.exp * 1000);
      // The expired session is not counted; the long-lived one saved before it is still found.
      expect(await store.revokeKeySessions('sandbox', 'key_a')).toBe(1);
      expect(await store.getSession('sandbox', long.jti)).toEqual({ ...long, revoked: true });
    });

    it('offers the token saved for a slot until its reuse deadline', async () => {
      const { store, clock } = await open();
      const record = session(clock);
      const issued = issue(record, 'app_sbx_contract aud orders:read', soon(clock));
      await store.saveSession('sandbox', record, issued);
      expect(await store.findIssued('sandbox', issued.slot)).toEqual(issued.token);

      await advancePast(clock, issued.reuseUntil * 1000);
      expect(await store.findIssued('sandbox', issued.slot)).toBeNull();
      // The session itself lives on until its exp.
      expect(await store.getSession('sandbox', record.jti)).toEqual(record);
    });

    it('keeps issuance slots apart by key, by slot (application, audience, scope) and by environment', async () => {
      const { store, clock } = await open();
      const read = session(clock);
      const write = session(clock, { scope: 'orders:write' });
      const readSlot = issue(read, 'app_sbx_contract aud orders:read');
      const writeSlot = issue(write, 'app_sbx_contract aud orders:write');
      await store.saveSession('sandbox', read, readSlot);
      await store.saveSession('sandbox', write, writeSlot);

      expect(await store.findIssued('sandbox', readSlot.slot)).toEqual(readSlot.token);
      expect(await store.findIssued('sandbox', writeSlot.slot)).toEqual(writeSlot.token);
      expect(await store.findIssued('sandbox', { keyId: 'key_b', slot: readSlot.slot.slot })).toBeNull();
      expect(await store.findIssued('sandbox', { keyId: 'key_a', slot: 'app_sbx_contract other-aud orders:read' })).toBeNull();
      expect(await store.findIssued('production', readSlot.slot)).toBeNull();
      // A session saved without a token for reuse leaves the cache as it was.
      await store.saveSession('sandbox', session(clock));
      expect(await store.findIssued('sandbox', readSlot.slot)).toEqual(readSlot.token);
    });

    it("replaces a slot's token with the newer one saved for it", async () => {
      const { store, clock } = await open();
      const first = session(clock);
      const second = session(clock);
      await store.saveSession('sandbox', first, issue(first, 'slot'));
      await store.saveSession('sandbox', second, issue(second, 'slot'));
      expect(await store.findIssued('sandbox', { keyId: 'key_a', slot: 'slot' })).toEqual(issue(second, 'slot').token);
    });

    it('forgets every reusable token of a key when one of its sessions is revoked', async () => {
      const { store, clock } = await open();
      const [a, b] = [session(clock), session(clock, { scope: 'orders:write' })];
      const other = session(clock, { keyId: 'key_b' });
      await store.saveSession('sandbox', a!, issue(a!, 'read'));
      await store.saveSession('sandbox', b!, issue(b!, 'write'));
      await store.saveSession('sandbox', other, issue(other, 'read'));

      expect(await store.revokeSession('sandbox', a!.jti)).toBe(true);
      expect(await store.findIssued('sandbox', { keyId: 'key_a', slot: 'read' })).toBeNull();
      expect(await store.findIssued('sandbox', { keyId: 'key_a', slot: 'write' })).toBeNull();
      expect(await store.findIssued('sandbox', { keyId: 'key_b', slot: 'read' })).toEqual(issue(other, 'read').token);
    });

    it('forgets every reusable token of a key when all its sessions are revoked', async () => {
      const { store, clock } = await open();
      const record = session(clock);
      const other = session(clock, { keyId: 'key_b' });
      await store.saveSession('sandbox', record, issue(record, 'read'));
      await store.saveSession('sandbox', other, issue(other, 'read'));

      expect(await store.revokeKeySessions('sandbox', 'key_a')).toBe(1);
      expect(await store.findIssued('sandbox', { keyId: 'key_a', slot: 'read' })).toBeNull();
      expect(await store.findIssued('sandbox', { keyId: 'key_b', slot: 'read' })).toEqual(issue(other, 'read').token);
    });

    it('raises StoreUnavailableError naming the store from every operation while its backend is down', async (context) => {
      const fixture = await open();
      if (!fixture.outage) return context.skip('this backend cannot be made unavailable');
      const { store, clock, outage } = fixture;
      const record = session(clock);
      await store.saveSession('sandbox', record);
      await outage.begin();

      await expectUnavailable(store.saveSession('sandbox', session(clock), issue(record, 'read')), outage.store);
      await expectUnavailable(store.getSession('sandbox', record.jti), outage.store);
      await expectUnavailable(store.revokeSession('sandbox', record.jti), outage.store);
      await expectUnavailable(store.revokeKeySessions('sandbox', 'key_a'), outage.store);
      await expectUnavailable(store.findIssued('sandbox', { keyId: 'key_a', slot: 'read' }), outage.store);
    });
  });
}
