// The DisposableChat dialect (seed 003): its example client run with Bun, its sessions, rooms and socket, and mayfly's own answers unchanged.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, setSystemTime, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoom, joinRoom, startTestServer, type TestServer, waitFor } from '../helpers/server.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';

// argon2id hashing (accounts, password rooms) and real sockets are slow on a loaded machine; every test is bounded.
setDefaultTimeout(20_000);

const FIXTURE = join(import.meta.dir, '../fixtures/disposablechat-client-examples.txt');
const J = { 'content-type': 'application/json' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let s: TestServer;
let dir: string;
const sockets: TestSocket[] = [];
const procs: Array<ReturnType<typeof Bun.spawn>> = [];

beforeAll(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'mayfly-disposable-'));
});
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.close();
  for (const p of procs.splice(0)) p.kill();
  setSystemTime();
});
afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(url: string, headers?: Record<string, string>) {
  const ws = await connect(url, headers);
  sockets.push(ws);
  return ws;
}

async function session(username: string, origin = s.origin) {
  const res = await fetch(`${origin}/sessions/`, { method: 'POST', headers: J, body: JSON.stringify({ username }) });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { session_id: string; username: string };
  return { id: body.session_id, auth: { authorization: `Bearer ${body.session_id}` } };
}

async function dialectRoom(auth: Record<string, string>, origin = s.origin): Promise<string> {
  const res = await fetch(`${origin}/rooms/`, { method: 'POST', headers: auth });
  expect(res.status).toBe(201);
  return ((await res.json()) as { room_id: string }).room_id;
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.origin}${path}`, { headers });

/** The example client exactly as the document shows it: the ```javascript block of "Example Client (JS)". */
function exampleClient(): string {
  const text = readFileSync(FIXTURE, 'utf8');
  const block = text.split('## Example Client (JS)')[1]?.split('```javascript\n')[1]?.split('```')[0];
  if (!block) throw new Error('could not find the example client in the fixture');
  return block;
}

/** A long-lived client process whose output can be awaited while it runs. */
function spawnClient(file: string) {
  const proc = Bun.spawn([process.execPath, file], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  procs.push(proc);
  let out = '';
  let err = '';
  const pump = async (stream: ReadableStream<Uint8Array>, into: (t: string) => void) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) into(decoder.decode(r.value, { stream: true }));
  };
  void pump(proc.stdout, (t) => (out += t));
  void pump(proc.stderr, (t) => (err += t));
  return {
    out: () => out,
    async waitOut(what: string, timeoutMs = 8000) {
      try {
        await waitFor(() => out.includes(what), timeoutMs, `the example client to print ${JSON.stringify(what)}`);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
      }
    },
  };
}

