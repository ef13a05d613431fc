// Shared by the bench orchestrator and its client processes: the clock, a latency histogram,
// /proc readings and small helpers.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Microseconds on a clock every process on this machine shares: performance.timeOrigin is the
 * wall-clock instant the process started (sub-ms precision), performance.now() is monotonic from
 * there. Measured here: two processes agree within ~60 µs. process.hrtime() in Bun is per process.
 */
export const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

/**
 * Log-linear latency histogram in µs (≈1.6 % resolution, exact below 64 µs), mergeable across
 * processes: bucket counts travel over IPC as [index, count] pairs.
 */
const SUB = 32;
const NBUCKETS = 64 + (31 - 6 + 1) * SUB;

function bucketOf(v: number): number {
  if (v < 64) return v < 0 ? 0 : v | 0;
  if (v >= 2 ** 31) v = 2 ** 31 - 1;
  const e = 31 - Math.clz32(v); // >= 6
  const m = v >>> (e - 5); // 32..63
  return 64 + (e - 6) * SUB + (m - SUB);
}

function bucketValue(b: number): number {
  if (b < 64) return b;
  const e = (((b - 64) / SUB) | 0) + 6;
  const m = ((b - 64) % SUB) + SUB;
  return (m + 0.5) * 2 ** (e - 5);
}

export type HistJson = { n: number; max: number; sum: number; neg: number; buckets: Array<[number, number]> };

export class Hist {
  counts = new Float64Array(NBUCKETS);
  n = 0;
  max = 0;
  sum = 0;
  /** Samples below zero (clock skew between processes); counted as 0. */
  neg = 0;

  add(us: number): void {
    if (us < 0) {
      this.neg++;
      us = 0;
    }
    this.counts[bucketOf(us)]!++;
    this.n++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  merge(h: Hist | HistJson): this {
    if (h instanceof Hist) {
      for (let i = 0; i < NBUCKETS; i++) this.counts[i]! += h.counts[i]!;
    } else {
      for (const [i, c] of h.buckets) this.counts[i]! += c;
    }
    this.n += h.n;
    this.sum += h.sum;
    this.neg += h.neg;
    if (h.max > this.max) this.max = h.max;
    return this;
  }

  /** The q-quantile in µs (0 when empty). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < NBUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  toJSON(): HistJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < NBUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { n: this.n, max: this.max, sum: this.sum, neg: this.neg, buckets };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null when gone. */
const CLK_TCK = 100; // `getconf CLK_TCK` on Linux x86-64 and arm64
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** User and system CPU seconds of a process, separately; null when gone. */
export function cpuSplit(pid: number): { user: number; sys: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
  } catch {
    return null;
  }
}

/** Resident memory of a process in bytes (VmRSS), or null when gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (sockets included), or null. */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export const sleep = (ms: number) => Bun.sleep(Math.max(0, ms));

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
export async function pool(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await work(next++);
  });
  await Promise.all(lanes);
}
