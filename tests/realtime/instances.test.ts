// Issue 19 (points 1, 4, 9) across instances on one real redis-server: leave closes the member's
// sockets on every instance, an instance forgets rooms that ended elsewhere, and a crashed
// instance's socket frees its seat after the socket grace period.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import Redis from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, joinRoom, spawnServer, startTestServer, waitFor, type ChildServer, type TestServer } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(30_000);

const GRACE = 3; // seconds: sweeps run every second; an API lease is 4× this

describe.skipIf(!need('redis-server'))('instances on one Redis', () => {
  let redis: TestRedis;
  let probe: Redis;
  let a: TestServer;
  let b: TestServer;
  const children: ChildServer[] = [];
  const open: TestSocket[] = [];
  const env = () => ({ STORAGE_URL: redis.url, PRESENCE_GRACE_SECONDS: String(GRACE), MESSAGE_RATE: '1000', MESSAGE_BURST: '1000' });

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url);
    probe.on('error', () => {});
    [a, b] = await Promise.all([startTestServer(env()), startTestServer(env())]);
  });
  afterEach(() => {
    for (const sock of open.splice(0)) if (!sock.closed) sock.close();
  });
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all([a?.stop(), b?.stop()]);
    probe?.disconnect();
    await redis?.stop();
  });

  async function ws(server: { origin: string; wsOrigin: string }, roomId: string, token: string): Promise<TestSocket> {
    const sock = new TestSocket(`${server.wsOrigin}/rooms/${roomId}/ws?token=${token}`, { Origin: server.origin });
    open.push(sock);
    await sock.opened;
    await sock.type('history');
    return sock;
  }

  /** Script calls Redis has run so far (every sweep of a room is one). */
  async function scriptCalls(): Promise<number> {
    const stats = (await probe.info('commandstats')) as string;
    let n = 0;
    for (const m of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) n += Number(m[1]);
    return n;
  }

  const destroy = (origin: string, roomId: string, ownerToken: string) =>
    fetch(`${origin}/rooms/${roomId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerToken}` } });

  // First in the file: the idle window below counts every script call, so no other room may be swept.
  test('rooms touched on A and destroyed on B: A stops timing and sweeping them within a sweep or two', async () => {
    const N = 30;
    const baseline = a.deps.rooms.trackedRoomCount();
    const rooms = await Promise.all(Array.from({ length: N }, () => createRoom(b.origin)));
    for (const r of rooms) {
      const res = await fetch(`${a.origin}/rooms/${r.room_id}`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(a.deps.rooms.trackedRoomCount()).toBe(baseline + N);
    for (const r of rooms) expect((await destroy(b.origin, r.room_id, r.owner_token)).status).toBe(204);
    expect(b.deps.rooms.trackedRoomCount()).toBe(0);

    await waitFor(() => a.deps.rooms.trackedRoomCount() === baseline, 2 * 1000 + 1500, 'A to forget the destroyed rooms');
    // Idle now: three sweeps on each instance call Redis for no room (N per sweep before the fix).
    const before = await scriptCalls();
    await Bun.sleep(3000);
    expect((await scriptCalls()) - before).toBeLessThan(5);
  });

  test('A room that ended elsewhere is forgotten at once where its end event arrives (A has a socket there)', async () => {
    const room = await createRoom(b.origin);
    const alice = await joinRoom(a.origin, room.room_id, 'alice');
    const sock = await ws(a, room.room_id, alice.token);
    const before = a.deps.rooms.trackedRoomCount();
    expect((await destroy(b.origin, room.room_id, room.owner_token)).status).toBe(204);
    expect((await sock.closedWith()).code).toBe(4410);
    expect(a.deps.rooms.trackedRoomCount()).toBe(before - 1);
  });

  test('leave on A closes the member’s socket on B (4401), and frames sent on it are not delivered', async () => {
    const room = await createRoom(a.origin);
    const alice = await joinRoom(a.origin, room.room_id, 'alice');
    const bob = await joinRoom(a.origin, room.room_id, 'bob');
    const onB = await ws(b, room.room_id, alice.token);
    const watcher = await ws(a, room.room_id, bob.token);

    const res = await fetch(`${a.origin}/rooms/${room.room_id}/leave`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(res.status).toBe(204);
    if (!onB.closed) onB.send({ type: 'message', content: 'after leaving' });
    expect(await onB.closedWith()).toEqual({ code: 4401, reason: 'left the room' });
    expect((await watcher.next((f) => f.type === 'user_left' && f.username === 'alice')).users).toEqual(['bob']);

    watcher.send({ type: 'message', content: 'marker' });
    await watcher.next((f) => f.type === 'message' && f.content === 'marker');
    expect(watcher.of('message').map((m) => m.content)).toEqual(['marker']);
    expect(watcher.frames.some((f) => f.type === 'member_removed')).toBe(false);
    await destroy(a.origin, room.room_id, room.owner_token);
  });

  test('joined over the API, connected to an instance that then crashes: the seat goes after ~grace, not the API lease', async () => {
    const c = await spawnServer({ STORAGE_URL: redis.url, PRESENCE_GRACE_SECONDS: String(GRACE) });
    children.push(c);
    const room = await createRoom(a.origin);
    const watcher = await joinRoom(a.origin, room.room_id, 'watcher');
    const w = await ws(a, room.room_id, watcher.token);
    const api = await joinRoom(a.origin, room.room_id, 'api-user'); // an API lease: 4× grace
    await ws(c, room.room_id, api.token);
    await Bun.sleep(300); // past the socket's first renewal, if one comes
    const crashed = Date.now();
    c.proc.kill('SIGKILL');
    await c.proc.exited;
    await w.next((f) => f.type === 'user_left' && f.username === 'api-user', (GRACE + 3) * 1000, 'user_left after grace');
    expect(Date.now() - crashed).toBeLessThan((GRACE + 3) * 1000);
    await destroy(a.origin, room.room_id, room.owner_token);
  });
});
