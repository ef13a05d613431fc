// Starts scripts/cluster.sh (redis-server, N instances, a balancer) on free loopback ports for a test,
// keeps what it prints, and says why when the cluster does not come up.
import { freePort, waitFor } from './server.ts';

export type Cluster = { origin: string; instances: string[]; stop: () => Promise<void> };

/** A base port P such that P…P+count-1 are all free on 127.0.0.1 just now. */
async function freePortRun(count: number, avoid: number[] = []): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = await freePort();
    const held: Array<ReturnType<typeof Bun.serve>> = [];
    try {
      for (let i = 0; i < count; i++) {
        if (avoid.includes(base + i)) throw new Error('taken');
        held.push(Bun.serve({ port: base + i, hostname: '127.0.0.1', fetch: () => new Response() }));
      }
      return base;
    } catch {
      // a port of the run is busy: try another base
    } finally {
      for (const s of held) s.stop(true);
    }
  }
  throw new Error(`no run of ${count} free ports found`);
}

const ready = async (url: string) => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200;

export async function startCluster(instances: number, env: Record<string, string>, timeoutMs = 30_000): Promise<Cluster> {
  const redisPort = await freePort();
  const port = await freePortRun(instances + 1, [redisPort]);
  const proc = Bun.spawn(['bash', 'scripts/cluster.sh', String(instances), String(port)], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, ...env, REDIS_PORT: String(redisPort), BUN: process.execPath, LOG_LEVEL: 'warn' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let output = '';
  const keep = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      output = (output + new TextDecoder().decode(read.value)).slice(-4000);
    }
  };
  void keep(proc.stdout as ReadableStream<Uint8Array>);
  void keep(proc.stderr as ReadableStream<Uint8Array>);
  const stop = async () => {
    proc.kill('SIGTERM');
    await proc.exited;
  };
  const origin = `http://127.0.0.1:${port}`;
  const urls = Array.from({ length: instances }, (_, i) => `http://127.0.0.1:${port + 1 + i}`);
  try {
    await waitFor(async () => (await Promise.all([origin, ...urls].map(ready))).every(Boolean), timeoutMs, 'balancer and instances ready');
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; scripts/cluster.sh printed:\n${output || '(nothing)'}`);
  }
  return { origin, instances: urls, stop };
}
