import { describe, expect, it } from 'vitest';
import type { KeyMatch, KeyRecord } from '../ports/key-store.js';
import type { KeyVersions } from '../ports/key-versions.js';
import { StoreUnavailableError } from '../ports/store-errors.js';
import { SECRET_KEY_DEFAULTS } from '../ports/testing/fixtures.js';
import { createKeyRows } from './key-rows.js';

function keyRecord(status: KeyRecord['status'] = 'active'): KeyRecord {
  return {
    ...SECRET_KEY_DEFAULTS,
    id: 'key_1',
    accountId: 'acct_1',
    environment: 'sandbox',
    name: 'partner',
    applicationId: 'app_sandbox_1',
    secretHash: 'h',
    scopes: ['read'],
    status,
    createdAt: 1,
    updatedAt: 1,
    lastUsedAt: null,
    expiresAt: null,
  } as KeyRecord;
}

/** Two nodes' view of one key store and one set of marks, as PostgreSQL and Redis give them. */
function world() {
  let row: KeyRecord | null = keyRecord();
  let mark = '';
  let marks = 0;
  let marksDown = false;
  const reads: string[] = [];
  let holdRead: Promise<void> | undefined;
  const keys = {
    async findKeyByApplicationId(applicationId: string): Promise<KeyMatch | null> {
      reads.push(applicationId);
      const seen = row && { key: row, pair: 'current' as const };
      await holdRead;
      return seen;
    },
  };
  const versions: KeyVersions = {
    async read() {
      if (marksDown) throw new StoreUnavailableError('redis', 'down');
      return mark;
    },
    async beginChange() {
      mark = `~v${++marks}`;
    },
    async change() {
      mark = `v${++marks}`;
    },
  };
  let now = 1_800_000_000_000;
  const rows = (maxAgeMs = 60_000) => createKeyRows({ keys, versions, clock: { now: () => now }, maxAgeMs: () => maxAgeMs, maxEntries: 100 });
  return {
    rows,
    reads,
    /** A change as markingKeyWrites makes it: marked changing, committed, then marked settled. */
    async change(next: KeyRecord | null, settle = true) {
      await versions.beginChange('key_1');
      row = next;
      if (settle) await versions.change('key_1');
    },
    hold(until: Promise<void>) {
      holdRead = until;
    },
    marksDown(down: boolean) {
      marksDown = down;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

const lookUp = (rows: ReturnType<ReturnType<typeof world>['rows']>) => rows.begin('app_sandbox_1')();

describe('key rows for the token endpoint', () => {
  it('reads the store for the first two requests on a node, then answers from the kept row while the mark is unchanged', async () => {
    const w = world();
    const rows = w.rows();
    for (let request = 0; request < 10; request++) expect((await lookUp(rows))?.key.status).toBe('active');
    // The first read learns the key id; the second reads the mark first and keeps the row.
    expect(w.reads).toHaveLength(2);
  });

  it('honours a change made through another node from the next request', async () => {
    const w = world();
    const [a, b] = [w.rows(), w.rows()];
    for (let request = 0; request < 3; request++) await lookUp(b);
    await w.change(keyRecord('disabled'));
    expect((await lookUp(b))?.key.status).toBe('disabled');
    expect((await lookUp(a))?.key.status).toBe('disabled');
    // Deleted: unknown from the next request, and forgotten.
    await w.change(null);
    expect(await lookUp(b)).toBeNull();
    expect(await lookUp(b)).toBeNull();
  });

  it('never keeps a row read before a change that was committed while the read was under way', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    // This request reads the mark, then its store read sees the old row and is slow to come back.
    let release!: () => void;
    w.hold(new Promise<void>((resolve) => (release = resolve)));
    const slow = lookUp(rows);
    await new Promise((resolve) => setTimeout(resolve, 5));
    w.hold(Promise.resolve());
    await w.change(keyRecord('disabled'));
    release();
    expect((await slow)?.key.status).toBe('active');
    // The row it kept has the mark from before the change: the next request reads again.
    expect((await lookUp(rows))?.key.status).toBe('disabled');
  });

  it('keeps no row while a change is under way, nor after one whose settled mark could not be set', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
    await lookUp(rows);
    await w.change(keyRecord('disabled'), false);
    const before = w.reads.length;
    for (let request = 0; request < 3; request++) expect((await lookUp(rows))?.key.status).toBe('disabled');
    expect(w.reads.length - before).toBe(3);
  });

  it('reads the store at every request while the marks cannot be read', async () => {
    const w = world();
    const rows = w.rows();
    await lookUp(rows);
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
    await lookUp(rows);
    let before = w.reads.length;
    rows.hear({ kind: 'key', keyId: 'key_1' });
    await lookUp(rows);
    expect(w.reads.length - before).toBe(1);
    await lookUp(rows);
    expect(w.reads.length - before).toBe(1);
    before = w.reads.length;
    w.advance(5_000);
    await lookUp(rows);
    expect(w.reads.length - before).toBe(1);
  });
});
