// The terminal client in end-to-end encrypted rooms (issue 15): the key from the link's #k=… stays in the
// client (never in a request, never printed), names and messages are opened on arrival and sealed before
// they leave; without the key (or with a wrong one) it does not join. Real server, real client process.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { ServerWebSocket } from 'bun';
import { parseArgs } from '../src/cli/args.ts';
import { outgoingProblem, roomSealer, UNREADABLE } from '../src/cli/e2e.ts';
import { encrypt, importRoomKey, newRoomKey } from '../src/e2e/envelope.ts';
import { count, killChats, READY, spawnChat } from './helpers/chat.ts';
import { createRoom, joinRoom, startTestServer, type TestServer } from './helpers/server.ts';
import { connect, type TestSocket } from './helpers/ws.ts';

const ID = 'abcdefghijklmnopqrstu';
const KEY = 'x'.repeat(42) + 'A';
const ENVELOPE = /^e2e1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/;
const NEEDS_KEY = 'this room is end-to-end encrypted: use the full link, ending in #k=…';

describe('arguments and sealing (no server)', () => {
  test('the key comes from the fragment and never into the server or the room id', () => {
    const parsed = parseArgs([`https://chat.example.com/mayfly/rooms/${ID}#k=${KEY}`, '--name', 'ann']);
    expect(parsed).toEqual({
      kind: 'ok',
      options: { server: 'https://chat.example.com/mayfly', roomId: ID, name: 'ann', login: false, key: KEY },
    });
    // A bare id with the fragment, a ws_url, and other fragment parameters beside k=.
    expect(parseArgs([`${ID}#k=${KEY}`, '--server', 'http://h:1'])).toMatchObject({
      options: { server: 'http://h:1', roomId: ID, key: KEY },
    });
    expect(parseArgs([`wss://h/rooms/${ID}/ws#x=1&k=${KEY}`])).toMatchObject({ options: { server: 'https://h', roomId: ID, key: KEY } });
    // Without a key (or with a fragment that is no key) nothing changes.
    expect(parseArgs([`http://h/rooms/${ID}#messages`])).toEqual({ kind: 'ok', options: { server: 'http://h', roomId: ID, login: false } });
  });

  test('a cut-short key is refused; a link that is not a room is reported without its key', () => {
    expect(parseArgs([`http://h/rooms/${ID}#k=${KEY.slice(0, 40)}`])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('43'),
    });
    const bad = parseArgs([`http://h/nowhere#k=${KEY}`]);
    expect(bad).toMatchObject({ kind: 'error', message: expect.stringContaining('"http://h/nowhere#…" is not a mayfly room link') });
    expect(JSON.stringify(bad)).not.toContain(KEY);
  });

  test('sealing round-trips; a wrong key opens nothing; outgoing text follows the plain limits', async () => {
    const key = newRoomKey();
    const mine = await roomSealer(key);
    const envelope = await mine.seal('héllo 🦋');
    expect(envelope).toMatch(ENVELOPE);
    expect(await mine.open(envelope)).toBe('héllo 🦋');
    expect(await (await roomSealer(newRoomKey())).open(envelope)).toBe(UNREADABLE);
    expect(await mine.open('plain text')).toBe(UNREADABLE);
    expect(await mine.open(42)).toBe(UNREADABLE);
    expect(outgoingProblem('x'.repeat(2000))).toBeNull();
    expect(outgoingProblem('x'.repeat(2001))).toContain('2000');
    expect(outgoingProblem('bell\u0007')).toContain('control characters');
    expect(outgoingProblem('a\uD800')).toContain('Unicode');
  });
});

/**
 * A recording HTTP and WebSocket proxy in front of the server: everything the client sends (request line,
 * headers, bodies, socket frames) is kept in `sent`, so a test can say the key never left the client.
 */
function recordingProxy(upstream: string) {
  const sent: string[] = [];
  type Data = { url: string; up?: WebSocket; queue: string[] };
  const relay = (ws: ServerWebSocket<Data>, text: string) => {
    if (ws.data.up?.readyState === WebSocket.OPEN) ws.data.up.send(text);
    else ws.data.queue.push(text);
  };
  const proxy = Bun.serve<Data>({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req, srv) {
      const url = new URL(req.url);
      const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.text();
      sent.push(`${req.method} ${url.pathname}${url.search} ${JSON.stringify(req.headers.toJSON())} ${body}`);
      if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        const target = `${upstream.replace(/^http/, 'ws')}${url.pathname}${url.search}`;
        if (srv.upgrade(req, { data: { url: target, queue: [] } })) return undefined;
      }
      const res = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: body || undefined,
        redirect: 'manual',
      });
      const headers = new Headers(res.headers);
      headers.delete('content-encoding');
      headers.delete('content-length');
      return new Response(await res.arrayBuffer(), { status: res.status, headers });
    },
    websocket: {
      open(ws) {
        const up = new WebSocket(ws.data.url);
        ws.data.up = up;
        up.onopen = () => {
          for (const text of ws.data.queue.splice(0)) up.send(text);
        };
        up.onmessage = (e) => ws.send(String(e.data));
        up.onclose = (e) => ws.close(e.code === 1000 || (e.code >= 3000 && e.code < 5000) ? e.code : 1011, e.reason);
      },
      message(ws, message) {
        const text = String(message);
        sent.push(`frame ${text}`);
        relay(ws, text);
      },
      close(ws) {
        ws.data.up?.close();
      },
    },
  });
  return { origin: `http://127.0.0.1:${proxy.port}`, sent, stop: () => proxy.stop(true) };
}

