// The terminal client: its pure parts (sanitizer, arguments, formatting) and the real program against a real server.
import { onTheClock } from './helpers/requirements.ts';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, parseRoomRef } from '../src/cli/args.ts';
import { formatMessage } from '../src/cli/format.ts';
import { clean, cleanLines } from '../src/cli/sanitize.ts';
import { messageEvent } from '../src/realtime/events.ts';
import { createRoom, freePort, joinRoom, startTestServer, type TestServer } from './helpers/server.ts';
import { connect, type TestSocket } from './helpers/ws.ts';
import { count, killChats, READY, spawnChat } from './helpers/chat.ts';

const ID = 'abcdefghijklmnopqrstu';

describe('sanitizer', () => {
  test('escapes C0, C1, DEL, ESC sequences and bidi/format characters visibly', () => {
    expect(clean('a\u001b[2Jb')).toBe('a\\x1b[2Jb');
    expect(clean('bell\u0007 cr\r nul\u0000 del\u007f csi\u009b')).toBe('bell\\x07 cr\\x0d nul\\x00 del\\x7f csi\\x9b');
    expect(clean('x\u202Ey\u2066z\u2069\u200F')).toBe('x\\u202ey\\u2066z\\u2069\\u200f');
    expect(clean('line\nbreak\ttab')).toBe('line\\x0abreak\\x09tab');
  });

  test('leaves ordinary text, accents, CJK and emoji (with joiners) alone', () => {
    const text = 'Zoë says 你好 👩‍👩‍👧 — ok?';
    expect(clean(text)).toBe(text);
  });

  test('non-strings and lone surrogates are made printable', () => {
    expect(clean(undefined)).toBe('');
    expect(clean(42)).toBe('42');
    expect(clean('a\uD800b')).toBe('a\uFFFDb');
  });

  test('multi-line text keeps its lines; a lone CR cannot rewind one', () => {
    expect(cleanLines('one\ntwo\r\nthree\rfour')).toEqual(['one', 'two', 'three\\x0dfour']);
  });
});

describe('arguments', () => {
  test('a room link gives the server and the id', () => {
    expect(parseRoomRef(`http://127.0.0.1:3000/rooms/${ID}`, 'http://x')).toEqual({ server: 'http://127.0.0.1:3000', roomId: ID });
    expect(parseRoomRef(`https://chat.example.com/mayfly/rooms/${ID}/`, 'http://x')).toEqual({
      server: 'https://chat.example.com/mayfly',
      roomId: ID,
    });
    expect(parseRoomRef(`wss://chat.example.com/rooms/${ID}/ws?token=t`, 'http://x')).toEqual({
      server: 'https://chat.example.com',
      roomId: ID,
    });
    expect(parseRoomRef(ID, 'http://x')).toEqual({ server: 'http://x', roomId: ID });
    expect(parseRoomRef('https://example.com/', 'http://x')).toBeNull();
    expect(parseRoomRef('short', 'http://x')).toBeNull();
  });

  test('a bare id that starts with "-" is an id, not an option', () => {
    const dashed = '-PKPTbnq-LD5nH33TGaHc';
    const parsed = parseArgs([dashed, '--server', 'http://127.0.0.1:9'], {});
    expect(parsed.kind).not.toBe('error');
    expect(JSON.stringify(parsed)).toContain(dashed);
    expect(parseArgs(['--bogus-option'], {}).kind).toBe('error');
  });

  test('options, defaults and the MAYFLY_SERVER environment variable', () => {
    expect(parseArgs([ID])).toEqual({ kind: 'ok', options: { server: 'http://127.0.0.1:3000', roomId: ID, login: false } });
    expect(parseArgs([ID, '--name', 'ann', '--password=pw', '--login'], { MAYFLY_SERVER: 'https://m.example/' })).toEqual({
      kind: 'ok',
      options: { server: 'https://m.example', roomId: ID, name: 'ann', password: 'pw', login: true },
    });
    expect(parseArgs([ID, '--server', 'http://h:1'], { MAYFLY_SERVER: 'https://m.example' })).toMatchObject({
      options: { server: 'http://h:1' },
    });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgs([])).toMatchObject({ kind: 'error' });
    expect(parseArgs([ID, '--name'])).toMatchObject({ kind: 'error', message: '--name needs a value.' });
    expect(parseArgs([ID, '--bogus'])).toMatchObject({ kind: 'error' });
    expect(parseArgs([ID, '--server', 'ftp://h'])).toMatchObject({ kind: 'error' });
  });
});