describe('the example client of seed 003', () => {
  test('run with Bun, after its session and room calls: chats, types, and shows what the others say and do', async () => {
    // The calls the protocol makes first: a session, then a room (made by carla; bob joins it later).
    const carla = await session('carla');
    const roomId = await dialectRoom(carla.auth);

    const published = exampleClient();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the document's source text, matched literally
    expect(published).toContain('let url = `ws://localhost:8000/ws/${roomId}?session_id=${sessionId}`;');
    // Only the values change: the room id, the session id and the host; then one line of the harness sends the
    // document's typing frame once the socket is open (the example itself only chats; the next test watches it).
    const code = published
      .replace('let roomId = "a1b2c3d4e5";', `let roomId = ${JSON.stringify(roomId)};`)
      .replace('let sessionId = "a1b2c3d4-e5f6-7890-1234-567890abcdef";', `let sessionId = ${JSON.stringify(carla.id)};`)
      .replace('ws://localhost:8000', s.wsOrigin);
    expect(code.split('\n').filter((l, i) => l !== published.split('\n')[i])).toHaveLength(3);
    const harness = 'socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "typing" })));\n';
    const file = join(dir, 'disposable-client.mjs');
    writeFileSync(file, code + harness);

    const client = spawnClient(file);
    await client.waitOut('carla: Hello!'); // its own message comes back, as everyone's does
    expect(client.out()).not.toContain('Disconnected');

    // bob joins over HTTP while the example is connected, then connects and speaks.
    const bob = await session('bob');
    let res = await fetch(`${s.origin}/rooms/${roomId}/join`, { method: 'POST', headers: bob.auth });
    expect(res.status).toBe(200);
    await client.waitOut('bob joined');
    const bobSocket = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${bob.id}`);
    // bob catches up: carla's message, as DisposableChat's chat frame
    const caught = await bobSocket.next((f) => f.type === 'chat' && f.message === 'Hello!');
    expect(caught).toMatchObject({ type: 'chat', user: 'carla', message: 'Hello!', room_id: roomId, seq: 1 });
    expect(Object.keys(caught).sort()).toEqual(['id', 'message', 'room_id', 'seq', 'timestamp', 'type', 'user']);
    bobSocket.send({ type: 'typing' });
    await client.waitOut('bob is typing...');
    bobSocket.send({ type: 'chat', message: 'Hi carla' });
    await client.waitOut('bob: Hi carla');

    // The server agrees: two messages in the room, in this order, and carla's session made it.
    res = await fetch(`${s.origin}/rooms/${roomId}/messages?limit=10`, { headers: carla.auth });
    const { messages } = (await res.json()) as { messages: Array<{ user: string; message: string; seq: number }> };
    expect(messages.map((m) => [m.seq, m.user, m.message])).toEqual([
      [1, 'carla', 'Hello!'],
      [2, 'bob', 'Hi carla'],
    ]);
    const room = await s.deps.store.getRoom(roomId);
    expect(room).toMatchObject({ name: "carla's room", ownerName: 'carla', maxUsers: s.deps.config.DEFAULT_MAX_USERS });
  });

  test('a typing frame from the example client reaches the others as {"type":"typing","user":…}', async () => {
    const carla = await session('carla');
    const roomId = await dialectRoom(carla.auth);
    const bob = await session('bob');
    await fetch(`${s.origin}/rooms/${roomId}/join`, { method: 'POST', headers: bob.auth });
    const bobSocket = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${bob.id}`);
    const code = exampleClient()
      .replace('let roomId = "a1b2c3d4e5";', `let roomId = ${JSON.stringify(roomId)};`)
      .replace('let sessionId = "a1b2c3d4-e5f6-7890-1234-567890abcdef";', `let sessionId = ${JSON.stringify(carla.id)};`)
      .replace('ws://localhost:8000', s.wsOrigin);
    const file = join(dir, 'disposable-typing.mjs');
    writeFileSync(file, `${code}socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "typing" })));\n`);
    const client = spawnClient(file);
    await client.waitOut('carla: Hello!');
    const typing = await bobSocket.next((f) => f.type === 'typing');
    expect(typing).toEqual({ type: 'typing', user: 'carla' });
    expect(await bobSocket.next((f) => f.type === 'chat')).toMatchObject({ user: 'carla', message: 'Hello!' });
  });
});

describe('sessions', () => {
  test('POST /sessions/ → 201 {session_id}; GET /sessions/me → {session_id, username, joined_rooms}; DELETE /sessions/me', async () => {
    const carla = await session('carla');
    expect(carla.id).toMatch(UUID);
    const roomId = await dialectRoom(carla.auth);
    let res = await get('/sessions/me', carla.auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ session_id: carla.id, username: 'carla', joined_rooms: [roomId] });

    // A native member watches: ending the session leaves its rooms, and its socket closes with 1008.
    const nina = await joinRoom(s.origin, roomId, 'nina');
    const watcher = await open(`${s.wsOrigin}/rooms/${roomId}/ws?token=${nina.token}`);
    await watcher.type('history');
    const carlaSocket = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${carla.id}`);
    await Bun.sleep(100);
    res = await fetch(`${s.origin}/sessions/me`, { method: 'DELETE', headers: carla.auth });
    expect(res.status).toBe(200);
    expect(await watcher.next((f) => f.type === 'user_left' && f.username === 'carla')).toBeTruthy();
    expect(await carlaSocket.closedWith()).toMatchObject({ code: 1008, reason: 'left the room' });
    expect((await get('/sessions/me', carla.auth)).status).toBe(401);
    expect((await get(`/rooms/${roomId}/messages`, carla.auth)).status).toBe(401);
  });

  test('names follow mayfly’s rules: invalid → 400, an account’s → 409; no or unknown session → 401', async () => {
    let res = await fetch(`${s.origin}/sessions/`, { method: 'POST', headers: J, body: JSON.stringify({ username: '' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.fields.username).toBeString();
    res = await fetch(`${s.origin}/sessions/`, { method: 'POST', headers: J, body: JSON.stringify({ username: 'a\u202Eb' }) });
    expect(res.status).toBe(400);
    await fetch(`${s.origin}/register`, {
      method: 'POST',
      headers: J,
      body: JSON.stringify({ username: 'Registered', password: 'password1' }),
    });
    res = await fetch(`${s.origin}/sessions`, { method: 'POST', headers: J, body: JSON.stringify({ username: 'registered' }) });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe('name_reserved');
    expect((await get('/sessions/me')).status).toBe(401);
    expect((await get('/sessions/me', { authorization: `Bearer ${crypto.randomUUID()}` })).status).toBe(401);
    expect((await get('/rooms/', { authorization: `Bearer ${crypto.randomUUID()}` })).status).toBe(401);
  });

  test('a session expires on its own after DISPOSABLE_SESSION_SECONDS without use; each use renews it', async () => {
    const ttl = s.deps.config.DISPOSABLE_SESSION_SECONDS * 1000;
    const carla = await session('carla');
    const start = Date.now();
    setSystemTime(new Date(start + ttl * 0.75));
    expect((await get('/sessions/me', carla.auth)).status).toBe(200); // used: renewed from here
    setSystemTime(new Date(start + ttl * 1.5));
    expect((await get('/sessions/me', carla.auth)).status).toBe(200);
    setSystemTime(new Date(start + ttl * 2.6));
    expect((await get('/sessions/me', carla.auth)).status).toBe(401);
    setSystemTime();
    // and its socket is refused like any unknown session's
    const roomId = (await createRoom(s.origin)).room_id;
    const ws = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${carla.id}`);
    expect(await ws.closedWith()).toMatchObject({ code: 1008, reason: 'no such session, or it expired' });
  });
});

