// Limits over real HTTP and WebSockets: message rate, password guessing, per-address limits, history size, body size.
import { onTheClock } from '../helpers/requirements.ts';
import { afterEach, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { TestSocket, type Frame } from '../helpers/ws.ts';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';

// argon2id hashing and real sockets are slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

const servers: TestServer[] = [];
const sockets: TestSocket[] = [];

async function server(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer(env);
  servers.push(s);
  return s;
}

async function ws(url: string): Promise<TestSocket> {
  const sock = new TestSocket(url);
  sockets.push(sock);
  await sock.opened;
  return sock;
}

afterEach(async () => {
  for (const sock of sockets.splice(0)) if (!sock.closed) sock.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('message rate', () => {
  test('socket: the burst goes through, then error events, then close 4429; others unaffected', async () => {
    const s = await server({ MESSAGE_RATE: '1', MESSAGE_BURST: '3' });
    const room = await createRoom(s.origin);
    const spammer = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=spammer`);
    const calm = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=calm`);
    await spammer.type('history');
    await calm.type('history');
    for (let i = 0; i < 12; i++) spammer.send({ type: 'message', content: `spam ${i}` });
    const { code } = await spammer.closedWith(5000);
    expect(code).toBe(4429);
    const sent = spammer.of('message').filter((m) => m.username === 'spammer');
    expect(sent.length).toBe(3);
    expect(sent.map((m) => m.content)).toEqual(['spam 0', 'spam 1', 'spam 2']);
    const errors = spammer.of('error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const e of errors) expect(e.code).toBe('too_many_messages');
    // error events came before the close, and after the burst
    const firstError = spammer.frames.findIndex((f) => f.type === 'error');
    const lastMessage = spammer.frames.findLastIndex((f) => f.type === 'message' && f.username === 'spammer');
    expect(firstError).toBeGreaterThan(lastMessage);
    // the calm member saw only the burst, and can still talk
    await waitFor(() => calm.of('message').length === 3, 2000, 'burst at calm');
    await calm.next((f) => f.type === 'user_left' && f.username === 'spammer');
    calm.send({ type: 'message', content: 'still fine' });
    const m = await calm.next((f) => f.type === 'message' && f.content === 'still fine');
    expect(m.seq).toBe(4);
  });

  test('socket: slowing down after a refusal keeps the connection', async () => {
    // 2 at once, 2 a second: a window of one second
    const s = await server({ MESSAGE_RATE: '2', MESSAGE_BURST: '2' });
    const room = await createRoom(s.origin);
    const a = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=a`);
    await a.type('history');
    for (let i = 0; i < 3; i++) a.send({ type: 'message', content: `quick ${i}` });
    const refused = await a.type('error');
    expect(refused.code).toBe('too_many_messages');
    await Bun.sleep(1100);
    a.send({ type: 'message', content: 'after a pause' });
    await a.next((f) => f.type === 'message' && f.content === 'after a pause');
    expect(a.closed).toBeNull();
  });

  test('HTTP: posting past the burst → 429', async () => {
    const s = await server({ MESSAGE_RATE: '1', MESSAGE_BURST: '2' });
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(
        `${s.origin}/rooms/${room.room_id}/messages`,
        json({ content: `m${i}` }, { authorization: `Bearer ${alice.token}` }),
      );
      statuses.push(res.status);
      if (res.status === 429) expect(((await res.json()) as any).error.code).toBe('too_many_messages');
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
  });
});

describe('password guessing', () => {
  test('after PASSWORD_TRIES_PER_MINUTE wrong tries → 429, even for the right password; other rooms unaffected', async () => {
    const s = await server({ PASSWORD_TRIES_PER_MINUTE: '3' });
    const room = await createRoom(s.origin, { password: 'correct horse' });
    const other = await createRoom(s.origin, { password: 'battery' });
    const join = (id: string, username: string, password: string) => fetch(`${s.origin}/rooms/${id}/join`, json({ username, password }));
    for (let i = 0; i < 3; i++) expect((await join(room.room_id, `g${i}`, `guess ${i}`)).status).toBe(401);
    const blocked = await join(room.room_id, 'g4', 'guess 4');
    expect(blocked.status).toBe(429);
    const body = (await blocked.json()) as any;
    expect(body.error.code).toBe('password_guessing');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await join(room.room_id, 'owner', 'correct horse')).status).toBe(429);
    // per room: another room still lets people in
    expect((await join(other.room_id, 'someone', 'battery')).status).toBe(200);
  });

  test('right passwords do not count as guesses', async () => {
    const s = await server({ PASSWORD_TRIES_PER_MINUTE: '2' });
    const room = await createRoom(s.origin, { password: 'pw', max_users: 50 });
    for (let i = 0; i < 6; i++)
      expect((await fetch(`${s.origin}/rooms/${room.room_id}/join`, json({ username: `u${i}`, password: 'pw' }))).status).toBe(200);
  });
});

describe('per-address limits', () => {
  test('room creations and joins are limited per address unless exempt', async () => {
    const s = await server({ RATE_LIMIT_EXEMPT: '', CREATE_RATE_PER_MINUTE: '2', JOIN_RATE_PER_MINUTE: '2' });
    const create = () => fetch(`${s.origin}/rooms`, json({ name: 'r', owner_name: 'o' }));
    const r1 = await create();
    expect(r1.status).toBe(201);
    expect((await create()).status).toBe(201);
    const third = await create();
    expect(third.status).toBe(429);
    expect(((await third.json()) as any).error.code).toBe('rate_limited');
    const { room_id } = (await r1.json()) as any;
    const join = (u: string) => fetch(`${s.origin}/rooms/${room_id}/join`, json({ username: u }));
    expect((await join('a')).status).toBe(200);
    expect((await join('b')).status).toBe(200);
    expect((await join('c')).status).toBe(429);
  });

  test('an exempt address (127.0.0.1, as in a load test) is never limited', async () => {
    const s = await server({ CREATE_RATE_PER_MINUTE: '2', JOIN_RATE_PER_MINUTE: '2' });
    for (let i = 0; i < 5; i++) expect((await fetch(`${s.origin}/rooms`, json({ name: 'r', owner_name: 'o' }))).status).toBe(201);
    const room = await createRoom(s.origin);
    for (let i = 0; i < 5; i++) await joinRoom(s.origin, room.room_id, `u${i}`);
  });
});

describe('history kept per room', () => {
  test('only the last HISTORY_LIMIT messages are kept; offset counts from the oldest kept; since skips what is gone', async () => {
    const s = await server({ HISTORY_LIMIT: '3' });
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const auth = { authorization: `Bearer ${alice.token}` };
    for (let i = 1; i <= 5; i++)
      expect((await fetch(`${s.origin}/rooms/${room.room_id}/messages`, json({ content: `m${i}` }, auth))).status).toBe(201);
    const get = async (q: string) =>
      ((await (await fetch(`${s.origin}/rooms/${room.room_id}/messages${q}`, { headers: auth })).json()) as any).messages.map(
        (m: Frame) => m.seq,
      );
    expect(await get('')).toEqual([3, 4, 5]);
    expect(await get('?offset=0')).toEqual([3, 4, 5]);
    expect(await get('?offset=1')).toEqual([4, 5]);
    expect(await get('?offset=1&limit=1')).toEqual([4]);
    expect(await get('?offset=3')).toEqual([]);
    const sock = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
    expect((await sock.type('history')).messages.map((m: Frame) => m.seq)).toEqual([3, 4, 5]);
    const since = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=late&since=1`);
    expect((await since.type('history')).messages.map((m: Frame) => m.seq)).toEqual([3, 4, 5]);
  });
});

describe('body size', () => {
  test('MAX_BODY_BYTES: a larger body → 413 JSON, on every route', async () => {
    const s = await server({ MAX_BODY_BYTES: '2048' });
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const big = 'x'.repeat(3000);
    for (const [path, body, headers] of [
      ['/rooms', { name: 'r', owner_name: 'o', big }, {}],
      [`/rooms/${room.room_id}/join`, { username: 'b', big }, {}],
      [`/rooms/${room.room_id}/messages`, { content: big }, { authorization: `Bearer ${alice.token}` }],
    ] as const) {
      const res = await fetch(`${s.origin}${path}`, json(body, headers));
      expect(res.status).toBe(413);
      expect(((await res.json()) as any).error.code).toBe('body_too_large');
    }
    // just under the limit is fine
    expect((await fetch(`${s.origin}/rooms`, json({ name: 'r', owner_name: 'o', pad: 'y'.repeat(1800) }))).status).toBe(201);
  });
});

describe('presence', () => {
  test.skipIf(onTheClock())(
    'a connected member keeps the seat past its join lease; after the socket drops it lapses within the grace period',
    async () => {
      const s = await server({ PRESENCE_GRACE_SECONDS: '3' });
      const room = await createRoom(s.origin, { max_users: 2 });
      const alice = await joinRoom(s.origin, room.room_id, 'alice');
      const a = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
      const watcher = await ws(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=watcher`);
      await a.type('history');
      await watcher.type('history');
      // an API join holds the seat for 4 × grace (12 s); the open socket renews it beyond that
      await Bun.sleep(13_500);
      expect(watcher.of('user_left')).toEqual([]);
      const users = async () =>
        ((await (await fetch(`${s.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } })).json()) as any).users;
      expect((await users()).sort()).toEqual(['alice', 'watcher']);
      // the room is full while alice holds her seat
      expect((await fetch(`${s.origin}/rooms/${room.room_id}/join`, json({ username: 'carol' }))).status).toBe(409);
      const droppedAt = Date.now();
      a.close();
      const left = await watcher.next((f) => f.type === 'user_left' && f.username === 'alice', 8000, 'alice to lapse');
      expect(Date.now() - droppedAt).toBeLessThan(8000);
      expect(left.users).toEqual(['watcher']);
      // her seat is free, but her token still works to come back
      expect((await fetch(`${s.origin}/rooms/${room.room_id}/join`, json({ username: 'carol' }))).status).toBe(200);
      expect((await users()).sort()).toEqual(['carol', 'watcher']);
      const back = new TestSocket(`${s.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
      sockets.push(back);
      await back.opened;
      expect((await back.closedWith()).code).toBe(4409); // full now
    },
    30_000,
  );
});
