// Contract tests for the JSON API over real HTTP: create, read, join, post, history, leave, destroy.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { connect } from '../helpers/ws.ts';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';

// argon2id hashing and real sockets are slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, text, json: text ? safeJson(text) : null };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.origin}${path}`, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  return { res, status: res.status, text, json: text ? safeJson(text) : null };
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('POST /rooms', () => {
  test('JSON create returns 201 with room_id, ws_url, expires_at and owner_token', async () => {
    const before = Date.now();
    const { status, json, res } = await post('/rooms', { name: 'Planning', owner_name: 'JohnDoe', expiry_seconds: 600, max_users: 20 });
    expect(status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(json.room_id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(json.ws_url).toBe(`${s.wsOrigin}/rooms/${json.room_id}/ws`);
    expect(json.expires_at).toMatch(ISO);
    const expires = Date.parse(json.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 599_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 601_000);
    expect(typeof json.owner_token).toBe('string');
    expect(json.owner_token.length).toBeGreaterThanOrEqual(20);
    expect(json.name).toBe('Planning');
    expect(json.max_users).toBe(20);
    expect(json.password_protected).toBe(false);
  });

  test('trailing slash /rooms/ works the same (the seed client posts there)', async () => {
    const { status, json } = await post('/rooms/', { name: 'Slash', owner_name: 'JohnDoe' });
    expect(status).toBe(201);
    expect(json.room_id).toHaveLength(21);
  });

  test('defaults: 600 s expiry and 20 users', async () => {
    const { json } = await post('/rooms', { name: 'Defaults', owner_name: 'x' });
    expect(json.max_users).toBe(20);
    expect(json.expires_in_seconds).toBeGreaterThanOrEqual(598);
    expect(json.expires_in_seconds).toBeLessThanOrEqual(600);
  });

  test('a password room never shows the password or its hash', async () => {
    const { status, json, text } = await post('/rooms', { name: 'Secret', owner_name: 'o', password: 'hunter2-sesame' });
    expect(status).toBe(201);
    expect(json.password_protected).toBe(true);
    expect(text).not.toContain('hunter2-sesame');
    expect(text).not.toContain('argon2');
    expect(json).not.toHaveProperty('password');
    expect(json).not.toHaveProperty('password_hash');
    expect(json).not.toHaveProperty('passwordHash');
    const again = await get(`/rooms/${json.room_id}`);
    expect(again.text).not.toContain('hunter2-sesame');
    expect(again.text).not.toContain('argon2');
  });

  test('room ids are unique', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => createRoom(s.origin).then((r) => r.room_id)));
    expect(new Set(ids).size).toBe(10);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['blank name', { name: '   ', owner_name: 'ok' }, 'name'],
    ['missing name', { owner_name: 'ok' }, 'name'],
    ['name over 80 characters', { name: 'n'.repeat(81), owner_name: 'ok' }, 'name'],
    ['blank owner_name', { name: 'ok', owner_name: '' }, 'owner_name'],
    ['owner_name over 32 characters', { name: 'ok', owner_name: 'o'.repeat(33) }, 'owner_name'],
    ['expiry_seconds below 5', { name: 'ok', owner_name: 'ok', expiry_seconds: 4 }, 'expiry_seconds'],
    ['expiry_seconds above 86400', { name: 'ok', owner_name: 'ok', expiry_seconds: 86401 }, 'expiry_seconds'],
    ['expiry_seconds not a number', { name: 'ok', owner_name: 'ok', expiry_seconds: 'soon' }, 'expiry_seconds'],
    ['fractional expiry_seconds', { name: 'ok', owner_name: 'ok', expiry_seconds: 60.5 }, 'expiry_seconds'],
    ['max_users 1', { name: 'ok', owner_name: 'ok', max_users: 1 }, 'max_users'],
    ['max_users 1001', { name: 'ok', owner_name: 'ok', max_users: 1001 }, 'max_users'],
    ['idle_seconds above expiry_seconds', { name: 'ok', owner_name: 'ok', expiry_seconds: 60, idle_seconds: 120 }, 'idle_seconds'],
    ['idle_seconds above the default expiry (600)', { name: 'ok', owner_name: 'ok', idle_seconds: 900 }, 'idle_seconds'],
    ['idle_seconds below 30', { name: 'ok', owner_name: 'ok', idle_seconds: 10 }, 'idle_seconds'],
    ['password over 128 characters', { name: 'ok', owner_name: 'ok', password: 'p'.repeat(129) }, 'password'],
  ];
  for (const [what, body, field] of invalid) {
    test(`400 validation_failed naming the field: ${what}`, async () => {
      const { status, json } = await post('/rooms', body);
      expect(status).toBe(400);
      expect(json.error.code).toBe('validation_failed');
      expect(typeof json.error.message).toBe('string');
      expect(Object.keys(json.error.fields)).toContain(field);
      expect(typeof json.error.fields[field]).toBe('string');
    });
  }

  test('every offending field is named at once', async () => {
    const { status, json } = await post('/rooms', { name: '', owner_name: 'o'.repeat(40), expiry_seconds: 1, max_users: 5000 });
    expect(status).toBe(400);
    expect(Object.keys(json.error.fields).sort()).toEqual(['expiry_seconds', 'max_users', 'name', 'owner_name']);
  });

  test('range errors say what the range is', async () => {
    const low = await post('/rooms', { name: 'ok', owner_name: 'ok', expiry_seconds: 4 });
    expect(low.json.error.fields.expiry_seconds).toMatch(/5/);
    const high = await post('/rooms', { name: 'ok', owner_name: 'ok', max_users: 1001 });
    expect(high.json.error.fields.max_users).toMatch(/1000/);
  });

  test('boundaries are accepted: expiry 5 and 86400, max_users 2 and 1000, idle = expiry', async () => {
    for (const body of [
      { expiry_seconds: 5 },
      { expiry_seconds: 86400 },
      { max_users: 2 },
      { max_users: 1000 },
      { expiry_seconds: 60, idle_seconds: 60 },
      { expiry_seconds: 600, idle_seconds: 30 },
    ]) {
      const { status, text } = await post('/rooms', { name: 'edge', owner_name: 'ok', ...body });
      expect(`${status} ${JSON.stringify(body)} ${text.slice(0, 200)}`).toStartWith('201');
    }
  });

  test('malformed JSON → 400', async () => {
    const { status, json } = await post('/rooms', '{"name": "broken",');
    expect(status).toBe(400);
    expect(typeof json.error.code).toBe('string');
    expect(typeof json.error.message).toBe('string');
  });

  test('a JSON array or a bare string is not a room → 400', async () => {
    expect((await post('/rooms', '[1,2]')).status).toBe(400);
    expect((await post('/rooms', '"room"')).status).toBe(400);
  });

  test('a body over the limit → 413 JSON', async () => {
    const { status, json } = await post('/rooms', { name: 'big', owner_name: 'ok', filler: 'x'.repeat(70 * 1024) });
    expect(status).toBe(413);
    expect(json.error.code).toBe('body_too_large');
  });
});

