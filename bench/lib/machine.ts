// What the numbers were measured on, and how busy the rest of the machine was meanwhile.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  return `${model}, ${cpus().length} cores, Node ${process.version}, ${process.platform} ${process.arch}`;
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function readJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** CPU jiffies (utime + stime of all threads) of every process in `pids`' trees. */
export function ownJiffies(pids: number[]): number {
  let sum = 0;
  const seen = new Set<number>();
  const queue = [...pids];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(fields[11]) + Number(fields[12]);
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) queue.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return sum;
}

/**
 * Measures how much CPU processes outside the benchmark (other people's tests on a shared machine) used
 * while a measurement ran, as a share of the whole machine. Needs Linux /proc; 0 elsewhere.
 */
/** CPU time (all threads, all processes under `pid`) spent while the watch ran, in microseconds. */
export function watchCpu(pid: number): { stop(): number } {
  const start = ownJiffies([pid]);
  return { stop: () => ((ownJiffies([pid]) - start) * 1e6) / JIFFIES_PER_SECOND };
}

// USER_HZ: 100 on every Linux build Node supports.
const JIFFIES_PER_SECOND = 100;

export function watchForeignCpu(): { stop(): number } {
  try {
    const start = readJiffies();
    const own = ownJiffies([process.pid]);
    return {
      stop() {
        const end = readJiffies();
        const ownUsed = ownJiffies([process.pid]) - own;
        const total = end.total - start.total;
        if (total <= 0) return 0;
        return Math.max(0, (end.busy - start.busy - ownUsed) / total);
      },
    };
  } catch {
    return { stop: () => 0 };
  }
}