describe('rooms', () => {
  test('POST /rooms/ with no body: a room with mayfly’s defaults, owned by the session, which is its first member', async () => {
    const carla = await session('carla');
    const res = await fetch(`${s.origin}/rooms/`, { method: 'POST', headers: carla.auth });
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body.room_id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(body.ws_url).toBe(`${s.wsOrigin}/ws/${body.room_id}`);
    const room = (await s.deps.store.getRoom(body.room_id))!;
    expect(room.expiresAt - room.createdAt).toBe(s.deps.config.DEFAULT_EXPIRY_SECONDS * 1000);
    expect(room.maxUsers).toBe(s.deps.config.DEFAULT_MAX_USERS);
    expect(await s.deps.rooms.users(body.room_id)).toEqual(['carla']);
    // the session's member is the owner: it can use mayfly's owner controls on the socket
    const ws = await open(`${s.wsOrigin}/ws/${body.room_id}?session_id=${carla.id}`);
    ws.send({ type: 'lock' });
    expect(await ws.type('room_locked')).toBeTruthy();
  });

  test('a JSON body sets mayfly’s fields, checked by mayfly’s rules', async () => {
    const carla = await session('carla');
    let res = await fetch(`${s.origin}/rooms/`, {
      method: 'POST',
      headers: { ...carla.auth, ...J },
      body: JSON.stringify({ name: 'Standup', expiry_seconds: 60, max_users: 3 }),
    });
    expect(res.status).toBe(201);
    const room = (await s.deps.store.getRoom(((await res.json()) as any).room_id))!;
    expect(room).toMatchObject({ name: 'Standup', maxUsers: 3, ownerName: 'carla' });
    res = await fetch(`${s.origin}/rooms/`, {
      method: 'POST',
      headers: { ...carla.auth, ...J },
      body: JSON.stringify({ expiry_seconds: 10 ** 9 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.fields.expiry_seconds).toBeString();
  });

  test('GET /rooms/{id}: room_id, exists, user_count (null for a password room not joined); exists: false when gone', async () => {
    const carla = await session('carla');
    const roomId = await dialectRoom(carla.auth);
    let body = (await (await get(`/rooms/${roomId}`, carla.auth)).json()) as any;
    expect(body).toMatchObject({ room_id: roomId, exists: true, user_count: 1, users: ['carla'], joined: true, name: "carla's room" });

    const locked = await createRoom(s.origin, { password: 'pw' });
    body = (await (await get(`/rooms/${locked.room_id}`, carla.auth)).json()) as any;
    expect(body).toMatchObject({ room_id: locked.room_id, exists: true, user_count: null, joined: false, password_protected: true });
    expect(body.name).toBeUndefined();

    const res = await get('/rooms/AAAAAAAAAAAAAAAAAAAAA', carla.auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ room_id: 'AAAAAAAAAAAAAAAAAAAAA', exists: false, user_count: 0 });
  });

  test('join, history with ?limit, leave; a password room takes the password in a JSON body', async () => {
    const carla = await session('carla');
    const roomId = await dialectRoom(carla.auth);
    const bob = await session('bob');
    let res = await fetch(`${s.origin}/rooms/${roomId}/join`, { method: 'POST', headers: bob.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ room_id: roomId, username: 'bob', message: 'bob joined' });
    // joining again is a no-op
    expect((await fetch(`${s.origin}/rooms/${roomId}/join`, { method: 'POST', headers: bob.auth })).status).toBe(200);
    expect(await s.deps.rooms.users(roomId)).toEqual(['carla', 'bob']);

    const ws = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${bob.id}`);
    for (const m of ['one', 'two', 'three']) ws.send({ type: 'chat', message: m });
    await ws.next((f) => f.type === 'chat' && f.message === 'three');
    res = await get(`/rooms/${roomId}/messages?limit=2`, bob.auth);
    const { messages } = (await res.json()) as any;
    expect(messages.map((m: any) => m.message)).toEqual(['two', 'three']);
    expect(messages[0]).toMatchObject({ type: 'chat', user: 'bob', room_id: roomId, seq: 2 });

    res = await fetch(`${s.origin}/rooms/${roomId}/leave`, { method: 'DELETE', headers: bob.auth });
    expect(res.status).toBe(200);
    expect(await ws.closedWith()).toMatchObject({ code: 1008, reason: 'left the room' });
    expect((await get(`/rooms/${roomId}/messages`, bob.auth)).status).toBe(401);
    expect((await fetch(`${s.origin}/rooms/${roomId}/leave`, { method: 'DELETE', headers: bob.auth })).status).toBe(401);
    expect(((await (await get('/sessions/me', bob.auth)).json()) as any).joined_rooms).toEqual([]);

    const locked = await createRoom(s.origin, { password: 'secret' });
    res = await fetch(`${s.origin}/rooms/${locked.room_id}/join`, { method: 'POST', headers: bob.auth });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('wrong_password');
    res = await fetch(`${s.origin}/rooms/${locked.room_id}/join`, {
      method: 'POST',
      headers: { ...bob.auth, ...J },
      body: '{"password":"secret"}',
    });
    expect(res.status).toBe(200);
  });

  test('GET /rooms/all answers the session’s own rooms only (never every room on the server), like GET /rooms/', async () => {
    const carla = await session('carla');
    const mine = [await dialectRoom(carla.auth), await dialectRoom(carla.auth)];
    const other = await session('olga');
    const theirs = await dialectRoom(other.auth);
    await createRoom(s.origin); // a mayfly room
    const joined = await createRoom(s.origin);
    await fetch(`${s.origin}/rooms/${joined.room_id}/join`, { method: 'POST', headers: carla.auth });
    for (const path of ['/rooms/all', '/rooms/']) {
      const res = await get(path, carla.auth);
      expect(res.status).toBe(200);
      const { rooms } = (await res.json()) as { rooms: Array<{ room_id: string; exists: boolean; user_count: number }> };
      expect(rooms.map((r) => r.room_id).sort()).toEqual([...mine, joined.room_id].sort());
      expect(rooms.map((r) => r.room_id)).not.toContain(theirs);
      expect(rooms.every((r) => r.exists && typeof r.user_count === 'number')).toBe(true);
    }
    // a room that ended leaves the list
    await s.deps.rooms.expire(mine[0]!);
    const { rooms } = (await (await get('/rooms/all', carla.auth)).json()) as any;
    expect(rooms.map((r: any) => r.room_id)).not.toContain(mine[0]);
  });
});

describe('the socket', () => {
  test('refusals close with 1008: no session, unknown session, not a member, no such room', async () => {
    const carla = await session('carla');
    const roomId = (await createRoom(s.origin)).room_id;
    const cases: Array<[string, string]> = [
      [`/ws/${roomId}`, 'no such session, or it expired'],
      [`/ws/${roomId}?session_id=${crypto.randomUUID()}`, 'no such session, or it expired'],
      [`/ws/${roomId}?session_id=${carla.id}`, 'not a member of this room'],
      [`/ws/AAAAAAAAAAAAAAAAAAAAA?session_id=${carla.id}`, 'This room does not exist or has already vanished.'],
    ];
    for (const [path, reason] of cases) {
      const ws = await open(`${s.wsOrigin}${path}`);
      expect({ path, close: await ws.closedWith() }).toEqual({ path, close: { code: 1008, reason } });
    }
    // a plain GET is not a socket; another site's page may not connect (as for /rooms/{id}/ws)
    expect((await get(`/ws/${roomId}?session_id=${carla.id}`)).status).toBe(426);
    const res = await fetch(`${s.origin}/ws/${roomId}?session_id=${carla.id}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        origin: 'https://evil.example',
        'sec-websocket-key': 'x',
        'sec-websocket-version': '13',
      },
    });
    expect(res.status).toBe(403);
  });

  test('mayfly’s limits apply unchanged: content rules, the message rate (refusals in a row close it), socket caps', async () => {
    const strict = await startTestServer({ MESSAGE_BURST: '3', MESSAGE_RATE: '0.5', MAX_SOCKETS_PER_MEMBER: '1' });
    try {
      const carla = await session('carla', strict.origin);
      const roomId = await dialectRoom(carla.auth, strict.origin);
      const origin = { origin: strict.origin }; // as a browser page of the site sends it
      const ws = await connect(`${strict.wsOrigin}/ws/${roomId}?session_id=${carla.id}`, origin);
      sockets.push(ws);
      ws.send({ type: 'chat', message: 'x'.repeat(2001) });
      expect((await ws.type('error')).code).toBe('invalid_frame');
      ws.send({ type: 'chat', message: '   ' });
      await waitFor(() => ws.of('error').length === 2);
      // a second socket of the same member is over MAX_SOCKETS_PER_MEMBER: refused, with 1008
      const second = await connect(`${strict.wsOrigin}/ws/${roomId}?session_id=${carla.id}`, origin);
      sockets.push(second);
      expect(await second.closedWith()).toEqual({ code: 1008, reason: 'too many sockets' });
      for (let i = 0; i < 10; i++) ws.send({ type: 'chat', message: `m${i}` });
      expect(await ws.closedWith()).toEqual({ code: 1008, reason: 'too many messages' });
      expect(ws.of('chat').map((f) => f.message)).toEqual(['m0', 'm1', 'm2']);
      expect(ws.of('error').filter((f) => f.code === 'too_many_messages').length).toBeGreaterThan(3);
    } finally {
      await strict.stop();
    }
  });

  test('the room’s end reaches the socket (mayfly’s event), then a normal close', async () => {
    const carla = await session('carla');
    const roomId = await dialectRoom(carla.auth);
    const ws = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${carla.id}`);
    await Bun.sleep(100);
    await s.deps.rooms.expire(roomId);
    expect(await ws.type('room_expired')).toMatchObject({ room_id: roomId });
    expect(await ws.closedWith()).toEqual({ code: 1000, reason: 'room expired' });
  });
});

describe('mayfly’s own clients get what they got before on the shared URLs', () => {
  test('POST /rooms/ (EphemeralChat’s create), GET /rooms/{id}, join and history with member tokens', async () => {
    let res = await fetch(`${s.origin}/rooms/`, {
      method: 'POST',
      headers: { accept: 'application/json', ...J },
      body: JSON.stringify({ name: 'My Chat Room', owner_name: 'JohnDoe', expiry_seconds: 600, max_users: 20 }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(created.owner_token).toBeString();
    expect(created.ws_url).toBe(`${s.wsOrigin}/rooms/${created.room_id}/ws`);
    // a Bearer that is not a session (an owner token) and no body: mayfly's 400, as before
    res = await fetch(`${s.origin}/rooms/`, { method: 'POST', headers: { authorization: `Bearer ${created.owner_token}` } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('validation_failed');

    const joined = await joinRoom(s.origin, created.room_id, 'nina');
    const auth = { authorization: `Bearer ${joined.token}` };
    const room = (await (await get(`/rooms/${created.room_id}`, { ...auth, accept: 'application/json' })).json()) as any;
    expect(room.exists).toBeUndefined();
    expect(room.ws_url).toBe(`${s.wsOrigin}/rooms/${created.room_id}/ws`);
    await fetch(`${s.origin}/rooms/${created.room_id}/messages`, { method: 'POST', headers: { ...auth, ...J }, body: '{"content":"hi"}' });
    const history = (await (await get(`/rooms/${created.room_id}/messages`, auth)).json()) as any;
    expect(history.messages[0]).toMatchObject({ type: 'message', content: 'hi', username: 'nina' });
    // a browser gets pages, and the URLs only DisposableChat has are mayfly's 404 without a session
    expect((await get(`/rooms/${created.room_id}`, { accept: 'text/html' })).headers.get('content-type')).toContain('text/html');
    for (const path of ['/rooms/', '/rooms/all']) expect((await get(path, { accept: 'application/json' })).status).toBe(404);
    expect((await fetch(`${s.origin}/rooms/${created.room_id}/leave`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });
});
