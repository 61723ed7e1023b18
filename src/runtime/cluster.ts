// KEYMINT_WORKERS > 1: this process forks that many workers (node:cluster) sharing the port, and supervises them.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../ports/runtime.js';

// A worker that dies sooner than this after starting failed to start: every worker runs the same start-up,
// so the others will too (bad KEYMINT_KEK, unreadable database…), and forking again would only loop.
const MIN_UPTIME_MS = 10_000;
// How long workers get to finish their requests after SIGTERM (each gives itself 5 s).
const STOP_GRACE_MS = 6_000;

export function superviseWorkers(count: number, logger: Logger): void {
  const startedAt = new Map<Worker, number>();
  let stopping = false;
  const fork = () => startedAt.set(cluster.fork(), Date.now());

  function stopAll(exitCode: number) {
    stopping = true;
    process.exitCode = exitCode;
    for (const worker of startedAt.keys()) worker.kill('SIGTERM');
    setTimeout(() => process.exit(), STOP_GRACE_MS).unref();
  }

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (!stopping && uptime < MIN_UPTIME_MS) {
      logger.error('a worker failed to start; stopping', { pid: worker.process.pid, code, signal });
      stopAll(1);
    } else if (!stopping) {
      logger.error('a worker exited; starting another', { pid: worker.process.pid, code, signal });
      fork();
    }
    if (stopping && startedAt.size === 0) process.exit();
  });

  const shutdown = () => void (stopping || stopAll(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Each worker reloads its own services (runtime/reload-services.ts).
  process.on('SIGHUP', () => {
    for (const worker of startedAt.keys()) worker.process.kill('SIGHUP');
  });

  for (let i = 0; i < count; i++) fork();
  logger.info('keymint primary supervising workers', { workers: count });
}
