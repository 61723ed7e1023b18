import { describe, expect, it } from 'vitest';
import type { KeyChanges, KeyMatch, KeyRecord, KeyStore } from '../ports/key-store.js';
import type { KeyMark, KeyVersions } from '../ports/key-versions.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import { sampleKeyRecord } from '../ports/testing/fixtures.js';
import { ok } from '../shared/result.js';
import { createKeyRows, markingKeyWrites } from './key-rows.js';
import { silentLogger } from '../ports/runtime.js';



/** One key in a key store and the marks in a shared store, as PostgreSQL and Redis give every node. */
function world() {
  let row: KeyRecord | null = sampleKeyRecord();
  const marks = new Map<string, string>();
  /** The per-application-ID marks nodes of the release before read. */
  const formerMarks = new Map<string, string>();
  let markReads = 0;
  let sequence = 0;
  let marksDown = false;
  let settleFails = false;
  let beginHalfFails = false;
  const reads: string[] = [];
  let holdRead: Promise<void> | undefined;
  let holdWrite: Promise<void> | undefined;
  const holds = new Map<string, string>();
  const store = {
    async findKeyByApplicationId(applicationId: string): Promise<KeyMatch | null> {
      reads.push(applicationId);
      const current = row;
      const seen: KeyMatch | null =
        current?.applicationId === applicationId
          ? { key: current, pair: 'current' }
          : current?.previous?.applicationId === applicationId
            ? { key: current, pair: 'previous' }
            : null;
      await holdRead;
      return seen;
    },
    async getKey() {
      return row;
    },
    async updateKey(_accountId: string, _keyId: string, changes: KeyChanges) {
      await holdWrite;
      row = { ...row!, ...changes };
      return ok(row);
    },
    async deleteKey() {
      await holdWrite;
      row = null;
      return true;
    },
  } as unknown as KeyStore;
  const versions: KeyVersions = {
    async holdKey(keyId) {
      if (marksDown) throw new StoreUnavailableError('redis', 'down');
      if (holds.has(keyId)) return null;
      const token = `hold${++sequence}`;
      holds.set(keyId, token);
      return token;
    },
    async releaseKey(keyId, token) {
      if (holds.get(keyId) === token) holds.delete(keyId);
    },
    async read(environment, keyId) {
      markReads++;
      if (marksDown) throw new StoreUnavailableError('redis', 'down');
      return marks.get(`${environment} ${keyId}`) ?? '';
    },
    async beginChange(environment, keyId, applicationIds) {
      if (marksDown) throw new StoreUnavailableError('redis', 'down');
      marks.set(`${environment} ${keyId}`, `~${++sequence}`);
      // The key's name set, one of the former names' writes failed.
      if (beginHalfFails) throw new StoreUnavailableError('redis', 'one write of several failed');
      for (const id of applicationIds) formerMarks.set(id, `~${sequence}`);
    },
    async change(environment, keyId, applicationIds) {
      if (marksDown || settleFails) throw new StoreUnavailableError('redis', 'down');
      marks.set(`${environment} ${keyId}`, `${++sequence}`);
      for (const id of applicationIds) formerMarks.set(id, `${sequence}`);
    },
  };
  const writes = markingKeyWrites(store, versions, silentLogger);
  let now = 1_800_000_000_000;
  let reachable = true;
  const rows = (maxAgeMs = 60_000) =>
    createKeyRows({ keys: store, versions, clock: { now: () => now }, maxAgeMs: () => maxAgeMs, maxEntries: 100, storeReachable: () => reachable });
  return {
    rows,
    reads,
    formerMarks,
    markReads: () => markReads,
    /** A change as key management makes it, through markingKeyWrites. */
    update: (changes: Partial<KeyChanges>) => writes.updateKey('acct_1', 'key_1', { updatedAt: 2, ...changes }, undefined as never),
    remove: () => writes.deleteKey('acct_1', 'key_1', undefined as never),
    row: () => row,
    hold(until: Promise<void>) {
      holdRead = until;
    },
    holdWrites(until: Promise<void> | undefined) {
      holdWrite = until;
    },
    marksDown(down: boolean) {
      marksDown = down;
    },
    storeReachable(is: boolean) {
      reachable = is;
    },
    settleFails(fails: boolean) {
      settleFails = fails;
    },
    beginHalfFails(fails: boolean) {
      beginHalfFails = fails;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

type Rows = ReturnType<ReturnType<typeof world>['rows']>;
const lookUp = (rows: Rows, applicationId = 'app_sandbox_1') => rows.begin('sandbox', applicationId)();

describe('key rows for the token endpoint', () => {
  it('reads the store for the first request on a node, then answers from the kept row while the mark is unchanged', async () => {
    const w = world();
    const rows = w.rows();
    for (let request = 0; request < 10; request++) expect((await lookUp(rows))?.key.status).toBe('active');
    // The first request reads the row to learn its key, then the key's mark, then the row to keep.
    expect(w.reads).toHaveLength(2);
    expect(w.markReads()).toBe(10);
  });

  it('answers a kept row without any read when the caller checks the mark itself, and names that mark', async () => {
    const w = world();
    const rows = w.rows();
    await w.update({ name: 'marked' });
    await lookUp(rows);
    const [reads, markReads] = [w.reads.length, w.markReads()];
    const told: KeyMark[] = [];
    for (let request = 0; request < 5; request++) {
      expect((await rows.begin('sandbox', 'app_sandbox_1', (mark) => told.push(mark))())?.key.name).toBe('marked');
    }
    expect([w.reads.length - reads, w.markReads() - markReads]).toEqual([0, 0]);
    expect(told).toHaveLength(5);
    expect(told[0]!.keyId).toBe('key_1');
    expect(await rows.confirm('sandbox', told[0]!)).toBe(true);
  });

  it('confirms a kept row while its mark stands, and drops the key\'s rows once a change through another node moved it', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    let told: KeyMark | undefined;
    await rows.begin('sandbox', 'app_sandbox_1', (mark) => (told = mark))();
    await w.update({ status: 'disabled' });
    expect(await rows.confirm('sandbox', told!)).toBe(false);
    // Dropped: the next request, even one that would check the mark itself, gets the store's row.
    let toldAgain: KeyMark | undefined;
    expect((await rows.begin('sandbox', 'app_sandbox_1', (mark) => (toldAgain = mark))())?.key.status).toBe('disabled');
    expect(toldAgain).toBeUndefined();
    w.marksDown(true);
    expect(await rows.confirm('sandbox', told!)).toBe(false);
  });

  it('reads the mark first for a row not kept, or kept past its lifetime, even when the caller could check it', async () => {
    const w = world();
    const rows = w.rows(5_000);
    let told = 0;
    const begin = () => rows.begin('sandbox', 'app_sandbox_1', () => told++)();
    await begin();
    expect([told, w.markReads()]).toEqual([0, 1]);
    await begin();
    expect([told, w.markReads()]).toEqual([1, 1]);
    w.advance(5_000);
    await begin();
    expect([told, w.markReads()]).toEqual([1, 2]);
  });

  it('honours a change made through another node from the next request', async () => {
    const w = world();
    const [a, b] = [w.rows(), w.rows()];
    for (let request = 0; request < 3; request++) await lookUp(b);
    await w.update({ status: 'disabled' });
    expect((await lookUp(b))?.key.status).toBe('disabled');
    expect((await lookUp(a))?.key.status).toBe('disabled');
    await w.remove();
    expect(await lookUp(b)).toBeNull();
    expect(await lookUp(b)).toBeNull();
  });

  it('honours a roll and a regenerate under every application ID, and marks them all for the release before', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    // Rolled with overlap: the old ID is the previous pair's now.
    await w.update({ applicationId: 'app_sandbox_2', previous: { applicationId: 'app_sandbox_1', secretHash: 'h', expiresAt: 2e12 } as never });
    expect((await lookUp(rows))?.pair).toBe('previous');
    expect((await lookUp(rows, 'app_sandbox_2'))?.pair).toBe('current');
    // Disabled: both IDs refuse at once, from rows kept under either.
    await lookUp(rows, 'app_sandbox_2');
    await w.update({ status: 'disabled' });
    expect((await lookUp(rows))?.key.status).toBe('disabled');
    expect((await lookUp(rows, 'app_sandbox_2'))?.key.status).toBe('disabled');
    // Regenerated without overlap: the old IDs name nothing.
    await w.update({ applicationId: 'app_sandbox_3', previous: null });
    expect(await lookUp(rows)).toBeNull();
    expect(await lookUp(rows, 'app_sandbox_2')).toBeNull();
    // Nodes of the release before keep rows by application ID: each ID the key answered to was marked settled.
    expect([...w.formerMarks.keys()].sort()).toEqual(['app_sandbox_1', 'app_sandbox_2', 'app_sandbox_3']);
    for (const mark of w.formerMarks.values()) expect(mark.startsWith('~')).toBe(false);
  });

  // Hostile review: a delete that read the key before a regenerate moved its ID marked only the old ID, and a node
  // kept accepting the new one after the delete was answered.
  it('takes changes to one key in turns, so a delete during a regenerate marks the ID the regenerate made', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    let release!: () => void;
    w.holdWrites(new Promise<void>((resolve) => (release = resolve)));
    const regenerated = w.update({ applicationId: 'app_sandbox_2' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const deleted = w.remove();
    await new Promise((resolve) => setTimeout(resolve, 5));
    w.holdWrites(undefined);
    release();
    await regenerated;
    // Between the two changes a node keeps the regenerated row.
    expect((await lookUp(rows, 'app_sandbox_2'))?.key.applicationId).toBe('app_sandbox_2');
    expect(await deleted).toBe(true);
    expect(w.row()).toBeNull();
    expect(await lookUp(rows, 'app_sandbox_2')).toBeNull();
  });

  it('never keeps a row read before a change that was committed while the read was under way', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    await w.update({ name: 'renamed' });
    // This request reads the mark, then its store read sees the row before the next change and is slow to come back.
    let release!: () => void;
    w.hold(new Promise<void>((resolve) => (release = resolve)));
    const slow = lookUp(rows);
    await new Promise((resolve) => setTimeout(resolve, 5));
    w.hold(Promise.resolve());
    await w.update({ status: 'disabled' });
    release();
    expect((await slow)?.key.status).toBe('active');
    expect((await lookUp(rows))?.key.status).toBe('disabled');
  });

  it('refuses a change, nothing written, when the marks cannot be set first', async () => {
    const w = world();
    w.marksDown(true);
    await expect(w.update({ status: 'disabled' })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(w.row()?.status).toBe('active');
  });

  it('settles the marks a refused change did set, so its key is kept again rather than read at every request', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    w.beginHalfFails(true);
    await expect(w.update({ status: 'disabled' })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(w.row()?.status).toBe('active');
    w.beginHalfFails(false);
    await lookUp(rows);
    const before = w.reads.length;
    for (let request = 0; request < 3; request++) expect((await lookUp(rows))?.key.status).toBe('active');
    expect(w.reads.length - before).toBe(0);
  });

  it('keeps no row for a key whose change could not settle its marks', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    w.settleFails(true);
    await w.update({ status: 'disabled' });
    const before = w.reads.length;
    for (let request = 0; request < 3; request++) expect((await lookUp(rows))?.key.status).toBe('disabled');
    expect(w.reads.length - before).toBe(3);
  });

  // SPEC §6: PostgreSQL down gives 503 on minting; a kept row must not hide that.
  it('reads the store at every request while the store is unreachable, so minting fails as without kept rows', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    const before = w.reads.length;
    w.storeReachable(false);
    await lookUp(rows);
    await lookUp(rows);
    expect(w.reads.length - before).toBe(2);
    w.storeReachable(true);
    await lookUp(rows);
    expect(w.reads.length - before).toBe(2);
  });

  it('reads the store at every request while the marks cannot be read', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    const before = w.reads.length;
    w.marksDown(true);
    for (let request = 0; request < 3; request++) expect((await lookUp(rows))?.key.status).toBe('active');
    expect(w.reads.length - before).toBe(3);
  });

  it('drops a row on its change notice and after its lifetime', async () => {
    const w = world();
    const rows = w.rows(5_000);
    await lookUp(rows);
    let before = w.reads.length;
    rows.hear({ kind: 'key', keyId: 'key_1' });
    await lookUp(rows);
    await lookUp(rows);
    // Dropped: read as on a node's first request (the key, then the row to keep).
    expect(w.reads.length - before).toBe(2);
    before = w.reads.length;
    w.advance(5_000);
    await lookUp(rows);
    // Past its lifetime the row still names its key, whose mark is read first: one read of the row.
    expect(w.reads.length - before).toBe(1);
  });
});