describe('GET /rooms/{id}', () => {
  test('room JSON for a passwordless room, never the password', async () => {
    const room = await createRoom(s.origin, { name: 'Open', max_users: 7 });
    await joinRoom(s.origin, room.room_id, 'alice');
    const { status, json } = await get(`/rooms/${room.room_id}`);
    expect(status).toBe(200);
    expect(json.room_id).toBe(room.room_id);
    expect(json.name).toBe('Open');
    expect(json.max_users).toBe(7);
    expect(json.users).toEqual(['alice']);
    expect(json.expires_at).toBe(room.expires_at);
    expect(json.ws_url).toBe(room.ws_url);
    expect(json).not.toHaveProperty('owner_token');
    expect(json).not.toHaveProperty('password');
  });

  test('a password room shows only id, expiry and password_protected to a non-member', async () => {
    const room = await createRoom(s.origin, { name: 'Hidden name', password: 'pw-123' });
    const member = await joinRoom(s.origin, room.room_id, 'alice', 'pw-123');
    const outsider = await get(`/rooms/${room.room_id}`);
    expect(outsider.status).toBe(200);
    expect(outsider.json.room_id).toBe(room.room_id);
    expect(outsider.json.password_protected).toBe(true);
    expect(outsider.json.expires_at).toBe(room.expires_at);
    for (const key of ['name', 'owner_name', 'users', 'user_count', 'max_users', 'created_at', 'idle_seconds'])
      expect(outsider.json).not.toHaveProperty(key);
    expect(outsider.text).not.toContain('Hidden name');
    expect(outsider.text).not.toContain('alice');
    // a member sees the whole room
    const inside = await get(`/rooms/${room.room_id}`, bearer(member.token));
    expect(inside.json.name).toBe('Hidden name');
    expect(inside.json.users).toEqual(['alice']);
    // a wrong token is no better than none
    const wrong = await get(`/rooms/${room.room_id}`, bearer('not-a-token'));
    expect(wrong.json).not.toHaveProperty('name');
  });

  test('unknown id → 404 JSON', async () => {
    for (const id of ['AAAAAAAAAAAAAAAAAAAAA', 'short', 'with.dots.and_more_than_21_chars']) {
      const { status, json } = await get(`/rooms/${id}`);
      expect(status).toBe(404);
      expect(json.error.code).toBe('not_found');
    }
  });

  test('a GET with a Bearer token and no Accept header gets JSON', async () => {
    const room = await createRoom(s.origin, { name: 'Bearer view' });
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const res = await fetch(`${s.origin}/rooms/${room.room_id}`, { headers: bearer(alice.token) });
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as any).name).toBe('Bearer view');
  });

  test('a plain GET gets HTML (the join page), not JSON', async () => {
    const room = await createRoom(s.origin, { name: 'Html room' });
    const res = await fetch(`${s.origin}/rooms/${room.room_id}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('Join');
  });
});

describe('POST /rooms/{id}/join', () => {
  test('200 {token, username}', async () => {
    const room = await createRoom(s.origin);
    const { status, json } = await post(`/rooms/${room.room_id}/join`, { username: 'alice' });
    expect(status).toBe(200);
    expect(typeof json.token).toBe('string');
    expect(json.token.length).toBeGreaterThanOrEqual(20);
    expect(json.username).toBe('alice');
  });

  test('display_name is accepted for username', async () => {
    const room = await createRoom(s.origin);
    const { status, json } = await post(`/rooms/${room.room_id}/join`, { display_name: 'Dana' });
    expect(status).toBe(200);
    expect(json.username).toBe('Dana');
  });

  test('a username is trimmed; blank or too long → 400 naming username', async () => {
    const room = await createRoom(s.origin);
    expect((await post(`/rooms/${room.room_id}/join`, { username: '  spaced  ' })).json.username).toBe('spaced');
    for (const username of ['', '   ', 'u'.repeat(33)]) {
      const { status, json } = await post(`/rooms/${room.room_id}/join`, { username });
      expect(status).toBe(400);
      expect(json.error.code).toBe('validation_failed');
      expect(json.error.fields).toHaveProperty('username');
    }
    expect((await post(`/rooms/${room.room_id}/join`, {})).status).toBe(400);
  });

  test('password room: right password 200, wrong or missing 401', async () => {
    const room = await createRoom(s.origin, { password: 'open sesame' });
    expect((await post(`/rooms/${room.room_id}/join`, { username: 'a', password: 'open sesame' })).status).toBe(200);
    const wrong = await post(`/rooms/${room.room_id}/join`, { username: 'b', password: 'close sesame' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('wrong_password');
    expect((await post(`/rooms/${room.room_id}/join`, { username: 'c' })).status).toBe(401);
  });

  test('room full (max_users 2) → 409', async () => {
    const room = await createRoom(s.origin, { max_users: 2 });
    await joinRoom(s.origin, room.room_id, 'one');
    await joinRoom(s.origin, room.room_id, 'two');
    const { status, json } = await post(`/rooms/${room.room_id}/join`, { username: 'three' });
    expect(status).toBe(409);
    expect(json.error.code).toBe('room_full');
  });

  test('name taken (case-insensitive) → 409', async () => {
    const room = await createRoom(s.origin);
    await joinRoom(s.origin, room.room_id, 'Alice');
    for (const username of ['Alice', 'alice', 'ALICE']) {
      const { status, json } = await post(`/rooms/${room.room_id}/join`, { username });
      expect(status).toBe(409);
      expect(json.error.code).toBe('name_taken');
    }
  });

  test('a name is free again after its holder leaves', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    expect((await post(`/rooms/${room.room_id}/leave`, {}, bearer(alice.token))).status).toBe(204);
    expect((await post(`/rooms/${room.room_id}/join`, { username: 'ALICE' })).status).toBe(200);
  });

  test('gone room → 404', async () => {
    const room = await createRoom(s.origin);
    expect((await del(room.room_id, room.owner_token)).status).toBe(204);
    const { status, json } = await post(`/rooms/${room.room_id}/join`, { username: 'late' });
    expect(status).toBe(404);
    expect(json.error.code).toBe('not_found');
    expect((await post(`/rooms/AAAAAAAAAAAAAAAAAAAAA/join`, { username: 'x' })).status).toBe(404);
  });

  test('malformed JSON → 400', async () => {
    const room = await createRoom(s.origin);
    expect((await post(`/rooms/${room.room_id}/join`, '{oops')).status).toBe(400);
  });
});

describe('messages', () => {
  test('POST with a Bearer token → 201 message JSON', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const { status, json } = await post(`/rooms/${room.room_id}/messages`, { content: '  hello there  ' }, bearer(alice.token));
    expect(status).toBe(201);
    expect(typeof json.id).toBe('string');
    expect(json.seq).toBe(1);
    expect(json.username).toBe('alice');
    expect(json.content).toBe('hello there');
    expect(json.timestamp).toMatch(ISO);
    expect(Math.abs(Date.parse(json.timestamp) - Date.now())).toBeLessThan(10_000);
    expect(json.room_id).toBe(room.room_id);
    const second = await post(`/rooms/${room.room_id}/messages`, { content: 'again' }, bearer(alice.token));
    expect(second.json.seq).toBe(2);
  });

  test('without a token → 401; with a wrong token → 401; an owner token is not a member token', async () => {
    const room = await createRoom(s.origin);
    expect((await post(`/rooms/${room.room_id}/messages`, { content: 'hi' })).status).toBe(401);
    expect((await post(`/rooms/${room.room_id}/messages`, { content: 'hi' }, bearer('nope'))).status).toBe(401);
    expect((await post(`/rooms/${room.room_id}/messages`, { content: 'hi' }, bearer(room.owner_token))).status).toBe(401);
  });

  test('a token works only in its own room', async () => {
    const a = await createRoom(s.origin);
    const b = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, a.room_id, 'alice');
    expect((await post(`/rooms/${b.room_id}/messages`, { content: 'hi' }, bearer(alice.token))).status).toBe(401);
    expect((await get(`/rooms/${b.room_id}/messages`, bearer(alice.token))).status).toBe(401);
  });

  test('blank, missing or oversized (2001 chars) content → 400 naming content; 2000 chars is fine', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (const body of [{ content: '' }, { content: ' \n\t ' }, {}, { content: 'x'.repeat(2001) }, { content: 42 }]) {
      const { status, json } = await post(`/rooms/${room.room_id}/messages`, body, bearer(alice.token));
      expect(status).toBe(400);
      expect(json.error.code).toBe('validation_failed');
      expect(json.error.fields).toHaveProperty('content');
    }
    const ok = await post(`/rooms/${room.room_id}/messages`, { content: 'y'.repeat(2000) }, bearer(alice.token));
    expect(ok.status).toBe(201);
    // nothing was stored for the refused ones
    const history = await get(`/rooms/${room.room_id}/messages`, bearer(alice.token));
    expect(history.json.messages).toHaveLength(1);
  });

  test('GET history: oldest first, limit and offset, member only', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    for (let i = 1; i <= 6; i++) {
      const who = i % 2 ? alice : bob;
      expect((await post(`/rooms/${room.room_id}/messages`, { content: `m${i}` }, bearer(who.token))).status).toBe(201);
    }
    const all = await get(`/rooms/${room.room_id}/messages`, bearer(bob.token));
    expect(all.status).toBe(200);
    expect(all.json.messages.map((m: any) => m.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(all.json.messages.map((m: any) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.json.messages.map((m: any) => m.username)).toEqual(['alice', 'bob', 'alice', 'bob', 'alice', 'bob']);

    const page = await get(`/rooms/${room.room_id}/messages?limit=2&offset=1`, bearer(alice.token));
    expect(page.json.messages.map((m: any) => m.content)).toEqual(['m2', 'm3']);
    const tail = await get(`/rooms/${room.room_id}/messages?limit=10&offset=4`, bearer(alice.token));
    expect(tail.json.messages.map((m: any) => m.content)).toEqual(['m5', 'm6']);
    const past = await get(`/rooms/${room.room_id}/messages?offset=50`, bearer(alice.token));
    expect(past.json.messages).toEqual([]);
    const latest = await get(`/rooms/${room.room_id}/messages?limit=2`, bearer(alice.token));
    expect(latest.json.messages.map((m: any) => m.content)).toEqual(['m5', 'm6']);

    expect((await get(`/rooms/${room.room_id}/messages`)).status).toBe(401);
    expect((await get(`/rooms/${room.room_id}/messages`, bearer('bogus'))).status).toBe(401);
    expect((await get(`/rooms/${room.room_id}/messages?limit=0`, bearer(alice.token))).status).toBe(400);
    expect((await get(`/rooms/${room.room_id}/messages?limit=abc`, bearer(alice.token))).status).toBe(400);
    expect((await get(`/rooms/${room.room_id}/messages?offset=-1`, bearer(alice.token))).status).toBe(400);
  });

  test('GET history of a gone room → 404', async () => {
    expect((await get(`/rooms/AAAAAAAAAAAAAAAAAAAAA/messages`)).status).toBe(404);
  });

  test('a message posted over HTTP reaches connected sockets', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const ws = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=watcher`);
    try {
      await ws.type('history');
      const { json } = await post(`/rooms/${room.room_id}/messages`, { content: 'over http' }, bearer(alice.token));
      const got = await ws.type('message');
      expect(got.content).toBe('over http');
      expect(got.id).toBe(json.id);
      expect(got.seq).toBe(json.seq);
      expect(got.username).toBe('alice');
    } finally {
      ws.close();
    }
  });
});

