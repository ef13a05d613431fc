// Issue 19 (points 1, 5, 9), one instance: leaving closes the member's sockets, a failed upgrade
// takes no seat, and a socket's lease replaces a longer HTTP one.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(20_000);

const GRACE = 3; // seconds: an API lease is 4× this, a socket's 1×

let s: TestServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  s = await startTestServer({ PRESENCE_GRACE_SECONDS: String(GRACE), MESSAGE_RATE: '1000', MESSAGE_BURST: '1000' });
});
afterEach(() => {
  for (const sock of open.splice(0)) if (!sock.closed) sock.close();
});
afterAll(async () => {
  await s?.stop();
});

/** A socket as a browser opens it (same-site Origin); afterEach closes it. */
async function ws(path: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, { Origin: s.origin, ...headers });
  open.push(sock);
  await sock.opened;
  return sock;
}

async function users(roomId: string): Promise<string[]> {
  const res = await fetch(`${s.origin}/rooms/${roomId}`, { headers: { accept: 'application/json' } });
  return ((await res.json()) as { users: string[] }).users;
}

describe('leave closes the member’s sockets', () => {
  test('POST /leave closes every socket of the member (JSON and /live) with 4401; a frame sent after leave is not posted', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const a1 = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
    const a2 = await ws(`/rooms/${room.room_id}/live`, { Cookie: `mayfly_member=${alice.token}` });
    const b = await ws(`/rooms/${room.room_id}/ws?token=${bob.token}`);
    await a1.type('history');
    await b.type('history');

    const res = await fetch(`${s.origin}/rooms/${room.room_id}/leave`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(res.status).toBe(204);
    // Still under alice's name, right after the leave: must not reach anyone.
    if (!a1.closed) a1.send({ type: 'message', content: 'after leaving' });

    expect(await a1.closedWith()).toEqual({ code: 4401, reason: 'left the room' });
    expect((await a2.closedWith()).code).toBe(4401);
    expect((await b.next((f) => f.type === 'user_left' && f.username === 'alice')).users).toEqual(['bob']);
    // the internal event never reaches a client
    expect([...a1.frames, ...b.frames].some((f) => f.type === 'member_removed')).toBe(false);
    expect(a2.raw.some((r) => r.includes('member_removed'))).toBe(false);

    b.send({ type: 'message', content: 'marker' });
    await b.next((f) => f.type === 'message' && f.content === 'marker');
    expect(b.of('message').map((m) => m.content)).toEqual(['marker']);
    const history = await (
      await fetch(`${s.origin}/rooms/${room.room_id}/messages`, { headers: { authorization: `Bearer ${bob.token}` } })
    ).json();
    expect(JSON.stringify(history)).not.toContain('after leaving');
    expect(await users(room.room_id)).toEqual(['bob']);
  });

  test('other members’ sockets stay open', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const a = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
    const b = await ws(`/rooms/${room.room_id}/ws?token=${bob.token}`);
    await a.type('history');
    await b.type('history');
    await fetch(`${s.origin}/rooms/${room.room_id}/leave`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } });
    await a.closedWith();
    b.send({ type: 'message', content: 'still here' });
    await b.next((f) => f.type === 'message' && f.content === 'still here');
    expect(b.closed).toBeNull();
  });
});

describe('a seat is taken only once the socket is open', () => {
  test('an upgrade request with only `Upgrade: websocket` fails and takes no seat, announces nothing', async () => {
    const room = await createRoom(s.origin, { max_users: 5 });
    const owner = await joinRoom(s.origin, room.room_id, 'watcher');
    const w = await ws(`/rooms/${room.room_id}/ws?token=${owner.token}`);
    await w.type('history');
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${s.origin}/rooms/${room.room_id}/ws?username=ghost${i}`, { headers: { upgrade: 'websocket' } });
      expect([400, 426]).toContain(res.status);
      await res.arrayBuffer();
    }
    // a real guest socket still joins, and it is the only arrival announced
    const g = await ws(`/rooms/${room.room_id}/ws?username=real-guest`);
    expect((await g.type('history')).users).toEqual(['watcher', 'real-guest']);
    await w.next((f) => f.type === 'user_joined' && f.username === 'real-guest');
    expect(w.of('user_joined').map((f) => f.username)).toEqual(['real-guest']);
    expect(await users(room.room_id)).toEqual(['watcher', 'real-guest']);
  });

  test('a guest’s first frames, sent before its seat is taken, are still posted in order', async () => {
    const room = await createRoom(s.origin);
    const g = new TestSocket(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=eager`, { Origin: s.origin });
    open.push(g);
    await g.opened;
    for (const c of ['one', 'two', 'three']) g.send({ type: 'message', content: c });
    await waitFor(() => g.of('message').length === 3, 5000, 'three messages');
    expect(g.of('message').map((m) => m.content)).toEqual(['one', 'two', 'three']);
  });
});

describe('presence: a socket holds the seat with the socket lease', () => {
  test('joined over the API, then connected: the lease becomes the socket lease, and a lost socket frees the seat after ~grace', async () => {
    const room = await createRoom(s.origin);
    const watcher = await joinRoom(s.origin, room.room_id, 'watcher');
    const w = await ws(`/rooms/${room.room_id}/ws?token=${watcher.token}`);
    await w.type('history');
    const api = await joinRoom(s.origin, room.room_id, 'api-user');
    const [before] = (await s.deps.store.seats(room.room_id, Date.now())).filter((x) => x.username === 'api-user');
    expect(before!.leaseUntil).toBeGreaterThan(Date.now() + 2 * GRACE * 1000); // the API lease: 4× grace

    const a = await ws(`/rooms/${room.room_id}/ws?token=${api.token}`);
    await a.type('history');
    const [after] = (await s.deps.store.seats(room.room_id, Date.now())).filter((x) => x.username === 'api-user');
    expect(after!.leaseUntil).toBeLessThanOrEqual(Date.now() + GRACE * 1000);

    // The socket goes without a leave (as when its instance crashes): the seat goes after the grace
    // period (plus a sweep), not after the API lease of 4× grace.
    const lost = Date.now();
    a.close();
    await w.next((f) => f.type === 'user_left' && f.username === 'api-user', (GRACE + 2.5) * 1000, 'user_left after grace');
    expect(Date.now() - lost).toBeLessThan((GRACE + 2.5) * 1000);
  });
});
