// Runs the keymint CLI as a user does: `node bin/keymint.js …` as a child process, away from the developer's KEYMINT_* variables.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/keymint.js');

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
export function keymint(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
