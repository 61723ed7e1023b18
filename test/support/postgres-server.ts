// A real PostgreSQL for the test run: initdb into a temp dir, one server on a free loopback port, a role with a password.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './redis-server.js';
import { runCommand, startOnFreePorts, waitForOutput } from './processes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://keymint:…@127.0.0.1:<port>/keymint, or null when PostgreSQL is not installed (and not required). */
    postgresUrl: string | null;
  }
}

const ROOT = '/usr/lib/postgresql';
export const POSTGRES_USER = 'keymint';
const POSTGRES_PASSWORD = 'keymint-test-password';
const READY = 'database system is ready to accept connections';

/**
 * Debian's server binaries (`postgresql-NN`: /usr/lib/postgresql/NN/bin), the newest version ≥ 13. Not PATH:
 * a machine may hold other builds there that CI does not have.
 */
export function findPostgresBin(): string | null {
  if (!existsSync(ROOT)) return null;
  const versions = readdirSync(ROOT)
    .filter((name) => /^\d+$/.test(name) && Number(name) >= 13)
    .filter((name) => ['initdb', 'postgres', 'psql'].every((tool) => existsSync(join(ROOT, name, 'bin', tool))))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(ROOT, versions[0], 'bin') : null;
}

/** PostgreSQL refuses to run as root: under root, its processes run as the `postgres` account. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres account to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostgresServer {
  /** postgres://keymint:…@127.0.0.1:<port>/keymint (the role may create databases). */
  url: string;
  port: number;
  /** Stops the server (fast shutdown); the data stay for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, after stop() or a kill. */
  start(): Promise<void>;
  /** The server's main process (to kill it in a fault test). */
  process(): ChildProcess;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/** initdb, start on a free loopback port, create the `keymint` role and database; ~2 s. */
export async function startPostgresServer(bin = findPostgresBin()): Promise<PostgresServer> {
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql-15)');
  const account = serverAccount();
  const directory = mkdtempSync(join(tmpdir(), 'keymint-pg-'));
  if (account) chownSync(directory, account.uid, account.gid);
  const data = join(directory, 'data');
  const env = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  const major = Number(/\/(\d+)\/bin$/.exec(bin)?.[1] ?? 0);
  // An ICU en-US default collation sorts 'a' before 'B', as production databases (en_US.UTF-8) do; stores
  // whose ordering must be byte order have to say COLLATE "C", and these tests would notice if they forgot.
  const locale = major >= 15 ? ['--locale-provider=icu', '--icu-locale=en-US', '--locale=C.UTF-8'] : ['--locale=C.UTF-8'];
  await runCommand(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', ...locale, '--no-sync', '--no-instructions'],
    { env, ...account },
  );

  const port = await freePort();
  let child: ChildProcess | undefined;
  async function start() {
    child = spawn(
      join(bin!, 'postgres'),
      // fsync off: nothing survives a machine crash, but a killed server loses no committed row (the OS has it).
      ['-D', data, '-p', String(port), '-k', directory, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
      { env, stdio: ['ignore', 'ignore', 'pipe'], ...account },
    );
    await waitForOutput(child, child.stderr!, READY, 20_000, 'postgres');
  }
  async function stop() {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }

  try {
    await start();
    await runCommand(
      join(bin, 'psql'),
      ['-h', directory, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q',
        '-c', `create role ${POSTGRES_USER} login createdb password '${POSTGRES_PASSWORD}'`,
        '-c', `create database ${POSTGRES_USER} owner ${POSTGRES_USER}`],
      { env },
    );
  } catch (error) {
    await stop();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/${POSTGRES_USER}`,
    port,
    stop,
    start,
    process: () => child!,
    async destroy() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The global-setup part: provides `postgresUrl` (null when absent and KEYMINT_REQUIRE_POSTGRES is not 1). */
export async function setupPostgres(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const bin = findPostgresBin();
  if (!bin) {
    if (process.env.KEYMINT_REQUIRE_POSTGRES === '1') {
      throw new Error('KEYMINT_REQUIRE_POSTGRES=1 but PostgreSQL is not installed (apt-get install -y postgresql-15)');
    }
    console.warn('PostgreSQL not found: PostgreSQL tests are skipped (set KEYMINT_REQUIRE_POSTGRES=1 to fail instead)');
    project.provide('postgresUrl', null);
    return undefined;
  }
  const server = await startOnFreePorts('PostgreSQL', () => startPostgresServer(bin));
  project.provide('postgresUrl', server.url);
  return () => server.destroy();
}
