// What the Redis client wrapper decides without a server: when a Cluster script is sent again, and which errors
// prove a command never ran. (Scripts on a real Cluster: redis-session-store.test.ts, the conformance suites.)
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../ports/store-errors.js';
import { commandNeverRan, defineScript, guarded } from './redis-client.js';

type Call = [command: string, ...args: unknown[]];

/** A Cluster client that never connects, its EVALSHA and EVAL replaced by recorders. */
function recordingCluster(evalshaError: Error | undefined) {
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  const calls: Call[] = [];
  Object.assign(cluster, {
    evalsha: async (...args: unknown[]) => {
      calls.push(['evalsha', ...args]);
      if (evalshaError) throw evalshaError;
      return 'by sha';
    },
    eval: async (...args: unknown[]) => {
      calls.push(['eval', ...args]);
      return 'by text';
    },
  });
  opened.push(cluster);
  return { cluster: cluster as Cluster & { kmProbe(keys: number, ...rest: (string | number)[]): Promise<unknown> }, calls };
}

const opened: Cluster[] = [];
afterEach(() => {
  for (const cluster of opened.splice(0)) cluster.disconnect();
});

describe('defineScript on a Cluster', () => {
  it('sends EVALSHA with the number of keys, the keys and the arguments', async () => {
    const { cluster, calls } = recordingCluster(undefined);
    defineScript(cluster, 'kmProbe', 'return 1');
    expect(await cluster.kmProbe(2, '{a}:x', '{a}:y', 7)).toBe('by sha');
    expect(calls).toEqual([['evalsha', expect.stringMatching(/^[0-9a-f]{40}$/), 2, '{a}:x', '{a}:y', 7]]);
    // EVAL (the fallback) goes outside auto-pipelining, where the client follows redirections.
    expect(cluster.options.autoPipeliningIgnoredCommands).toContain('eval');
  });

  for (const answer of ['NOSCRIPT No matching script.', 'MOVED 3999 127.0.0.1:7001', 'ASK 3999 127.0.0.1:7001', 'TRYAGAIN Multiple keys request during rehashing of slot']) {
    it(`sends the script again as EVAL after ${answer.split(' ')[0]}`, async () => {
      const { cluster, calls } = recordingCluster(new Error(answer));
      defineScript(cluster, 'kmProbe', 'return 1');
      expect(await cluster.kmProbe(1, '{a}:x', 'arg')).toBe('by text');
      expect(calls.map(([command]) => command)).toEqual(['evalsha', 'eval']);
      expect(calls[1]).toEqual(['eval', 'return 1', 1, '{a}:x', 'arg']);
    });
  }

  it('does not send it again after an error that may come after it ran (a timeout)', async () => {
    const { cluster, calls } = recordingCluster(new Error('Command timed out'));
    defineScript(cluster, 'kmProbe', 'return 1');
    await expect(cluster.kmProbe(1, '{a}:x')).rejects.toThrow('Command timed out');
    expect(calls.map(([command]) => command)).toEqual(['evalsha']);
  });
});

describe('commandNeverRan', () => {
  const wrapped = (message: string) => new StoreUnavailableError('redis', message, { cause: new Error(message) });

  it('is true for a command the client never sent or the server refused before running it', () => {
    for (const message of [
      "Stream isn't writeable and enableOfflineQueue options is false",
      "Cluster isn't ready and enableOfflineQueue options is false",
      'MOVED 3999 127.0.0.1:7001',
      'CLUSTERDOWN The cluster is down',
      'LOADING Redis is loading the dataset in memory',
      "OOM command not allowed when used memory > 'maxmemory'.",
      "READONLY You can't write against a read only replica.",
    ]) {
      expect([message, commandNeverRan(wrapped(message))]).toEqual([message, true]);
    }
  });

  it('is false when the command may have run: a timeout, a connection lost after sending', () => {
    for (const message of ['Command timed out', 'Connection is closed.', 'read ECONNRESET']) {
      expect([message, commandNeverRan(wrapped(message))]).toEqual([message, false]);
    }
  });
});

describe('guarded on a Cluster', () => {
  function countingRefreshes() {
    const { cluster } = recordingCluster(undefined);
    let refreshes = 0;
    Object.assign(cluster, { refreshSlotsCache: () => void refreshes++ });
    return { cluster, refreshes: () => refreshes };
  }

  it('refreshes the slot map at once when a command comes back MOVED or ASK (inside an auto-pipeline)', async () => {
    const { cluster, refreshes } = countingRefreshes();
    for (const answer of ['MOVED 3999 127.0.0.1:7001', 'ASK 3999 127.0.0.1:7001']) {
      const error = await guarded(cluster, () => Promise.reject(new Error(answer))).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toBe(`redis: ${answer}`);
    }
    expect(refreshes()).toBe(2);
  });

  it('leaves the slot map alone for any other failure, and passes answers through', async () => {
    const { cluster, refreshes } = countingRefreshes();
    await expect(guarded(cluster, () => Promise.reject(new Error('Command timed out')))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await guarded(cluster, async () => 'OK')).toBe('OK');
    expect(refreshes()).toBe(0);
  });
});
