// Optional accounts over real HTTP and WebSockets: register, login, logout, me, delete, reserved names.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';
import { connect } from '../helpers/ws.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.origin + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const login = async (username: string, password: string) =>
  (await (await post('/login', { username, password })).json()) as { token: string; username: string };

describe('accounts', () => {
  test('register validates and explains; names are unique case-insensitively', async () => {
    expect((await post('/register', { username: 'Ada', password: 'correct horse' })).status).toBe(201);
    const dup = await post('/register', { username: 'ada', password: 'another pass' });
    expect(dup.status).toBe(409);
    expect((await dup.json()).error.code).toBe('username_taken');
    const short = await post('/register', { username: 'bo', password: 'short' });
    expect(short.status).toBe(400);
    expect((await short.json()).error.fields.password).toContain('at least 8');
    const blank = await post('/register', { username: '  ', password: 'long enough' });
    expect((await blank.json()).error.fields.username).toBeString();
  });

  test('login gives a token; any wrong credentials get one generic 401; /me needs the token', async () => {
    await post('/register', { username: 'grace', password: 'hopper-1906' });
    const ok = await post('/login', { username: 'GRACE', password: 'hopper-1906' });
    expect(ok.status).toBe(200);
    const { token, username } = await ok.json();
    expect(username).toBe('grace');
    const wrongPw = await post('/login', { username: 'grace', password: 'nope-nope' });
    const noUser = await post('/login', { username: 'nobody-here', password: 'nope-nope' });
    expect(wrongPw.status).toBe(401);
    expect(noUser.status).toBe(401);
    expect(await wrongPw.json()).toEqual(await noUser.json());
    expect((await fetch(`${server.origin}/me`, { headers: { accept: 'application/json' } })).status).toBe(401);
    const me = await fetch(`${server.origin}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toEqual({ username: 'grace' });
    // logout ends the session
    expect((await post('/logout', {}, { authorization: `Bearer ${token}` })).status).toBe(204);
    expect((await fetch(`${server.origin}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  test('login attempts are rate-limited', async () => {
    await post('/register', { username: 'target', password: 'the-real-one' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post('/login', { username: 'target', password: `guess-${i}` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  test('a registered name is reserved in every room; the account holder chats verified', async () => {
    await post('/register', { username: 'linus', password: 'penguin-1991' });
    const { token } = await login('linus', 'penguin-1991');
    const room = await createRoom(server.origin);
    const impostor = await post(`/rooms/${room.room_id}/join`, { username: 'Linus' });
    expect(impostor.status).toBe(409);
    expect((await impostor.json()).error.code).toBe('name_reserved');
    const guest = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?username=linus`);
    expect((await guest.closedWith()).code).toBe(4403);

    const joined = await post(`/rooms/${room.room_id}/join`, { username: 'linus' }, { authorization: `Bearer ${token}` });
    expect(joined.status).toBe(200);
    const member = await joined.json();
    const other = await joinRoom(server.origin, room.room_id, 'guesty');
    const watcher = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${other.token}`);
    await watcher.type('history');
    const s = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${member.token}`);
    await s.type('history');
    s.send({ type: 'message', content: 'signed message' });
    const m = await watcher.next((f) => f.type === 'message' && f.content === 'signed message');
    expect(m.verified).toBe(true);
    expect(m.username).toBe('linus');
    watcher.send({ type: 'message', content: 'guest message' });
    expect((await s.next((f) => f.type === 'message' && f.content === 'guest message')).verified).toBe(false);
    s.close();
    watcher.close();
  });

  test('DELETE /me removes the account and its sessions; the name is free again', async () => {
    await post('/register', { username: 'ephemeral', password: 'gone-soon-1' });
    const { token } = await login('ephemeral', 'gone-soon-1');
    const { token: token2 } = await login('ephemeral', 'gone-soon-1');
    expect((await fetch(`${server.origin}/me`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    expect((await fetch(`${server.origin}/me`, { headers: { authorization: `Bearer ${token2}` } })).status).toBe(401);
    expect((await post('/login', { username: 'ephemeral', password: 'gone-soon-1' })).status).toBe(401);
    const room = await createRoom(server.origin);
    expect((await post(`/rooms/${room.room_id}/join`, { username: 'ephemeral' })).status).toBe(200);
  });

  test('browser: the login form sets an HttpOnly cookie and the lobby shows who is signed in', async () => {
    await post('/register', { username: 'webby', password: 'browser-pass' });
    const res = await fetch(`${server.origin}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.origin },
      body: 'username=webby&password=browser-pass',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toContain('mayfly_session=');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    const lobby = await (await fetch(`${server.origin}/`, { headers: { cookie: cookie.split(';')[0]! } })).text();
    expect(lobby).toContain('Signed in as');
    expect(lobby).toContain('webby');
    const bad = await fetch(`${server.origin}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.origin },
      body: 'username=webby&password=wrong-pass',
    });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('Wrong username or password');
  });
});
