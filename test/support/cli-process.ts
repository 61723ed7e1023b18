// Runs the keymint CLI as a child process, away from the developer's KEYMINT_* variables: the same sources as
// `node bin/keymint.js …`, bundled once per test worker (tsx compiled every module at each of the ~80 runs, seconds
// each on a loaded machine). `{ bin: true }` runs bin/keymint.js itself, as a user does.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildServer } from '../../scripts/build-server.mjs';

const BIN = resolve(import.meta.dirname, '../../bin/keymint.js');

let bundled: Promise<string> | undefined;

/** The CLI bundle's entry, built on first use into node_modules/.cache (its packages resolve from there). */
function bundledCli(): Promise<string> {
  bundled ??= (async () => {
    const cache = join(process.cwd(), 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const outDir = mkdtempSync(join(cache, 'keymint-cli-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    const { entry } = await buildServer(join(outDir, 'cli'), { source: 'src/cli/main.ts', name: 'keymint-cli.mjs' });
    return entry;
  })();
  return bundled;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The variables a developer's shell may hold that would point the CLI somewhere else. */
const inherited = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('KEYMINT_') && !name.startsWith('REDIS_')),
);

/** Runs the CLI without blocking this process (the gateway under test answers from it). */
export async function keymint(args: string[], env: Record<string, string> = {}, options: { bin?: boolean } = {}): Promise<Run> {
  const entry = options.bin ? BIN : await bundledCli();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [entry, ...args], { env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
