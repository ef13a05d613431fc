// Preloaded (bun --preload) into the server processes the bench starts, mayfly and raw alike:
// - SIGUSR2 runs a full garbage collection, so idle memory is measured without garbage; with
//   BENCH_HEAP_STATS=<file> set it also writes bun:jsc heapStats() there (object counts by type;
//   `%p` in the name becomes the pid, `%n` the collection's number); BENCH_HEAP_SNAPSHOT=<file> writes
//   where the heap's bytes go (bench/lib/heap-summary.ts; `%p` and `%n` as well); BENCH_MEMORY_TRACE=<file>
//   appends memory figures every second;
// - the process exits when the bench that started it is gone (no orphaned servers after a crash).
// It does nothing else; the code under test is unchanged.
import { heapStats } from 'bun:jsc';
import { appendFileSync, writeFileSync } from 'node:fs';
import { heapSummary } from './lib/heap-summary.ts';

let collections = 0;
process.on('SIGUSR2', () => {
  Bun.gc(true);
  collections++;
  const named = (file: string) => file.replace('%p', String(process.pid)).replace('%n', String(collections));
  const stats = process.env.BENCH_HEAP_STATS;
  if (stats) writeFileSync(named(stats), JSON.stringify({ ...heapStats(), memoryUsage: process.memoryUsage() }));
  const snapshot = process.env.BENCH_HEAP_SNAPSHOT;
  if (snapshot) writeFileSync(named(snapshot), heapSummary());
});
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
// BENCH_MEMORY_TRACE=<file>: appends a line of memory figures every second (JS heap vs the rest of
// RSS), to see where a scenario's memory goes.
const trace = process.env.BENCH_MEMORY_TRACE;
if (trace) {
  setInterval(() => {
    const h = heapStats();
    const m = process.memoryUsage();
    const mib = (n: number) => (n / 1048576).toFixed(1);
    appendFileSync(
      trace,
      `${process.pid} rss=${mib(m.rss)} heapSize=${mib(h.heapSize)} heapCapacity=${mib(h.heapCapacity)} extra=${mib(h.extraMemorySize)} objects=${h.objectCount}\n`,
    );
  }, 1000).unref();
}
