// Test helper: a real Redis Cluster on loopback (three masters, three replicas), started and stopped
// by the tests. Each node has a free client port and a free cluster-bus port; a short
// cluster-node-timeout makes a failover take seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './server.ts';

export type ClusterNode = { port: number; proc: ReturnType<typeof Bun.spawn> };

export type TestRedisCluster = {
  /** STORAGE_URL for mayfly: redis-cluster://127.0.0.1:P1,… */
  url: string;
  nodes: ClusterNode[];
  /** The port of the master that serves a slot now (asks a live node). */
  masterOf(slot: number): Promise<number>;
  /** SIGKILLs the node on this port. */
  kill(port: number): void;
  stop(): Promise<void>;
};

/** How long (ms) a master may be unreachable before its replica takes over. */
export const NODE_TIMEOUT_MS = 2000;

async function cli(port: number, ...args: string[]): Promise<string> {
  const proc = Bun.spawn(['redis-cli', '-p', String(port), ...args], { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-redis-cluster-'));
  const ports: number[] = [];
  const used = new Set<number>();
  while (ports.length < 12) {
    const p = await freePort();
    if (!used.has(p)) {
      used.add(p);
      ports.push(p);
    }
  }
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < 6; i++) {
    const port = ports[i]!;
    const proc = Bun.spawn(
      [
        'redis-server',
        '--port',
        String(port),
        '--cluster-port',
        String(ports[i + 6]),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        String(NODE_TIMEOUT_MS),
        // The other shards keep serving while one has no master (the default refuses every command then).
        '--cluster-require-full-coverage',
        'no',
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdout: 'ignore', stderr: 'ignore' },
    );
    nodes.push({ port, proc });
  }
  const stop = async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.proc.exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) await waitFor(async () => (await cli(n.port, 'ping')).trim() === 'PONG', 10_000, `redis-server on ${n.port}`);
    const create = Bun.spawn(
      ['redis-cli', '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    const out = await new Response(create.stdout).text();
    if ((await create.exited) !== 0) throw new Error(`redis-cli --cluster create failed:\n${out}`);
    for (const n of nodes) {
      await waitFor(
        async () => (await cli(n.port, 'cluster', 'info')).includes('cluster_state:ok'),
        15_000,
        `cluster_state:ok on ${n.port}`,
      );
    }
    // Every replica attached to its master (a failover needs one).
    await waitFor(
      async () =>
        (await cli(nodes[0]!.port, 'cluster', 'nodes')).split('\n').filter((l) => l.includes('slave') && l.includes('connected')).length ===
        3,
      15_000,
      'three connected replicas',
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const alive = new Set(nodes.map((n) => n.port));
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    nodes,
    async masterOf(slot) {
      const port = [...alive][0]!;
      for (const line of (await cli(port, 'cluster', 'nodes')).split('\n')) {
        const parts = line.trim().split(' ');
        if (!parts[2]?.includes('master') || parts[2].includes('fail')) continue;
        for (const range of parts.slice(8)) {
          const [lo, hi] = range.split('-').map(Number);
          if (slot >= lo! && slot <= (hi ?? lo)!) return Number(parts[1]!.split(':')[1]!.split('@')[0]);
        }
      }
      throw new Error(`no master for slot ${slot}`);
    },
    kill(port) {
      alive.delete(port);
      nodes.find((n) => n.port === port)?.proc.kill('SIGKILL');
    },
    stop,
  };
}