async function del(roomId: string, token?: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${s.origin}/rooms/${roomId}`, {
    method: 'DELETE',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(token ? bearer(token) : {}), ...extra },
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? safeJson(text) : null };
}

describe('DELETE /rooms/{id}', () => {
  test('owner token → 204, then GET → 404 and sockets get room_destroyed then 4410', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const a = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`);
    const g = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=guest`);
    await a.type('history');
    await g.type('history');
    const { status, text } = await del(room.room_id, room.owner_token);
    expect(status).toBe(204);
    expect(text).toBe('');
    for (const ws of [a, g]) {
      const ev = await ws.type('room_destroyed');
      expect(ev.room_id).toBe(room.room_id);
      expect(ev.timestamp).toMatch(ISO);
      expect((await ws.closedWith()).code).toBe(4410);
      // the event came before the close, and nothing after it
      expect(ws.frames[ws.frames.length - 1]!.type).toBe('room_destroyed');
    }
    expect((await get(`/rooms/${room.room_id}`)).status).toBe(404);
    expect((await get(`/rooms/${room.room_id}/messages`, bearer(alice.token))).status).toBe(404);
    // a second delete finds nothing
    expect((await del(room.room_id, room.owner_token)).status).toBe(404);
  });

  test('a member token, a wrong token or no token → 403 and the room stays', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (const token of [alice.token, 'wrong-token', undefined]) {
      const { status, json } = await del(room.room_id, token);
      expect(status).toBe(403);
      expect(json.error.code).toBe('forbidden');
    }
    expect((await get(`/rooms/${room.room_id}`)).status).toBe(200);
  });

  test('unknown room → 404', async () => {
    expect((await del('AAAAAAAAAAAAAAAAAAAAA', 'x')).status).toBe(404);
  });

  test('an API client sending only the Authorization header (no body, no Content-Type) can delete', async () => {
    // What `curl -X DELETE -H "Authorization: Bearer …"` sends. Must not be mistaken for a cross-site form post.
    const room = await createRoom(s.origin);
    const res = await fetch(`${s.origin}/rooms/${room.room_id}`, { method: 'DELETE', headers: bearer(room.owner_token) });
    expect(res.status).toBe(204);
    expect((await get(`/rooms/${room.room_id}`)).status).toBe(404);
  });
});

describe('POST /rooms/{id}/leave', () => {
  test('Bearer → 204 and the others get user_left with the remaining users', async () => {
    const room = await createRoom(s.origin);
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const watcher = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=watcher`);
    try {
      const history = await watcher.type('history');
      expect(history.users.sort()).toEqual(['bob', 'watcher']);
      const { status } = await post(`/rooms/${room.room_id}/leave`, {}, bearer(bob.token));
      expect(status).toBe(204);
      const left = await watcher.type('user_left');
      expect(left.username).toBe('bob');
      expect(left.users).toEqual(['watcher']);
      expect(left.room_id).toBe(room.room_id);
      // the token is spent
      expect((await post(`/rooms/${room.room_id}/messages`, { content: 'still here?' }, bearer(bob.token))).status).toBe(401);
      expect((await get(`/rooms/${room.room_id}`)).json.users).toEqual(['watcher']);
    } finally {
      watcher.close();
    }
  });

  test('without a valid token → 401', async () => {
    const room = await createRoom(s.origin);
    expect((await post(`/rooms/${room.room_id}/leave`, {})).status).toBe(401);
    expect((await post(`/rooms/${room.room_id}/leave`, {}, bearer('nope'))).status).toBe(401);
  });

  test('a Bearer request is an API request: 204 even without Accept or Content-Type', async () => {
    // What `curl -X POST -H "Authorization: Bearer …" …/leave` sends; browsers never send a Bearer token.
    const room = await createRoom(s.origin);
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const res = await fetch(`${s.origin}/rooms/${room.room_id}/leave`, { method: 'POST', headers: bearer(bob.token), redirect: 'manual' });
    expect(res.status).toBe(204);
    const again = await fetch(`${s.origin}/rooms/${room.room_id}/leave`, {
      method: 'POST',
      headers: bearer(bob.token),
      redirect: 'manual',
    });
    expect(again.status).toBe(401);
    expect(((await again.json()) as any).error.code).toBe('unauthorized');
  });

  test('an API client sending only the Authorization header (no body) can leave', async () => {
    const room = await createRoom(s.origin);
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const res = await fetch(`${s.origin}/rooms/${room.room_id}/leave`, {
      method: 'POST',
      headers: { ...bearer(bob.token), accept: 'application/json' },
    });
    expect(res.status).toBe(204);
  });
});

describe('misc', () => {
  test('unknown JSON route → 404 JSON', async () => {
    const { status, json } = await get('/no/such/thing');
    expect(status).toBe(404);
    expect(json.error.code).toBe('not_found');
  });

  test('a plain GET of a socket URL → 426', async () => {
    const room = await createRoom(s.origin);
    expect((await get(`/rooms/${room.room_id}/ws`)).status).toBe(426);
  });
});
