// A real keymint process (`node --import tsx src/runtime/node.ts`, or another entry such as the bundle
// `npm start` runs), its output captured, for tests about what only a whole process shows.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface KeymintProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once the JWKS answers 200 (signing keys loaded); rejects if the process exits first. */
  ready(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface KeymintProcessOptions {
  /** Holds keymint.db (and a generated admin-token file). */
  directory: string;
  port: number;
  /** Added to the environment; REDIS_URL is cleared unless given here. */
  env?: Record<string, string>;
  /** The node arguments that start keymint (default: tsx and src/runtime/node.ts). */
  entry?: string[];
  /** Open an IPC channel to the process (child.send), for a preload that takes settings from the test. */
  ipc?: boolean;
  /** A command node runs under (`ip netns exec <name>`: another host), and the address the test reaches it at. */
  host?: { prefix: string[]; address: string };
}

export function spawnKeymint(options: KeymintProcessOptions): KeymintProcess {
  const args = [...(options.host?.prefix ?? []), process.execPath, ...(options.entry ?? ['--import', 'tsx', 'src/runtime/node.ts'])];
  const child = spawn(args[0]!, args.slice(1), {
    env: {
      ...process.env,
      KEYMINT_PORT: String(options.port),
      KEYMINT_DATABASE: join(options.directory, 'keymint.db'),
      REDIS_URL: '',
      ...options.env,
    },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const url = `http://${options.host?.address ?? '127.0.0.1'}:${options.port}`;
  return {
    child,
    port: options.port,
    url,
    output: () => output,
    exited,
    async ready() {
      // Generous: a start-up under tsx on a loaded machine can take tens of seconds.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (exitCode !== undefined) throw new Error(`keymint exited with ${exitCode} before it was ready:\n${output}`);
        const ok = await fetch(`${url}/sandbox/.well-known/jwks.json`).then((response) => response.ok, () => false);
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill('SIGKILL');
      throw new Error(`keymint did not start within 60 s:\n${output}`);
    },
    async stop(signal = 'SIGTERM') {
      if (exitCode === undefined) child.kill(signal);
      await exited;
    },
  };
}

/** Spawns keymint and waits until it serves. */
export async function startKeymintProcess(options: KeymintProcessOptions): Promise<KeymintProcess> {
  const started = spawnKeymint(options);
  await started.ready();
  return started;
}
