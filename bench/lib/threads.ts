/**
 * Threads a process actually used, from /proc/PID/task/STAR/stat: CPU seconds per thread, and how many were busy
 * (more than 10 % of the process's CPU) between two readings. Benches report this instead of assuming a setting held.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** CPU seconds (user + system) per thread id of `pid` ('self' for this process). */
export function threadCpu(pid: number | 'self' = 'self'): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(')').pop()!.trim().split(/\s+/);
      out.set(tid, (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** What the threads did between two `threadCpu` readings. */
export interface ThreadUse {
  /** Threads alive at the second reading. */
  os: number;
  /** Threads that used more than 10 % of the process's CPU in between. */
  busy: number;
  /** The largest per-thread CPU seconds, descending (at most 4). */
  cpuByThread: number[];
}

/** Busy threads between two readings of the same process. */
export function threadUse(before: Map<string, number>, after: Map<string, number>): ThreadUse {
  const used = [...after].map(([tid, s]) => s - (before.get(tid) ?? 0));
  const total = used.reduce((a, b) => a + b, 0);
  return {
    os: after.size,
    busy: used.filter((s) => total > 0 && s > 0.1 * total).length,
    cpuByThread: used.sort((a, b) => b - a).slice(0, 4).map((s) => +s.toFixed(2)),
  };
}
