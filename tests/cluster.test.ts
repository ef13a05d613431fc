// Many instances, one room: real redis-server and real mayfly processes, including crashes and outages.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { need } from './helpers/requirements.ts';
import { createRoom, joinRoom, spawnServer, waitFor, type ChildServer } from './helpers/server.ts';
import { connect, type TestSocket } from './helpers/ws.ts';

const hasRedis = need('redis-server');

describe.skipIf(!hasRedis)('several instances on one Redis', () => {
  let redis: TestRedis;
  let probe: Redis;
  let a: ChildServer;
  let b: ChildServer;
  const extra: ChildServer[] = [];
  const sockets: TestSocket[] = [];
  const env = () => ({ STORAGE_URL: redis.url, PRESENCE_GRACE_SECONDS: '3' });

  beforeAll(async () => {
    redis = await startRedis({ persist: true });
    probe = new Redis(redis.url);
    probe.on('error', () => {});
    [a, b] = await Promise.all([spawnServer(env()), spawnServer(env())]);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    for (const s of [a, b, ...extra]) s.proc.kill('SIGKILL');
    probe.disconnect();
    await redis.stop();
  });

  const ws = async (server: ChildServer, roomId: string, token: string, since?: number) => {
    const s = await connect(`${server.wsOrigin}/rooms/${roomId}/ws?token=${token}${since !== undefined ? `&since=${since}` : ''}`);
    sockets.push(s);
    await s.type('history');
    return s;
  };

  test('members on different instances chat: messages, joins, leaves and typing reach both, in one order', async () => {
    const room = await createRoom(a.origin);
    const alice = await joinRoom(a.origin, room.room_id, 'alice');
    const sa = await ws(a, room.room_id, alice.token);
    const bob = await joinRoom(b.origin, room.room_id, 'bob');
    const sb = await ws(b, room.room_id, bob.token);
    expect((await sa.next((f) => f.type === 'user_joined' && f.username === 'bob')).users).toEqual(['alice', 'bob']);

    for (let i = 0; i < 20; i++) {
      sa.send({ type: 'message', content: `a${i}` });
      sb.send({ type: 'message', content: `b${i}` });
    }
    await waitFor(() => sa.of('message').length === 40 && sb.of('message').length === 40, 5000, '40 messages on both');
    const seqA = sa.of('message').map((m) => m.seq);
    const seqB = sb.of('message').map((m) => m.seq);
    expect(seqA).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(seqB).toEqual(seqA);
    expect(sb.of('message').map((m) => m.content)).toEqual(sa.of('message').map((m) => m.content));

    sb.send({ type: 'typing' });
    expect((await sa.type('typing')).username).toBe('bob');

    await fetch(`${b.origin}/rooms/${room.room_id}/leave`, { method: 'POST', headers: { authorization: `Bearer ${bob.token}` } });
    expect((await sa.next((f) => f.type === 'user_left' && f.username === 'bob')).users).toEqual(['alice']);
  });

  test('max users and unique names hold when many join at once across instances', async () => {
    const room = await createRoom(a.origin, { max_users: 5 });
    const attempts = Array.from({ length: 30 }, (_, i) =>
      fetch(`${(i % 2 ? a : b).origin}/rooms/${room.room_id}/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `user${i % 12}` }),
      }).then((r) => r.status),
    );
    const statuses = await Promise.all(attempts);
    expect(statuses.filter((s) => s === 200).length).toBe(5);
    expect(statuses.filter((s) => s === 409).length).toBe(25);
    const info = await (await fetch(`${b.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } })).json();
    expect(info.user_count).toBe(5);
    expect(new Set(info.users.map((u: string) => u.toLowerCase())).size).toBe(5);
  });

  test('destroy on one instance ends the room on every instance and leaves no key in Redis', async () => {
    const room = await createRoom(a.origin);
    const m1 = await joinRoom(a.origin, room.room_id, 'm1');
    const m2 = await joinRoom(b.origin, room.room_id, 'm2');
    const s1 = await ws(a, room.room_id, m1.token);
    const s2 = await ws(b, room.room_id, m2.token);
    s1.send({ type: 'message', content: 'soon gone' });
    await s2.type('message');
    const res = await fetch(`${b.origin}/rooms/${room.room_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${room.owner_token}` },
    });
    expect(res.status).toBe(204);
    for (const s of [s1, s2]) {
      expect((await s.closedWith()).code).toBe(4410);
      expect(s.of('room_destroyed').length).toBe(1);
    }
    expect(await probe.keys(`*${room.room_id}*`)).toEqual([]);
  });

  test('expiry is announced exactly once on every instance, then every key is gone', async () => {
    const room = await createRoom(a.origin, { expiry_seconds: 5 });
    const m1 = await joinRoom(a.origin, room.room_id, 'x1');
    const m2 = await joinRoom(b.origin, room.room_id, 'x2');
    const s1 = await ws(a, room.room_id, m1.token);
    const s2 = await ws(b, room.room_id, m2.token);
    for (const s of [s1, s2]) expect((await s.closedWith(9000)).code).toBe(4410);
    expect(s1.of('room_expired').length).toBe(1);
    expect(s2.of('room_expired').length).toBe(1);
    expect(await probe.keys(`*${room.room_id}*`)).toEqual([]);
    expect((await fetch(`${b.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } })).status).toBe(404);
  });

  test('an instance killed mid-chat: its member catches up on another instance with no gap and no duplicate, and its ghost seats go', async () => {
    const c = await spawnServer(env());
    extra.push(c);
    const room = await createRoom(a.origin);
    const talker = await joinRoom(a.origin, room.room_id, 'talker');
    const victim = await joinRoom(c.origin, room.room_id, 'victim');
    const guest = await connect(`${c.wsOrigin}/rooms/${room.room_id}/ws?username=ghost`);
    sockets.push(guest);
    const st = await ws(a, room.room_id, talker.token);
    const sv = await ws(c, room.room_id, victim.token);
    for (let i = 1; i <= 5; i++) st.send({ type: 'message', content: `before ${i}` });
    await waitFor(() => sv.of('message').length === 5, 5000, 'first five');
    const lastSeen = sv.of('message').at(-1)!.seq;

    c.proc.kill('SIGKILL');
    await c.proc.exited;
    for (let i = 1; i <= 5; i++) st.send({ type: 'message', content: `during ${i}` });
    await waitFor(() => st.of('message').length === 10, 5000, 'talker sees ten');

    // The victim reconnects elsewhere and asks for what it missed.
    const back = await ws(b, room.room_id, victim.token, lastSeen);
    const history = back.of('history')[0]!;
    expect(history.messages.map((m: { content: string }) => m.content)).toEqual([1, 2, 3, 4, 5].map((i) => `during ${i}`));
    st.send({ type: 'message', content: 'after' });
    const after = await back.next((f) => f.type === 'message' && f.content === 'after');
    expect(after.seq).toBe(11);
    expect(back.of('message').length).toBe(1);

    // The guest whose instance died leaves the member list within the grace period; the victim is counted once.
    const left = await st.next((f) => f.type === 'user_left' && f.username === 'ghost', 12000, 'ghost left');
    expect(left.users.sort()).toEqual(['talker', 'victim']);
  }, 30000);

  test('SIGTERM closes sockets with 1012 (reconnect elsewhere) and exits within a few seconds', async () => {
    const d = await spawnServer(env());
    extra.push(d);
    const room = await createRoom(d.origin);
    const m = await joinRoom(d.origin, room.room_id, 'leaving');
    const s = await ws(d, room.room_id, m.token);
    const started = Date.now();
    const exit = d.stop('SIGTERM');
    expect((await s.closedWith()).code).toBe(1012);
    expect(await exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('Redis down: instances stay up, /readyz turns 503, a sender gets a clear error; all recovers when Redis returns', async () => {
    const room = await createRoom(a.origin);
    const m = await joinRoom(a.origin, room.room_id, 'steady');
    let s = await ws(a, room.room_id, m.token);
    s.send({ type: 'message', content: 'one' });
    await s.type('message');

    redis.kill();
    await waitFor(async () => (await fetch(`${a.origin}/readyz`)).status === 503, 8000, 'readyz 503');
    expect((await fetch(`${a.origin}/healthz`)).status).toBe(200);
    s.send({ type: 'message', content: 'into the void' });
    const err = await s.next((f) => f.type === 'error', 5000, 'an error event');
    expect(err.code).toBe('storage_unavailable');
    const post = await fetch(`${b.origin}/rooms/${room.room_id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.token}` },
      body: JSON.stringify({ content: 'also lost?' }),
    });
    expect(post.status).toBe(503);
    expect((await post.json()).error.code).toBe('storage_unavailable');

    await redis.restart();
    await waitFor(async () => (await fetch(`${a.origin}/readyz`)).status === 200, 15000, 'readyz 200 again');
    await waitFor(async () => (await fetch(`${b.origin}/readyz`)).status === 200, 15000, 'readyz 200 again on b');
    if (s.closed) s = await ws(a, room.room_id, m.token);
    const before = s.of('message').length;
    s.send({ type: 'message', content: 'two' });
    const two = await s.next((f) => f.type === 'message' && f.content === 'two', 8000, 'message after recovery');
    expect(two.seq).toBe(2);
    expect(s.of('message').length).toBe(before + 1);
  }, 45000);
});
