// The KeyVersions contract's fixture on any Redis deployment: the store under test, a second client as another node,
// and the session store of the same client and prefix (which checks the marks).
import type { RedisClient } from '../../src/adapters/node/redis-client.js';
import { RedisKeyVersions } from '../../src/adapters/node/redis-key-versions.js';
import { RedisSessionStore } from '../../src/adapters/node/redis-session-store.js';
import type { StoreFixture } from '../../src/ports/testing/fixtures.js';
import type { KeyVersionsFixture } from '../../src/ports/testing/key-versions.suite.js';

/** `open` gives a fixture on a client of its own under a fresh prefix; `connect` a second client of the deployment. */
export async function redisKeyVersionsFixture(
  open: <Store>(build: (client: RedisClient, prefix: string) => Store) => Promise<StoreFixture<Store>>,
  connect: () => Promise<RedisClient>,
): Promise<KeyVersionsFixture> {
  const other = await connect();
  const opened = await open((client, prefix) => ({
    versions: new RedisKeyVersions(client, { prefix }),
    sessions: new RedisSessionStore(client, { prefix, clock: { now: () => Date.now() } }),
    prefix,
  }));
  return {
    ...opened,
    store: opened.store.versions,
    other: new RedisKeyVersions(other, { prefix: opened.store.prefix }),
    sessions: opened.store.sessions,
    // The former name, `km:{<env>:authfail:client:<applicationId>}:key-mark` (docs/storage.md), read as that release does.
    formerMark: async (environment, applicationId) =>
      (await other.get(`${opened.store.prefix}:{${environment}:authfail:client:${applicationId}}:key-mark`)) ?? '',
    dispose: async () => {
      await opened.dispose?.();
      other.disconnect();
    },
  };
}
