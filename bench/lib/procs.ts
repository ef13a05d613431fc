// Child processes of the bench: the servers under test, redis-server and the client processes.
// Every one is registered here and killed at the end, on error and on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from './common.ts';
import type { Cmd, Reply } from './protocol.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
const BUN = process.execPath;

type Proc = ReturnType<typeof Bun.spawn>;
const live = new Set<Proc>();

export function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {}
  }
  live.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Starts a child process that killAll (at exit, on error, on Ctrl-C) kills if it is still running. */
export function spawnChild(argv: string[], opts: Parameters<typeof Bun.spawn>[1] = {}): Proc {
  const p = Bun.spawn(argv, { cwd: ROOT, ...opts } as any);
  live.add(p);
  void p.exited.then(() => live.delete(p));
  return p;
}

/** Runs argv through sh to raise the soft fd limit to the hard one (where allowed), then execs it: same pid. */
function spawnRaised(argv: string[], opts: Parameters<typeof Bun.spawn>[1]): Proc {
  return spawnChild(['/bin/sh', '-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', ...argv], opts);
}

/** Waits until something accepts TCP connections on the loopback port; false after `ms` or once `gone()`. */
export async function portOpen(port: number, ms: number, gone: () => boolean = () => false): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const sock = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      sock.end();
      return true;
    } catch {
      if (gone() || Date.now() > until) return false;
      await sleep(50);
    }
  }
}

/** Keeps the last few KiB a child wrote, for error messages, without letting its pipe fill up. */
function tail(stream: ReadableStream<Uint8Array> | undefined | null | number): () => string {
  let text = '';
  if (stream && typeof stream === 'object') {
    void (async () => {
      const decoder = new TextDecoder();
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text = (text + decoder.decode(value)).slice(-4000);
        }
      } catch {}
    })();
  }
  return () => text;
}

export type ServerKind = 'mayfly' | 'raw' | 'socketio';

export type ServerProc = {
  kind: ServerKind;
  /** The runtime the server runs on, e.g. 'Bun 1.4.5' or 'Node 20.20.2'. */
  runtime: string;
  pid: number;
  origin: string;
  output: () => string;
  stop(): Promise<void>;
  signal(sig: NodeJS.Signals): void;
};

/** env: extra environment (REDIS_URL for the Socket.IO peer's Redis adapter). */
export type ServerOptions = { env?: Record<string, string>; cpuProfDir?: string };

let node: { path: string; runtime: string } | null | undefined;

/** Node on PATH (path and 'Node <version>'), or null: the Socket.IO peer then runs under Bun. */
function findNode(): { path: string; runtime: string } | null {
  if (node !== undefined) return node;
  node = null;
  const path = Bun.which('node');
  if (path) {
    const r = Bun.spawnSync([path, '--version'], { stdout: 'pipe', stderr: 'ignore' });
    const version = r.stdout.toString().trim().replace(/^v/, '');
    if (r.exitCode === 0 && version) node = { path, runtime: `Node ${version}` };
  }
  return node;
}

/** argv and runtime of a server: mayfly (`bun src/index.ts`), the raw server or the Socket.IO peer. */
function serverCommand(kind: ServerKind, cpuProfDir?: string): { argv: string[]; runtime: string } {
  const bun = `Bun ${Bun.version}`;
  const prof = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  if (kind === 'socketio') {
    const entry = 'bench/peers/socketio-server.mjs';
    const n = findNode();
    // The peer polls its parent and has its own SIGUSR2 → GC hook: no guard.ts.
    if (n) return { argv: [n.path, '--expose-gc', ...prof, entry], runtime: n.runtime };
    return { argv: [BUN, ...prof, entry], runtime: bun };
  }
  const entry = kind === 'mayfly' ? 'src/index.ts' : 'bench/raw-server.ts';
  // BENCH_MAYFLY_BUN_FLAGS: extra runtime flags for mayfly only (e.g. --smol), to try a setting.
  const extra = kind === 'mayfly' ? (process.env.BENCH_MAYFLY_BUN_FLAGS ?? '').split(' ').filter(Boolean) : [];
  return { argv: [BUN, ...extra, '--preload', './bench/guard.ts', ...prof, ...(cpuProfDir ? ['--cpu-prof-md'] : []), entry], runtime: bun };
}

/** Starts mayfly, the raw server or the Socket.IO peer as a child process and waits until it answers. */
export async function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<ServerProc> {
  const port = await freePort();
  const { argv, runtime } = serverCommand(kind, opts.cpuProfDir);
  const proc = spawnRaised(argv, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const out = tail(proc.stdout as ReadableStream<Uint8Array>);
  const err = tail(proc.stderr as ReadableStream<Uint8Array>);
  const output = () => `${out()}${err()}`.trim();
  const origin = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${origin}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`${kind} server did not start: ${output() || `exit ${proc.exitCode}`}`);
    }
    await sleep(50);
  }
  return {
    kind,
    runtime,
    pid: proc.pid,
    origin,
    output,
    signal: (sig) => proc.kill(sig),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      // A profiled server writes its profile on the way out: give it time.
      const exited = await Promise.race([proc.exited.then(() => true), sleep(opts.cpuProfDir ? 60_000 : 8000).then(() => false)]);
      if (!exited) {
        proc.kill('SIGKILL');
        await proc.exited;
      }
    },
  };
}

export type RedisProc = { url: string; pid: number; stop(): Promise<void> };

export async function startRedis(): Promise<RedisProc> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-bench-redis-'));
  const proc = spawnRaised(
    ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdout: 'ignore',
      stderr: 'ignore',
    },
  );
  if (!(await portOpen(port, 10_000, () => proc.exitCode !== null))) throw new Error('redis-server did not start');
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGKILL');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client process (bench/client.ts) answering one command at a time over IPC. */
export class ClientProc {
  private waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private proc: Proc;
  readonly ready: Promise<void>;

  constructor(readonly index: number) {
    let hello!: () => void;
    this.ready = new Promise((r) => (hello = r));
    this.proc = spawnRaised([BUN, 'bench/client.ts'], {
      stdout: 'inherit',
      stderr: 'inherit',
      ipc: (msg: any) => {
        if (msg?.ev === 'hello') return hello();
        this.waiting.shift()?.resolve(msg as Reply);
      },
    });
    void this.proc.exited.then((code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`client ${index} exited (${code})`));
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  /** Sends a command and waits for its reply, at most timeoutMs. */
  ask<R extends Reply>(cmd: Cmd, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Its replies can no longer be matched to commands: the orchestrator starts a new one.
        this.proc.kill('SIGKILL');
        reject(new Error(`client ${this.index}: no reply to ${cmd.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          if (r.ev === 'error') reject(new Error(`client ${this.index}: ${r.message}`));
          else resolve(r as R);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send(cmd);
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}
