// Preloaded (bun --preload) into the server processes the bench starts, mayfly and raw alike:
// - SIGUSR2 runs a full garbage collection, so idle memory is measured without garbage; with
//   BENCH_HEAP_STATS=<file> set it also writes bun:jsc heapStats() there (object counts by type);
// - the process exits when the bench that started it is gone (no orphaned servers after a crash).
// It does nothing else; the code under test is unchanged.
import { heapStats } from 'bun:jsc';
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  Bun.gc(true);
  const file = process.env.BENCH_HEAP_STATS;
  if (file) writeFileSync(file, JSON.stringify({ ...heapStats(), memoryUsage: process.memoryUsage() }));
});
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
