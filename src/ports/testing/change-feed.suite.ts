// The ChangeFeed contract: a node hears every other node's change, never its own; health is proven; an outage is
// announced as `everything` both when it starts and when it ends, and what could not be sent goes out afterwards.
import { describe, expect, it } from 'vitest';
import type { Change, ChangeFeed, ChangeNotice } from '../change-feed.js';

export interface ChangeFeedFixture {
  /** Two nodes' feeds over one medium (one Redis, one cluster, one in-process bus). */
  nodes: [ChangeFeed, ChangeFeed];
  /** Cuts the first node off the medium (its connections dropped, new ones refused), and lets it back. */
  outage: { begin(): void | Promise<void>; end(): void | Promise<void> };
  dispose(): void | Promise<void>;
}

/** Polls `check` until it holds, or fails after `timeoutMs` with `what`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function recorder(feed: ChangeFeed): ChangeNotice[] {
  const heard: ChangeNotice[] = [];
  feed.subscribe((notice) => heard.push(notice));
  return heard;
}

const changes: Change[] = [
  { kind: 'key', keyId: 'key_0123' },
  { kind: 'key-sessions', keyId: 'key_0123' },
  { kind: 'admin-token', tokenId: 'adm_0123' },
  { kind: 'signing-keys', environment: 'production' },
];

/** Declares the ChangeFeed contract against fixtures from `factory`, one fresh fixture per test. */
export function describeChangeFeedContract(name: string, factory: () => Promise<ChangeFeedFixture>): void {
  describe(`ChangeFeed contract: ${name}`, () => {
    async function withFixture(test: (fixture: ChangeFeedFixture) => Promise<void>) {
      const fixture = await factory();
      try {
        await eventually(() => fixture.nodes.every((feed) => feed.healthy()), 'both feeds are healthy');
        await test(fixture);
      } finally {
        await fixture.dispose();
      }
    }

    it('delivers every kind of change to the other node, in order, and not back to the one that made it', () =>
      withFixture(async ({ nodes: [a, b] }) => {
        const [heardByA, heardByB] = [recorder(a), recorder(b)];
        for (const change of changes) await a.publish(change);
        await eventually(() => heardByB.length >= changes.length, 'B heard all of them');
        expect(heardByB).toEqual(changes);
        await b.publish({ kind: 'key', keyId: 'key_back' });
        await eventually(() => heardByA.length >= 1, 'A heard B');
        expect(heardByA).toEqual([{ kind: 'key', keyId: 'key_back' }]);
        expect(heardByB).toEqual(changes);
      }));

    it('stops telling a listener once it unsubscribes, and keeps telling the others', () =>
      withFixture(async ({ nodes: [a, b] }) => {
        const gone: ChangeNotice[] = [];
        const unsubscribe = b.subscribe((notice) => gone.push(notice));
        const stays = recorder(b);
        unsubscribe();
        await a.publish({ kind: 'key', keyId: 'key_x' });
        await eventually(() => stays.length === 1, 'the remaining listener heard it');
        expect(gone).toEqual([]);
      }));

    it('is unhealthy through an outage, says `everything` as it starts and ends, and sends what waited', () =>
      withFixture(async ({ nodes: [a, b], outage }) => {
        const [heardByA, heardByB] = [recorder(a), recorder(b)];
        await outage.begin();
        // Within a second of the outage, A knows it may be missing changes.
        await eventually(() => !a.healthy(), 'A is unhealthy', 2_000);
        await eventually(() => heardByA.some((notice) => notice.kind === 'everything'), 'A heard `everything`', 2_000);
        const announcedDown = heardByA.length;

        // A change made elsewhere meanwhile never reaches A; one A makes meanwhile waits.
        await b.publish({ kind: 'key', keyId: 'key_missed' });
        await a.publish({ kind: 'signing-keys', environment: 'sandbox' });
        expect(b.healthy()).toBe(true);

        await outage.end();
        await eventually(() => a.healthy(), 'A is healthy again');
        // What A missed cannot be named: it hears `everything` again, after the subscription is back.
        expect(heardByA.slice(announcedDown)).toContainEqual({ kind: 'everything' });
        expect(heardByA).not.toContainEqual({ kind: 'key', keyId: 'key_missed' });
        await eventually(() => heardByB.some((notice) => notice.kind === 'signing-keys'), 'B heard what A sent late');
        expect(heardByB).toEqual([{ kind: 'signing-keys', environment: 'sandbox' }]);

        // And changes flow both ways again.
        await b.publish({ kind: 'key', keyId: 'key_after' });
        await eventually(() => heardByA.some((notice) => notice.kind === 'key'), 'A heard B after the outage');
        expect(heardByA.filter((notice) => notice.kind !== 'everything')).toEqual([{ kind: 'key', keyId: 'key_after' }]);
      }));
  });
}
