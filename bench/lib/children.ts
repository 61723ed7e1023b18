// Child processes of a benchmark run: spawned on loopback, tracked, and always killed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The last lines the child wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<Child>();

// One free-port finder for the tests, the soak script and the benchmarks.
export { freePort } from '../../test/support/redis-server.js';

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; /** Also every byte of its output, appended here. */ outputFile?: string } = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() also reaches grandchildren (cluster workers).
    detached: true,
  });
  let tail = '';
  // Written as it comes, off the driver's path (the driver may be generating load meanwhile).
  const file = options.outputFile === undefined ? undefined : createWriteStream(options.outputFile, { flags: 'a' });
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
    file?.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (file) void exited.then(() => file.end());
  const handle: Child = {
    name,
    process: child,
    pid: child.pid!,
    output: () => tail,
    async stop() {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every child still running (normal end, error, or signal). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Synchronous last resort on process exit: SIGKILL to every tracked group. */
export function killAllChildrenNow(): void {
  for (const child of running) killGroup(child.pid, 'SIGKILL');
  running.clear();
}

export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; child?: Child } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (options.child && options.child.process.exitCode !== null) {
      throw new Error(`${options.child.name} exited (${options.child.process.exitCode}) before ${what}:\n${options.child.output()}`);
    }
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  const tail = options.child ? `\n${options.child.output()}` : '';
  throw new Error(`timed out waiting for ${what}${lastError ? ` (${String(lastError)})` : ''}${tail}`);
}

export async function waitForHttp(url: string, child?: Child): Promise<void> {
  await waitFor(`${url} to answer`, async () => ((await fetch(url)).status > 0 ? true : undefined), { child });
}

/** Every pid in the process tree under `pid` (cluster workers included). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    } catch {
      // process gone, or /proc without children files
    }
  }
  return pids;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Peak resident memory of a process tree over a stretch of time: resets each process's
 * high-water mark (clear_refs 5) at the start, polls RSS meanwhile, and reads VmHWM at the end.
 */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  const peaks = new Map<number, number>();
  const poll = () => {
    for (const p of processTree(pid)) peaks.set(p, Math.max(peaks.get(p) ?? 0, statusKb(p, 'VmRSS')));
  };
  for (const p of processTree(pid)) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      // not permitted: polling alone then
    }
  }
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
      for (const p of processTree(pid)) peaks.set(p, Math.max(peaks.get(p) ?? 0, statusKb(p, 'VmHWM')));
      let total = 0;
      for (const kb of peaks.values()) total += kb;
      return total * 1024;
    },
  };
}
