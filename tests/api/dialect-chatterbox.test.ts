// The Chatterbox dialect (seed 004): a client that registers, logs in, chats in the lounge over /ws?token= and reads /messages.
import { onTheClock } from '../helpers/requirements.ts';
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { LOUNGE_NAME } from '../../src/dialects/lounge.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';

// argon2id hashing (register, login) is slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

const FIXTURE = join(import.meta.dir, '../fixtures/chatterbox-api.txt');
const J = { 'content-type': 'application/json' };

let s: TestServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  s = await startTestServer();
});
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.close();
});
afterAll(() => s?.stop());

async function open(url: string, headers?: Record<string, string>) {
  const ws = await connect(url, headers);
  sockets.push(ws);
  return ws;
}

/** What a Chatterbox client does first: register, then log in for a session token. */
async function signIn(username: string, server: { origin: string } = s): Promise<string> {
  let res = await fetch(`${server.origin}/register`, {
    method: 'POST',
    headers: J,
    body: JSON.stringify({ username, password: 'password1' }),
  });
  expect(res.status).toBe(201);
  res = await fetch(`${server.origin}/login`, { method: 'POST', headers: J, body: JSON.stringify({ username, password: 'password1' }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const history = (token: string | null, query = '', server: { origin: string } = s) =>
  fetch(`${server.origin}/messages${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the endpoints of seed 004', () => {
  test('every endpoint of its table is served', async () => {
    const table = readFileSync(FIXTURE, 'utf8')
      .split('\n')
      .filter((l) => /^(GET|POST|WS) \//.test(l))
      .map((l) => l.split('\t')[0]!);
    expect(table).toEqual(['POST /register', 'POST /login', 'WS /ws', 'GET /messages', 'POST /logout']);
    for (const line of table) {
      const [method, path] = line.split(' ') as [string, string];
      const res =
        method === 'WS'
          ? await fetch(`${s.origin}${path}`) // a plain GET of a socket: 426, not 404
          : await fetch(`${s.origin}${path}`, { method, headers: J, body: method === 'POST' ? '{}' : undefined });
      const expected = { 'POST /register': 400, 'POST /login': 400, 'WS /ws': 426, 'GET /messages': 401, 'POST /logout': 204 }[line];
      expect({ line, status: res.status }).toEqual({ line, status: expected! }); // an empty body, no token: refused, never 404
    }
  });
});

describe('a Chatterbox client', () => {
  test('registers, logs in, chats over /ws?token= and reads /messages?limit&offset', async () => {
    const token = await signIn('dora');
    expect((await history(token)).status).toBe(200);
    const ws = await open(`${s.wsOrigin}/ws?token=${token}`);
    const first = await ws.type('history');
    expect(first.users).toEqual(['dora']);
    for (const content of ['one', 'two', 'three']) ws.send({ type: 'message', content });
    const three = await ws.next((f) => f.type === 'message' && f.content === 'three');
    // each message carries the sender's username and timestamp (and mayfly's seq, verified: a signed-in account)
    expect(three).toMatchObject({ username: 'dora', verified: true, seq: 3 });
    expect(Date.parse(three.timestamp)).toBeGreaterThan(Date.now() - 60_000);

    let res = await history(token, '?limit=2');
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<{ username: string; content: string; timestamp: string }>;
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((m) => m.content)).toEqual(['two', 'three']);
    expect(list[0]).toMatchObject({ username: 'dora', timestamp: expect.any(String) });
    res = await history(null, `?offset=1&limit=1&token=${token}`); // the token as a query parameter, as on the socket
    expect(((await res.json()) as Array<{ content: string }>).map((m) => m.content)).toEqual(['two']);
    expect((await history(token, '?limit=0')).status).toBe(400);

    // logging out ends the session: no more history, no more sockets
    res = await fetch(`${s.origin}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(204);
    expect((await history(token)).status).toBe(401);
    const after = await open(`${s.wsOrigin}/ws?token=${token}`);
    expect(await after.closedWith()).toEqual({ code: 4401, reason: 'not logged in' });
  });

  test('without a token: /messages is 401, the socket closes with 4401', async () => {
    const res = await history(null);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('unauthorized');
    for (const path of ['/ws', '/ws?token=nope']) {
      const ws = await open(`${s.wsOrigin}${path}`);
      expect(await ws.closedWith()).toEqual({ code: 4401, reason: 'not logged in' });
    }
  });

  test('two accounts share the lounge: one room, each message to both in seq order, the same member on every connection', async () => {
    const [ann, ben] = [await signIn('ann'), await signIn('ben')];
    const a = await open(`${s.wsOrigin}/ws?token=${ann}`);
    const b = await open(`${s.wsOrigin}/ws?token=${ben}`);
    const [ha, hb] = [await a.type('history'), await b.type('history')];
    expect(ha.room_id).toBe(hb.room_id);
    expect(await a.next((f) => f.type === 'user_joined' && f.username === 'ben')).toBeTruthy();
    for (let i = 0; i < 5; i++) (i % 2 ? b : a).send({ type: 'message', content: `m${i}` });
    for (const ws of [a, b]) await ws.next((f) => f.type === 'message' && f.content === 'm4');
    const seqs = (ws: TestSocket) => ws.of('message').map((f) => [f.seq, f.content]);
    expect(seqs(a)).toEqual(seqs(b));
    expect(seqs(a).map(([seq]) => seq)).toEqual([...seqs(a).map(([seq]) => seq)].sort((x, y) => x - y));
    const memberId = a.of('message').find((f) => f.username === 'ann')!.member_id;

    // ann again, on a second socket: the same member (no second join), and the lounge's name is hers alone
    const again = await open(`${s.wsOrigin}/ws?token=${ann}`);
    await again.type('history');
    again.send({ type: 'message', content: 'back' });
    expect((await b.next((f) => f.content === 'back')).member_id).toBe(memberId);
    expect(b.of('user_joined').filter((f) => f.username === 'ann')).toHaveLength(0);
  });

  test('the lounge is made on demand, locked to everyone but signed-in accounts, and keeps mayfly’s rules', async () => {
    const fresh = await startTestServer();
    try {
      const token = await signIn('cleo', fresh);
      // nothing exists until someone uses it
      expect(await fresh.deps.store.listRoomIds()).toEqual([]);
      expect(await (await history(token, '', fresh)).json()).toEqual([]);
      expect(await fresh.deps.store.listRoomIds()).toEqual([]);
      const ws = await connect(`${fresh.wsOrigin}/ws?token=${token}`, { origin: fresh.origin });
      sockets.push(ws);
      const { room_id: lounge } = await ws.type('history');
      const room = (await fresh.deps.store.getRoom(lounge))!;
      expect(room).toMatchObject({ name: LOUNGE_NAME, locked: true, passwordHash: null });
      expect(room.expiresAt - room.createdAt).toBe(fresh.deps.config.DEFAULT_EXPIRY_SECONDS * 1000); // LOUNGE_SECONDS unset

      // nobody gets in without an account: mayfly's join is refused (locked), a guest socket closes 4423,
      // the history is members' only
      let res = await fetch(`${fresh.origin}/rooms/${lounge}/join`, { method: 'POST', headers: J, body: '{"username":"mallory"}' });
      expect(res.status).toBe(423);
      const guest = await connect(`${fresh.wsOrigin}/rooms/${lounge}/ws?username=mallory`);
      sockets.push(guest);
      expect((await guest.closedWith()).code).toBe(4423);
      expect((await fetch(`${fresh.origin}/rooms/${lounge}/messages`)).status).toBe(401);

      // content rules as everywhere
      ws.send({ type: 'message', content: 'x'.repeat(2001) });
      expect((await ws.type('error')).code).toBe('invalid_frame');
      res = await fetch(`${fresh.origin}/rooms/${lounge}`, { headers: { accept: 'application/json' } });
      expect(((await res.json()) as any).owner_name).toBe('mayfly');
    } finally {
      await fresh.stop();
    }
  });

  test.skipIf(onTheClock())(
    'the lounge lives LOUNGE_SECONDS, renewed while in use; once it ends, the next use makes a new one',
    async () => {
      const short = await startTestServer({ LOUNGE_SECONDS: '5' });
      try {
        const token = await signIn('gus', short);
        const ws = await connect(`${short.wsOrigin}/ws?token=${token}`);
        sockets.push(ws);
        const { room_id: lounge } = await ws.type('history');
        const created = (await short.deps.store.getRoom(lounge))!;
        expect(created.expiresAt - created.createdAt).toBe(5000);
        // in use: it outlives its first five seconds, its end moving (room_extended tells everyone)
        await Bun.sleep(6500);
        const renewed = await short.deps.store.getRoom(lounge);
        expect(renewed).not.toBeNull();
        expect(renewed!.expiresAt).toBeGreaterThan(created.expiresAt);
        expect(ws.of('room_extended').length).toBeGreaterThan(0);
        expect(ws.closed).toBeNull();

        // it ends (here: at once); its sockets are told and closed; the next connection opens a new lounge
        await short.deps.rooms.expire(lounge);
        expect(await ws.closedWith()).toEqual({ code: 4410, reason: 'room expired' });
        expect(await (await history(token, '', short)).json()).toEqual([]);
        const next = await connect(`${short.wsOrigin}/ws?token=${token}`);
        sockets.push(next);
        const { room_id: second } = await next.type('history');
        expect(second).not.toBe(lounge);
        next.send({ type: 'message', content: 'new lounge' });
        await next.next((f) => f.content === 'new lounge');
        expect(((await (await history(token, '', short)).json()) as any[]).map((m) => m.content)).toEqual(['new lounge']);
      } finally {
        await short.stop();
      }
    },
  );

  test('LOUNGE_SECONDS must not exceed MAX_EXPIRY_SECONDS; unset, the lounge lives DEFAULT_EXPIRY_SECONDS', () => {
    expect(() => loadConfig({ LOUNGE_SECONDS: '7200', MAX_EXPIRY_SECONDS: '3600' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOUNGE_SECONDS: '4' })).toThrow(/LOUNGE_SECONDS/);
    expect(loadConfig({ LOUNGE_SECONDS: '3600' }).LOUNGE_SECONDS).toBe(3600);
    expect(loadConfig({}).LOUNGE_SECONDS).toBeUndefined();
  });
});

describe('POST /lounge: mayfly’s own door into the lounge', () => {
  test('a member token for mayfly’s /ws (the same member as the Chatterbox socket); a browser gets the room page', async () => {
    const token = await signIn('hana');
    const cb = await open(`${s.wsOrigin}/ws?token=${token}`);
    const { room_id: lounge } = await cb.type('history');
    let res = await fetch(`${s.origin}/lounge`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const door = (await res.json()) as { room_id: string; token: string; ws_url: string; username: string };
    expect(door).toMatchObject({ room_id: lounge, username: 'hana' });
    const native = await open(door.ws_url);
    await native.type('history');
    native.send({ type: 'message', content: 'from /rooms/{id}/ws' });
    const got = await cb.next((f) => f.content === 'from /rooms/{id}/ws');
    expect(got.username).toBe('hana');

    expect((await fetch(`${s.origin}/lounge`, { method: 'POST', headers: J, body: '{}' })).status).toBe(401);
    // a browser (session cookie, a form post from the site): the account page has the button
    const me = await fetch(`${s.origin}/me`, { headers: { cookie: `mayfly_session=${token}`, accept: 'text/html' } });
    expect(await me.text()).toContain('action="/lounge"');
    res = await fetch(`${s.origin}/lounge`, {
      method: 'POST',
      headers: { cookie: `mayfly_session=${token}`, origin: s.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/rooms/${lounge}`);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toContain(`Path=/rooms/${lounge}`);
    const page = await fetch(`${s.origin}/rooms/${lounge}`, { headers: { cookie: cookie.split(';')[0]!, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('from /rooms/{id}/ws');
  });
});
