// Test helper: a real redis-server on a free loopback port, started and stopped by the tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './server.ts';

export type TestRedis = {
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): void;
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
};

/** persist: keep data across a restart (append-only file), for the outage tests. */
export async function startRedis(opts: { persist?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-redis-'));
  let proc: ReturnType<typeof Bun.spawn>;
  const launch = async () => {
    proc = Bun.spawn(
      [
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        opts.persist ? 'yes' : 'no',
        '--appendfsync',
        'always',
        '--dir',
        dir,
      ],
      {
        stdout: 'ignore',
        stderr: 'ignore',
      },
    );
    await waitFor(
      async () => {
        try {
          const sock = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
          sock.end();
          return true;
        } catch {
          return false;
        }
      },
      10000,
      'redis-server start',
    );
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill() {
      proc.kill('SIGKILL');
    },
    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered until resume. */
    pause() {
      proc.kill('SIGSTOP');
    },
    resume() {
      proc.kill('SIGCONT');
    },
    async restart() {
      await proc.exited;
      await launch();
    },
    async stop() {
      proc.kill('SIGKILL');
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
