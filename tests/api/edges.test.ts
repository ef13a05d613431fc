// Edges over real HTTP (issue 19): no room page cached, names compared as people read them, lone
// surrogates, bodies over Bun's own limit, and strict JSON number types.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';

// argon2id hashing is slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const postJson = (path: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });

const postForm = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: s.origin, ...headers },
    body,
    redirect: 'manual',
  });

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.origin}${path}`, { headers, redirect: 'manual' });

const noStore = (res: Response) => expect(res.headers.get('cache-control') ?? '').toContain('no-store');

describe('no room page stays in the browser', () => {
  test('room page, join page, message JSON and POST responses send Cache-Control: no-store', async () => {
    const room = await createRoom(s.origin);
    const id = room.room_id;
    const alice = await joinRoom(s.origin, id, 'alice');
    const cookie = `mayfly_member=${alice.token}`;

    noStore(await get(`/rooms/${id}`, { accept: 'text/html' })); // join page: no member cookie
    const page = await get(`/rooms/${id}`, { accept: 'text/html', cookie });
    expect(await page.text()).toContain('alice');
    noStore(page);
    noStore(await get(`/rooms/${id}`, { accept: 'application/json' }));
    noStore(await get(`/rooms/${id}/messages`, { authorization: `Bearer ${alice.token}` }));

    const posted = await postJson(`/rooms/${id}/messages`, { content: 'secret words' }, { authorization: `Bearer ${alice.token}` });
    expect(posted.status).toBe(201);
    noStore(posted);
    noStore(await postJson('/rooms', { name: 'r', owner_name: 'o' }));
    noStore(await postJson(`/rooms/${id}/join`, { username: 'bob' }));
    const formPost = await postForm(`/rooms/${id}/messages`, 'content=hello', { cookie });
    expect(formPost.status).toBe(303);
    noStore(formPost);
    noStore(await postForm(`/rooms/${id}/leave`, '', { cookie }));
    noStore(await get('/rooms/AAAAAAAAAAAAAAAAAAAAA', { accept: 'text/html' })); // the gone page
  });

  test('the lobby is not cached while it shows a signed-in account', async () => {
    expect((await postJson('/register', { username: 'lobbyist', password: 'password1' })).status).toBe(201);
    const login = await postJson('/login', { username: 'lobbyist', password: 'password1' });
    const { token } = (await login.json()) as { token: string };
    const lobby = await get('/', { accept: 'text/html', cookie: `mayfly_session=${token}` });
    expect(await lobby.text()).toContain('lobbyist');
    noStore(lobby);
    noStore(await get('/me', { accept: 'text/html', cookie: `mayfly_session=${token}` }));
  });
});

describe('names compare as people read them', () => {
  test('a lookalike of a name in the room is taken; NFKC is what is kept and shown', async () => {
    const room = await createRoom(s.origin);
    await joinRoom(s.origin, room.room_id, 'paypal');
    const clash = await postJson(`/rooms/${room.room_id}/join`, { username: 'pаypal' }); // Cyrillic а
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as any).error.code).toBe('name_taken');
    const wide = await joinRoom(s.origin, room.room_id, 'ｓａｍ');
    expect(wide.username).toBe('sam');
    expect((await postJson(`/rooms/${room.room_id}/join`, { username: 'SAM' })).status).toBe(409);
  });

  test('a lookalike of a registered account is reserved', async () => {
    expect((await postJson('/register', { username: 'ceo', password: 'password1' })).status).toBe(201);
    expect((await postJson('/register', { username: 'сео', password: 'password2' })).status).toBe(409); // Cyrillic
    const room = await createRoom(s.origin);
    const res = await postJson(`/rooms/${room.room_id}/join`, { username: 'сео' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe('name_reserved');
  });

  test('invisible characters get a field error', async () => {
    const room = await createRoom(s.origin);
    for (const name of ['ad\u200bmin', 'ad\u00admin', '\u3164', 'x\u{E0100}']) {
      const res = await postJson(`/rooms/${room.room_id}/join`, { username: name });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.fields.username).toBeString();
    }
  });
});

describe('a lone surrogate is a validation error, never a 500', () => {
  test('JSON: join, create, register and login', async () => {
    const room = await createRoom(s.origin, { password: 'door' });
    const id = room.room_id;
    for (const [path, body, field] of [
      [`/rooms/${id}/join`, '{"username":"\\ud800"}', 'username'],
      [`/rooms/${id}/join`, '{"username":"ok","password":"a\\ud800"}', 'password'],
      ['/rooms', '{"name":"r","owner_name":"o\\udc00"}', 'owner_name'],
      ['/rooms', '{"name":"r\\ud800","owner_name":"o"}', 'name'],
      ['/register', '{"username":"\\ud800x","password":"password1"}', 'username'],
      ['/register', '{"username":"surrogate","password":"password1\\ud800"}', 'password'],
      ['/login', '{"username":"\\ud800","password":"password1"}', 'username'],
      ['/login', '{"username":"surrogate","password":"\\ud800"}', 'password'],
    ] as const) {
      const res = await postJson(path, body);
      expect([path, res.status]).toEqual([path, 400]);
      const json = (await res.json()) as any;
      expect(json.error.code).toBe('validation_failed');
      expect(json.error.fields[field]).toBeString();
    }
  });

  test('forms: a broken UTF-8 sequence never gives a 500', async () => {
    const room = await createRoom(s.origin);
    for (const [path, body] of [
      [`/rooms/${room.room_id}/join`, 'username=%ED%A0%80'],
      ['/register', 'username=%ED%A0%80&password=password1'],
      ['/login', 'username=%ED%A0%80&password=%ED%A0%80'],
    ] as const) {
      const res = await postForm(path, body);
      expect(res.status).toBeLessThan(500);
    }
  });
});

describe('body size', () => {
  test('a body over 1 MiB gets the JSON 413, not a bare one', async () => {
    const big = JSON.stringify({ name: 'r', owner_name: 'o', pad: 'x'.repeat(3 * 1024 * 1024) });
    for (const path of ['/rooms', '/register', '/rooms/AAAAAAAAAAAAAAAAAAAAA/join']) {
      const res = await postJson(path, big);
      expect(res.status).toBe(413);
      expect(((await res.json()) as any).error.code).toBe('body_too_large');
    }
    const form = await postForm('/rooms', `name=r&owner_name=o&pad=${'x'.repeat(2 * 1024 * 1024)}`);
    expect(form.status).toBe(413);
    expect(await form.text()).toContain('body_too_large');
    // streamed, with no Content-Length: cut off as it passes the limit, with the same JSON
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"r","owner_name":"o","pad":"'));
        if (sent++ < 32) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(`${s.origin}/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as any).error.code).toBe('body_too_large');
    // the server still answers afterwards
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('strict JSON types', () => {
  test('JSON numbers must be numbers; form posts still take numeric strings', async () => {
    for (const [field, value] of [
      ['expiry_seconds', [60]],
      ['max_users', ' 5 '],
      ['max_users', '5'],
    ] as const) {
      const res = await postJson('/rooms', { name: 'r', owner_name: 'o', [field]: value });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.fields[field]).toBe('must be a whole number');
    }
    expect((await postJson('/rooms', { name: 'r', owner_name: 'o', expiry_seconds: 60, max_users: 5 })).status).toBe(201);
    const form = await postForm('/rooms', 'name=r&owner_name=o&expiry_seconds=60&max_users=5');
    expect(form.status).toBe(303);
  });
});