describe('terminal client in end-to-end encrypted rooms', () => {
  let server: TestServer;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3' });
  });
  afterEach(() => {
    killChats();
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** An encrypted room made over the API as a browser makes one: a key, the name sealed with it, e2e: true. */
  async function encryptedRoom(name: string, body: Record<string, unknown> = {}) {
    const key = newRoomKey();
    const room = await createRoom(server.origin, { name: await encrypt(await importRoomKey(key), name), e2e: true, ...body });
    const bare = `${server.origin}/rooms/${room.room_id}`;
    return { room, key, bare, link: `${bare}#k=${key}` };
  }

  /** What the server keeps: the room's messages over the API, read by a member who joins for it. */
  async function stored(roomId: string, password?: string): Promise<string[]> {
    const auditor = await joinRoom(server.origin, roomId, `auditor${Math.floor(Math.random() * 1e6)}`, password);
    const res = await fetch(`${server.origin}/rooms/${roomId}/messages`, { headers: { authorization: `Bearer ${auditor.token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { messages: Array<{ content: string }> }).messages.map((m) => m.content);
  }

  const users = async (roomId: string) =>
    ((await (await fetch(`${server.origin}/rooms/${roomId}`, { headers: { accept: 'application/json' } })).json()) as { users: string[] })
      .users;

  test('two terminal clients chat and read plain text; the server holds only envelopes; the key never leaves the client', async () => {
    const { room, key } = await encryptedRoom('Secret plans 🦋');
    const proxy = recordingProxy(server.origin);
    try {
      const link = `${proxy.origin}/rooms/${room.room_id}#k=${key}`;
      const alice = spawnChat([link, '--name', 'alice']);
      await alice.waitOut(READY);
      expect(alice.out()).toContain('Joined “Secret plans 🦋” (end-to-end encrypted) as alice.');
      alice.send('meet at the old mill, 9pm');
      await alice.waitOut(/\[\d\d:\d\d\] alice: meet at the old mill, 9pm\n/);

      // bob arrives later: the history is opened too; then both ways, live.
      const bob = spawnChat([link, '--name', 'bob']);
      await bob.waitOut(READY);
      expect(bob.out()).toContain('Joined “Secret plans 🦋” (end-to-end encrypted) as bob.');
      expect(bob.out()).toMatch(/\[\d\d:\d\d\] alice: meet at the old mill, 9pm\n/);
      bob.send('see you there — bring the 🗝️');
      await alice.waitOut('bob: see you there — bring the 🗝️\n');
      alice.send('//slash stays text');
      await bob.waitOut('alice: /slash stays text\n');

      // Too long for a message: said here, nothing sent (the server could not tell from the envelope).
      alice.send('x'.repeat(2001));
      await alice.waitOut(/^! Not sent: .*2000/m);

      // A message sealed with another key shows as such; the session goes on.
      const eve = await joinRoom(server.origin, room.room_id, 'eve');
      const foreign = await encrypt(await importRoomKey(newRoomKey()), 'not for you');
      const posted = await fetch(`${server.origin}/rooms/${room.room_id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${eve.token}` },
        body: JSON.stringify({ content: foreign }),
      });
      expect(posted.status).toBe(201);
      await alice.waitOut(`eve: ${UNREADABLE}\n`);
      await bob.waitOut(`eve: ${UNREADABLE}\n`);

      // Typed just before the end of input: sealed, sent, then the client leaves.
      bob.send('last words');
      bob.end();
      expect(await bob.exit()).toBe(0);
      await alice.waitOut('bob: last words\n');
      await alice.waitOut('* bob left\n');

      const kept = await stored(room.room_id);
      expect(kept).toHaveLength(5);
      for (const c of kept) expect(c).toMatch(ENVELOPE);
      const everything = [...kept, ...proxy.sent].join('\n');
      for (const plain of ['old mill', 'see you there', 'slash stays', 'last words']) expect(everything).not.toContain(plain);
      // The key: in no request, header, body or frame; in nothing the clients printed.
      expect(proxy.sent.some((s) => s.startsWith('frame '))).toBe(true);
      expect(proxy.sent.some((s) => s.includes(`/rooms/${room.room_id}/ws?token=`))).toBe(true);
      expect(proxy.sent.some((s) => s.startsWith('POST ') && s.includes('"authorization":"Bearer '))).toBe(true);
      expect(everything).not.toContain(key);
      for (const c of [alice, bob]) expect(c.out() + c.err()).not.toContain(key);
      expect(count(alice.out(), 'alice: meet at the old mill')).toBe(1);
    } finally {
      proxy.stop();
    }
  }, 20000);

  test('without the key it neither joins nor sends, and says to use the full link', async () => {
    const { room, bare } = await encryptedRoom('Keyed');
    const watcher = await joinRoom(server.origin, room.room_id, 'ann');
    const ws = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${watcher.token}`);
    sockets.push(ws);
    await ws.type('history');

    for (const args of [
      [bare, '--name', 'carol'],
      [room.room_id, '--server', server.origin, '--name', 'carol'],
      [`${bare}#messages`, '--name', 'carol'],
    ]) {
      const chat = spawnChat(args);
      chat.send('plain words');
      expect(await chat.exit()).toBe(1);
      expect(chat.err()).toContain(NEEDS_KEY);
      expect(chat.out()).not.toContain('Joined');
    }
    // A password room shows whether it is encrypted before anyone joins: no password is even tried.
    const locked = await encryptedRoom('Locked', { password: 'sesame' });
    const chat = spawnChat([locked.bare, '--name', 'carol', '--password', 'sesame']);
    expect(await chat.exit()).toBe(1);
    expect(chat.err()).toContain(NEEDS_KEY);

    await Bun.sleep(200);
    expect(ws.of('user_joined')).toEqual([]);
    expect(ws.of('message')).toEqual([]);
    expect(await users(room.room_id)).toEqual(['ann']);
    expect(await stored(room.room_id)).toEqual([]);
  }, 15000);

  test('a key that does not open the room is refused, also in a password room (there only once inside)', async () => {
    const wrong = newRoomKey();
    const { room, bare } = await encryptedRoom('Keyed');
    const chat = spawnChat([`${bare}#k=${wrong}`, '--name', 'dave']);
    expect(await chat.exit()).toBe(1);
    expect(chat.err()).toContain('the key in this link does not open this room');
    expect(chat.out() + chat.err()).not.toContain(wrong);
    expect(await users(room.room_id)).toEqual([]);

    const locked = await encryptedRoom('Locked', { password: 'sesame' });
    const inside = spawnChat([`${locked.bare}#k=${wrong}`, '--name', 'dave', '--password', 'sesame']);
    expect(await inside.exit()).toBe(1);
    expect(inside.err()).toContain('the key in this link does not open this room');
    const auditor = await joinRoom(server.origin, locked.room.room_id, 'auditor', 'sesame');
    const info = (await (
      await fetch(`${server.origin}/rooms/${locked.room.room_id}`, { headers: { authorization: `Bearer ${auditor.token}` } })
    ).json()) as { users: string[] };
    expect(info.users).toEqual(['auditor']); // dave joined to read the name, and left
    expect(await stored(locked.room.room_id, 'sesame')).toEqual([]);
  }, 15000);

  test('a password room with the right key and password: opened, sealed', async () => {
    const { room, link } = await encryptedRoom('Behind a password', { password: 'sesame' });
    const chat = spawnChat([link, '--name', 'erin', '--password', 'sesame']);
    await chat.waitOut(READY);
    expect(chat.out()).toContain('Joined “Behind a password” (end-to-end encrypted) as erin.');
    chat.send('quiet words');
    await chat.waitOut('erin: quiet words\n');
    const kept = await stored(room.room_id, 'sesame');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(ENVELOPE);
  });

  test('a plain room behaves as before; a key in its link is not used, and the client says so', async () => {
    const room = await createRoom(server.origin, { name: 'Open room' });
    const alice = await joinRoom(server.origin, room.room_id, 'alice');
    const ws = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
    sockets.push(ws);
    await ws.type('history');
    const key = newRoomKey();
    const chat = spawnChat([`${server.origin}/rooms/${room.room_id}#k=${key}`, '--name', 'bob']);
    await chat.waitOut(READY);
    expect(chat.out()).toContain('Joined “Open room” as bob.');
    expect(chat.out()).toContain('This room is not end-to-end encrypted');
    chat.send('plain as ever');
    expect((await ws.next((f) => f.type === 'message' && f.username === 'bob')).content).toBe('plain as ever');
    ws.send({ type: 'message', content: 'e2e1.AAAAAAAAAAAAAAAA.looks-like-one-but-is-plain' });
    await chat.waitOut('alice: e2e1.AAAAAAAAAAAAAAAA.looks-like-one-but-is-plain\n');
    expect(chat.out() + chat.err()).not.toContain(key);
  });
});
