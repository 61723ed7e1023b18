// Separate hosts on one machine for tests: each a network namespace (`ip netns`) with its own veth link to a bridge
// in the test's namespace, so what runs in it reaches the test's servers over an address of that link, never
// over a loopback both share. Needs root (CAP_NET_ADMIN) and iproute2.
import { spawnSync } from 'node:child_process';
import { randomBase62 } from '../../src/shared/encoding.js';
import { runCommand } from './processes.js';

export interface NamespaceHost {
  /** Its address on the bridge. */
  address: string;
  /** Runs a command inside it: `[...prefix, command, ...args]`. */
  prefix: string[];
}

export interface NamespaceHosts {
  /** The test's own address on the bridge (servers meant for the hosts listen on it). */
  bridgeAddress: string;
  hosts: NamespaceHost[];
  /** Deletes the namespaces (their veth links go with them) and the bridge; safe to call after a failed create. */
  remove(): Promise<void>;
}

/** Null when network namespaces can be made here, else why not (not root, no iproute2, a container without them). */
export function networkNamespacesUnavailable(): string | null {
  const name = `keymint-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (added.error) return `cannot run ip (${added.error.message}; apt-get install -y iproute2)`;
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return null;
}

const ip = (...args: string[]) => runCommand('ip', args);

/** `count` hosts on a bridge of their own in 10.213.<random>.0/24; the test is .1, the hosts .2, .3, … */
export async function createNamespaceHosts(count: number): Promise<NamespaceHosts> {
  // Interface names are at most 15 bytes.
  const id = randomBase62(5).toLowerCase();
  const subnet = `10.213.${Math.floor(Math.random() * 256)}`;
  const bridge = `kmbr${id}`;
  const names = Array.from({ length: count }, (_, i) => `keymint-${id}-${i}`);
  const made: string[] = [];
  const links: string[] = [];
  let bridgeMade = false;
  const remove = async () => {
    for (const name of made.splice(0)) await ip('netns', 'del', name).catch(() => undefined);
    // A link moved into a namespace went with it; one still here (a create that failed half-way) goes now.
    for (const link of links.splice(0)) await ip('link', 'del', link).catch(() => undefined);
    if (bridgeMade) await ip('link', 'del', bridge).catch(() => undefined);
    bridgeMade = false;
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    bridgeMade = true;
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const hosts: NamespaceHost[] = [];
    for (const [i, name] of names.entries()) {
      const link = `km${id}${i}`;
      await ip('netns', 'add', name);
      made.push(name);
      const inside = ['netns', 'exec', name, 'ip'];
      await ip(...inside, 'link', 'set', 'lo', 'up');
      links.push(link);
      await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`);
      await ip('link', 'set', `${link}p`, 'netns', name);
      await ip('link', 'set', link, 'master', bridge);
      await ip('link', 'set', link, 'up');
      const address = `${subnet}.${i + 2}`;
      await ip(...inside, 'addr', 'add', `${address}/24`, 'dev', `${link}p`);
      await ip(...inside, 'link', 'set', `${link}p`, 'up');
      hosts.push({ address, prefix: ['ip', 'netns', 'exec', name] });
    }
    return { bridgeAddress: `${subnet}.1`, hosts, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
