// Small helpers for the test servers' processes: run a command to its end, wait for a line a server prints.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Runs a command to its end; resolves with its stdout, rejects with its output when it fails. */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}):\n${stdout}${stderr}`));
    });
  });
}

/**
 * Resolves once `stream` of a server has printed `text`; rejects (and kills the server) if it exits first or
 * after `timeoutMs`. The stream keeps being read afterwards so the server never blocks on a full pipe.
 */
export function waitForOutput(child: ChildProcess, stream: Readable, text: string, timeoutMs: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(new Error(`${name} did not print "${text}" within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      output += chunk.toString();
      if (output.includes(text)) settle();
    });
    child.once('error', (error) => settle(error));
    child.once('exit', (code, signal) => settle(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${output}`)));
  });
}

/** Polls `check` every `intervalMs` until it returns true; rejects with `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Like Promise.all, but waits for every promise before throwing the first failure (so cleanup sees everything started). */
export async function allSettledOrThrow<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/**
 * Resolves once the Redis server (or sentinel) on `port` is `child` itself: its INFO names the child's pid. A port
 * picked free can be taken by another process before the child binds it; the child then exits, and a PING alone
 * would have been answered by the other server. Rejects at once when the child exits, and after `timeoutMs`.
 */
export async function waitForOwnRedis(child: ChildProcess, port: number, name: string, timeoutMs = 10_000): Promise<void> {
  let exited: string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => (exited = String(signal ?? code));
  child.once('exit', onExit);
  try {
    await waitUntil(
      async () => {
        if (exited !== undefined) return true;
        const info = await runCommand('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'info', 'server']);
        return new RegExp(`process_id:${child.pid}\\b`).test(info);
      },
      timeoutMs,
      `${name} on port ${port}`,
      25,
    );
  } finally {
    child.off('exit', onExit);
  }
  if (exited !== undefined) throw new Error(`${name} on port ${port} exited (${exited}) before it answered: is the port taken?`);
}

/**
 * A test server started on ports picked free, once more on fresh ports if the first start fails: another process
 * may take such a port between the pick and the bind. `start` picks its own ports each time.
 */
export function startOnFreePorts<T>(what: string, start: () => Promise<T>): Promise<T> {
  return start().catch((error: Error) => {
    console.warn(`${what} did not start (${error.message.split('\n')[0]}); trying again on other ports`);
    return start();
  });
}
