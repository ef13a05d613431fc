// Test helpers: a real mayfly server on a free loopback port, in this process or as a child process.
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type Running } from '../../src/server.ts';

export type TestServer = Running & { origin: string; wsOrigin: string };

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', RATE_LIMIT_EXEMPT: '127.0.0.1', ...env });
  const running = await startServer(config, createLogger(config.LOG_LEVEL));
  const origin = `http://127.0.0.1:${running.server.port}`;
  return Object.assign(running, { origin, wsOrigin: origin.replace('http', 'ws') });
}

export type ChildServer = {
  origin: string;
  wsOrigin: string;
  proc: ReturnType<typeof Bun.spawn>;
  stop(signal?: NodeJS.Signals): Promise<number>;
};

/** Starts `bun src/index.ts` as its own process (for multi-instance, SIGKILL and SIGTERM tests). */
export async function spawnServer(env: Record<string, string> = {}): Promise<ChildServer> {
  const port = await freePort();
  const proc = Bun.spawn([process.execPath, 'src/index.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_EXEMPT: '127.0.0.1', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${origin}/healthz`).catch(() => null))?.ok === true, 15000, 'server start');
  return {
    origin,
    wsOrigin: origin.replace('http', 'ws'),
    proc,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      proc.kill(signal);
      return await proc.exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Creates a room through the JSON API. */
export async function createRoom(origin: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${origin}/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Test room', owner_name: 'owner', ...body }),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { room_id: string; owner_token: string; ws_url: string; expires_at: string };
}

/** Joins a room through the JSON API. */
export async function joinRoom(origin: string, roomId: string, username: string, password?: string) {
  const res = await fetch(`${origin}/rooms/${roomId}/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, ...(password !== undefined ? { password } : {}) }),
  });
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string; username: string; member_id: string };
}