describe('formatting', () => {
  test('[HH:MM] name: text, with continuation lines indented under the text', () => {
    const at = new Date(2030, 0, 2, 9, 5).toISOString();
    expect(formatMessage({ timestamp: at, username: 'ann', content: 'hi\nthere' })).toBe('[09:05] ann: hi\n             there');
    expect(formatMessage({ timestamp: 'nonsense', username: 'a\u001bb', content: 'x' })).toBe('[--:--] a\\x1bb: x');
  });
});

// ---------------------------------------------------------------------------------------------
// The real program, as a child process, against a real server.

describe('terminal client', () => {
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

  /** A room with alice joined and connected as the other party. */
  async function roomWithAlice(body: Record<string, unknown> = {}) {
    const room = await createRoom(server.origin, body);
    const alice = await joinRoom(server.origin, room.room_id, 'alice', body.password as string | undefined);
    const ws = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
    sockets.push(ws);
    await ws.type('history');
    return { room, alice, ws, link: `${server.origin}/rooms/${room.room_id}` };
  }

  const post = (roomId: string, token: string, content: string) =>
    fetch(`${server.origin}/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ content }),
    });

  test('prints the history, then who is here', async () => {
    const { room, alice, link } = await roomWithAlice({ name: 'Tea room' });
    expect((await post(room.room_id, alice.token, 'earlier one')).status).toBe(201);
    expect((await post(room.room_id, alice.token, 'earlier two\nsecond line')).status).toBe(201);
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    const out = chat.out();
    expect(out).toContain('Joined “Tea room” as bob.');
    expect(out).toMatch(/\[\d\d:\d\d\] alice: earlier one\n/);
    expect(out).toMatch(/\[\d\d:\d\d\] alice: earlier two\n {15}second line\n/);
    expect(out.indexOf('earlier one')).toBeLessThan(out.indexOf('earlier two'));
    expect(out).toContain('* Here: alice');
  });

  test('a bare id uses --server; live messages from another member appear', async () => {
    const { room, ws } = await roomWithAlice();
    const chat = spawnChat([room.room_id, '--server', server.origin, '--name', 'bob']);
    await chat.waitOut(READY);
    ws.send({ type: 'message', content: 'hello bob' });
    await chat.waitOut(/\[\d\d:\d\d\] alice: hello bob\n/);
  });

  test('a typed line reaches the other member; empty lines are not sent', async () => {
    const { ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    chat.send('');
    chat.send('   ');
    chat.send('hi from the terminal');
    const got = await ws.next((f) => f.type === 'message' && f.username === 'bob');
    expect(got.content).toBe('hi from the terminal');
    await chat.waitOut('bob: hi from the terminal');
    expect(ws.of('message').filter((f) => f.username === 'bob')).toHaveLength(1);
  });

  test('lines typed before the connection is up are sent once it is', async () => {
    const { ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    chat.send('early bird');
    const got = await ws.next((f) => f.type === 'message' && f.username === 'bob');
    expect(got.content).toBe('early bird');
  });

  test('shows joins, leaves and typing (throttled)', async () => {
    const { room, ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    const carol = await joinRoom(server.origin, room.room_id, 'carol');
    await chat.waitOut('* carol joined\n');
    const res = await fetch(`${server.origin}/rooms/${room.room_id}/leave`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${carol.token}` },
      body: '{}',
    });
    expect(res.status).toBe(204);
    await chat.waitOut('* carol left\n');

    ws.send({ type: 'typing' });
    await chat.waitOut('alice is typing…\n');
    await Bun.sleep(1100); // past the server's own one-per-second typing limit
    ws.send({ type: 'typing' });
    ws.send({ type: 'message', content: 'marker' });
    await chat.waitOut('alice: marker');
    expect(count(chat.out(), 'alice is typing…')).toBe(1);
    expect(count(chat.out(), 'bob joined')).toBe(0); // our own presence is not echoed
  });

  test('/quit leaves the room (the others see it) and exits 0', async () => {
    const { room, ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    chat.send('/quit');
    expect(await chat.exit()).toBe(0);
    await ws.next((f) => f.type === 'user_left' && f.username === 'bob', 3000, 'user_left for bob');
    const info = (await (await fetch(`${server.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } })).json()) as {
      users: string[];
    };
    expect(info.users).toEqual(['alice']);
    expect(chat.out()).toContain('* You left the room.');
  });

  test('end of stdin sends what was typed, leaves and exits 0', async () => {
    const { ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    chat.send('last words');
    chat.end();
    expect(await chat.exit()).toBe(0);
    expect((await ws.next((f) => f.type === 'message' && f.username === 'bob')).content).toBe('last words');
    await ws.next((f) => f.type === 'user_left' && f.username === 'bob', 3000, 'user_left for bob');
  });

  test('without --name and without a terminal it joins as guest-XXXX', async () => {
    const { ws, link } = await roomWithAlice();
    const chat = spawnChat([link]);
    await chat.waitOut(READY);
    expect(chat.out()).toMatch(/Joined “Test room” as guest-[0-9a-f]{4}\./);
    await ws.next((f) => f.type === 'user_joined' && /^guest-[0-9a-f]{4}$/.test(f.username));
  });

  test('hostile text from the server is neutralised: no raw ESC, BEL, CR or bidi override reaches the terminal', async () => {
    const { room, alice, ws, link } = await roomWithAlice();
    // The server refuses control characters in content, so a hostile (or older, or compromised)
    // server is simulated by writing to its storage and broker directly; bidi goes through the API.
    const hostile = 'clear\u001b[2J bell\u0007 back\rOVERWRITE csi\u009b31m \u202Egnp.exe';
    const { deps } = server;
    const inject = async (content: string, username = 'alice') => {
      const m = await deps.store.appendMessage(
        room.room_id,
        { id: crypto.randomUUID(), username, memberId: alice.member_id, content, timestamp: new Date().toISOString(), verified: false },
        200,
      );
      await deps.broker.publish(room.room_id, messageEvent(room.room_id, m!));
    };
    await inject(`in history: ${hostile}`, 'mal\u001b]0;pwned\u0007lory');
    expect((await post(room.room_id, alice.token, 'api \u202Ereversed\u2066 isolate')).status).toBe(201);

    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    await inject(`live: ${hostile}\nnext line`);
    ws.send({ type: 'message', content: 'end marker' });
    await chat.waitOut('alice: end marker');

    const bytes = chat.bytes();
    for (const bad of [0x1b, 0x07, 0x0d, 0x00]) expect(bytes.includes(bad)).toBe(false);
    const out = chat.out();
    for (const bad of ['\u009b', '\u202E', '\u2066']) expect(out.includes(bad)).toBe(false);
    expect(out).toContain('mal\\x1b]0;pwned\\x07lory: in history: clear\\x1b[2J bell\\x07 back\\x0dOVERWRITE csi\\x9b31m \\u202egnp.exe');
    expect(out).toMatch(/alice: live: clear\\x1b\[2J bell\\x07 back\\x0dOVERWRITE csi\\x9b31m \\u202egnp\.exe\n +next line\n/);
    expect(out).toContain('alice: api \\u202ereversed\\u2066 isolate');
  });

  test('errors from the server are shown with "!" and the connection stays', async () => {
    const { ws, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    chat.send('x'.repeat(2001));
    await chat.waitOut(/^! .*2000/m);
    chat.send('still here');
    await ws.next((f) => f.type === 'message' && f.content === 'still here');
  });

  test('a wrong password gives a clear error and a non-zero exit', async () => {
    const { link } = await roomWithAlice({ password: 'sesame' });
    const chat = spawnChat([link, '--name', 'bob', '--password', 'nope']);
    expect(await chat.exit()).not.toBe(0);
    expect(chat.err()).toContain('Wrong password for this room.');
  });

  test('the right password gets in', async () => {
    const { ws, link } = await roomWithAlice({ password: 'sesame' });
    const chat = spawnChat([link, '--name', 'bob', '--password', 'sesame']);
    await chat.waitOut(READY);
    chat.send('in');
    await ws.next((f) => f.type === 'message' && f.username === 'bob');
  });

  test('a password room without --password says how to give one', async () => {
    const { link } = await roomWithAlice({ password: 'sesame' });
    const chat = spawnChat([link, '--name', 'bob']);
    expect(await chat.exit()).toBe(1);
    expect(chat.err()).toContain('password protected');
  });

  test('unknown room, taken name, full room and an unreachable server are each explained', async () => {
    const unknown = spawnChat([ID, '--server', server.origin, '--name', 'bob']);
    expect(await unknown.exit()).toBe(1);
    expect(unknown.err()).toContain('No such room');

    const { room, link } = await roomWithAlice({ max_users: 2 });
    const taken = spawnChat([link, '--name', 'alice']);
    expect(await taken.exit()).toBe(1);
    expect(taken.err()).toContain('The name "alice" is already taken');

    await joinRoom(server.origin, room.room_id, 'carol');
    const full = spawnChat([link, '--name', 'bob']);
    expect(await full.exit()).toBe(1);
    expect(full.err()).toContain('The room is full');

    const port = await freePort();
    const down = spawnChat([ID, '--server', `http://127.0.0.1:${port}`, '--name', 'bob']);
    expect(await down.exit()).toBe(1);
    expect(down.err()).toContain(`Cannot reach the mayfly server at http://127.0.0.1:${port}`);

    const usage = spawnChat(['not-a-room']);
    expect(await usage.exit()).toBe(2);
    expect(usage.err()).toContain('is not a mayfly room link or id');
  });

  test('the owner destroying the room prints that it is gone and exits 0', async () => {
    const { room, link } = await roomWithAlice();
    const chat = spawnChat([link, '--name', 'bob']);
    await chat.waitOut(READY);
    const res = await fetch(`${server.origin}/rooms/${room.room_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${room.owner_token}` },
    });
    expect(res.status).toBe(204);
    expect(await chat.exit()).toBe(0);
    expect(chat.out()).toContain('The room was destroyed by its owner. Everything in it is gone.');
  });

  test.skipIf(onTheClock())(
    'the room expiring prints the expiry message and exits 0',
    async () => {
      const { link } = await roomWithAlice({ expiry_seconds: 5 });
      const chat = spawnChat([link, '--name', 'bob']);
      await chat.waitOut(READY);
      expect(await chat.exit(10000)).toBe(0);
      expect(chat.out()).toContain('The room has expired. Everything in it is gone.');
    },
    15000,
  );
  test('--login: signs in, chats under the account, and messages arrive verified', async () => {
    const reg = await fetch(`${server.origin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: 'carol-account-pw' }),
    });
    expect(reg.status).toBe(201);
    const { room, ws, link } = await roomWithAlice();
    const wrong = spawnChat([link, '--name', 'carol', '--login'], { MAYFLY_ACCOUNT_PASSWORD: 'not-her-password' });
    expect(await wrong.exit()).not.toBe(0);
    const chat = spawnChat([link, '--name', 'carol', '--login'], { MAYFLY_ACCOUNT_PASSWORD: 'carol-account-pw' });
    await chat.waitOut(READY);
    chat.send('hello as carol');
    const m = await ws.next((f) => f.type === 'message' && f.content === 'hello as carol');
    expect(m.username).toBe('carol');
    expect(m.verified).toBe(true);
    chat.send('/quit');
    expect(await chat.exit()).toBe(0);
    expect(room.room_id).toHaveLength(21);
  });
});

describe('terminal client across a server restart', () => {
  let dir = '';
  const servers: TestServer[] = [];

  afterEach(async () => {
    killChats();
    for (const s of servers.splice(0)) await s.stop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('reconnects with ?since: nothing missed, nothing twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mayfly-cli-'));
    const env = { STORAGE_URL: `sqlite:${join(dir, 'mayfly.db')}`, PRESENCE_GRACE_SECONDS: '30' };
    const port = String(await freePort());
    const first = await startTestServer({ ...env, PORT: port });
    servers.push(first);
    const room = await createRoom(first.origin);
    const alice = await joinRoom(first.origin, room.room_id, 'alice');
    const say = (origin: string, content: string) =>
      fetch(`${origin}/rooms/${room.room_id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ content }),
      });
    expect((await say(first.origin, 'before the restart')).status).toBe(201);

    const chat = spawnChat([`${first.origin}/rooms/${room.room_id}`, '--name', 'bob']);
    await chat.waitOut(READY);
    await first.stop(); // closes sockets with 1012
    servers.length = 0;
    await chat.waitOut('server is restarting');

    // While the client cannot connect, a message arrives through another instance on the same storage.
    const other = await startTestServer(env);
    expect((await say(other.origin, 'while you were away')).status).toBe(201);
    await other.stop();

    const second = await startTestServer({ ...env, PORT: port });
    servers.push(second);
    await chat.waitOut('* Reconnected.', 10000);
    expect((await say(second.origin, 'after the restart')).status).toBe(201);
    await chat.waitOut('alice: after the restart');
    const out = chat.out();
    expect(count(out, 'alice: before the restart')).toBe(1);
    expect(count(out, 'alice: while you were away')).toBe(1);
    expect(out.indexOf('while you were away')).toBeLessThan(out.indexOf('after the restart'));

    chat.send('/quit');
    expect(await chat.exit()).toBe(0);
  }, 20000);
});
