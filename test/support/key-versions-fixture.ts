// The KeyVersions contract's fixture on any Redis deployment: the store under test and a second client as another node.
import type { RedisClient } from '../../src/adapters/node/redis-client.js';
import { RedisKeyVersions } from '../../src/adapters/node/redis-key-versions.js';
import type { StoreFixture } from '../../src/ports/testing/fixtures.js';
import type { KeyVersionsFixture } from '../../src/ports/testing/key-versions.suite.js';

/** `open` gives a fixture on a client of its own under a fresh prefix; `connect` a second client of the deployment. */
export async function redisKeyVersionsFixture(
  open: <Store>(build: (client: RedisClient, prefix: string) => Store) => Promise<StoreFixture<Store>>,
  connect: () => Promise<RedisClient>,
): Promise<KeyVersionsFixture> {
  const other = await connect();
  const opened = await open((client, prefix) => ({ versions: new RedisKeyVersions(client, { prefix }), prefix }));
  return {
    ...opened,
    store: opened.store.versions,
    other: new RedisKeyVersions(other, { prefix: opened.store.prefix }),
    dispose: async () => {
      await opened.dispose?.();
      other.disconnect();
    },
  };
}
