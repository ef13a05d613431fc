// HTML form flows over real HTTP: browser form posts (urlencoded, same Origin) get 303s, cookies and error pages.
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { connect, TestSocket } from '../helpers/ws.ts';
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

const COOKIE = 'mayfly_member';

/** A browser form post from this site (Origin header equal to the server origin), redirects not followed. */
async function form(
  path: string,
  fields: Record<string, string>,
  opts: { origin?: string | null; cookie?: string; secFetchSite?: string } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' };
  const origin = opts.origin === undefined ? s.origin : opts.origin;
  if (origin !== null) headers.origin = origin;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.secFetchSite) headers['sec-fetch-site'] = opts.secFetchSite;
  const res = await fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { res, status: res.status, html: await res.text() };
}

async function page(path: string, cookie?: string) {
  const res = await fetch(`${s.origin}${path}`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  return { res, status: res.status, html: await res.text() };
}

/** The member cookie from a response, as `name=value` to send back. */
function memberCookie(res: Response): { pair: string; raw: string } {
  const raw = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
  expect(raw).toBeDefined();
  return { pair: raw!.split(';')[0]!, raw: raw! };
}

/** A refused form post: 303 back to the room page, which then shows the refusal once (a flash cookie). */
async function refused(path: string, fields: Record<string, string>, cookie?: string) {
  const post = await form(path, fields, cookie ? { cookie } : {});
  expect(post.status).toBe(303);
  const flash = post.res.headers.getSetCookie().find((c) => c.startsWith('mayfly_flash='));
  expect(flash).toBeDefined();
  const pairs = [cookie, flash!.split(';')[0]].filter(Boolean).join('; ');
  const shown = await page(post.res.headers.get('location')!.replace(/#.*/, ''), pairs);
  const again = await page(post.res.headers.get('location')!.replace(/#.*/, ''), cookie); // a reload: the page, no error
  return { post, ...shown, again };
}

async function createByForm(fields: Record<string, string> = {}) {
  const { res, status } = await form('/rooms', {
    name: 'Form room',
    owner_name: 'Fiona',
    expiry_seconds: '600',
    max_users: '20',
    ...fields,
  });
  expect(status).toBe(303);
  const id = res.headers.get('location')!.match(/^\/rooms\/([A-Za-z0-9_-]{21})$/)![1]!;
  return { id, cookie: memberCookie(res) };
}

describe('create by form', () => {
  test('303 to the room, with an HttpOnly, SameSite=Lax member cookie scoped to the room', async () => {
    const { res, status } = await form('/rooms', {
      name: 'Friday <planning>',
      owner_name: 'Fiona',
      expiry_seconds: '600',
      max_users: '20',
      idle_seconds: '',
      password: '',
    });
    expect(status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/rooms\/[A-Za-z0-9_-]{21}$/);
    const { raw, pair } = memberCookie(res);
    expect(raw).toMatch(/;\s*HttpOnly/i);
    expect(raw).toMatch(/;\s*SameSite=Lax/i);
    expect(raw).toContain(`Path=${location}`);
    expect(raw).toMatch(/Max-Age=\d+/);
    expect(raw).not.toMatch(/;\s*Secure/i); // plain http in tests
    // the creator is in and is the owner
    const room = await page(location, pair);
    expect(room.status).toBe(200);
    expect(room.html).toContain('Friday &lt;planning&gt;');
    expect(room.html).not.toContain('Friday <planning>');
    expect(room.html).toContain('Destroy room');
    expect(room.html).toContain('Fiona');
    // the JSON view agrees
    const id = location.split('/')[2]!;
    const j = (await (await fetch(`${s.origin}/rooms/${id}`, { headers: { accept: 'application/json' } })).json()) as any;
    expect(j.users).toEqual(['Fiona']);
    expect(j.owner_name).toBe('Fiona');
  });

  test('/rooms/ works for forms too', async () => {
    const { status } = await form('/rooms/', { name: 'Slash', owner_name: 'Fiona' });
    expect(status).toBe(303);
  });

  test('an invalid form → 400 lobby page with the errors and the values kept', async () => {
    const { res, status, html } = await form('/rooms', { name: '   ', owner_name: 'Keep Me', expiry_seconds: '600', max_users: '1' });
    expect(status).toBe(400);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('role="alert"');
    expect(html).toContain('Room name: must not be empty');
    expect(html).toMatch(/Max users: must be at least 2/);
    expect(html).toContain('value="Keep Me"');
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
  });

  test('a vanish-when-empty time longer than the room lives → 400 page', async () => {
    const { status, html } = await form('/rooms', { name: 'r', owner_name: 'o', expiry_seconds: '300', idle_seconds: '900' });
    expect(status).toBe(400);
    expect(html).toContain('Vanish when empty for');
  });

  test('a room password is never echoed back', async () => {
    const { status, html } = await form('/rooms', { name: '', owner_name: 'o', password: 'do-not-echo-me' });
    expect(status).toBe(400);
    expect(html).not.toContain('do-not-echo-me');
  });
});

describe('join by form', () => {
  test('plain GET without the cookie shows the join form; joining → 303 and a cookie', async () => {
    const { id } = await createByForm();
    const join = await page(`/rooms/${id}`);
    expect(join.status).toBe(200);
    expect(join.html).toContain(`action="/rooms/${id}/join"`);
    expect(join.html).toContain('Your name');
    const { res, status } = await form(`/rooms/${id}/join`, { username: 'Gus' });
    expect(status).toBe(303);
    expect(res.headers.get('location')).toBe(`/rooms/${id}`);
    const { raw, pair } = memberCookie(res);
    expect(raw).toContain(`Path=/rooms/${id}`);
    expect(raw).toMatch(/HttpOnly/i);
    const room = await page(`/rooms/${id}`, pair);
    expect(room.html).toContain('Gus');
    expect(room.html).not.toContain('Destroy room'); // not the owner
  });

  test('wrong password → 401 page with the error, no cookie, password not echoed', async () => {
    const { id } = await createByForm({ password: 'letmein' });
    const locked = await page(`/rooms/${id}`);
    expect(locked.html).not.toContain('Form room'); // the name stays hidden behind the password
    const { post, res, status, html, again } = await refused(`/rooms/${id}/join`, { username: 'Gus', password: 'wrong-guess-xyz' });
    expect(post.res.headers.get('location')).toBe(`/rooms/${id}`);
    expect(status).toBe(401);
    expect(again.status).toBe(200);
    expect(again.html).not.toContain('Wrong password');
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(post.res.headers.getSetCookie().join(';')).not.toContain('wrong-guess-xyz');
    expect(html).toContain('Wrong password');
    expect(html).toContain('value="Gus"');
    expect(html).not.toContain('wrong-guess-xyz');
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${COOKIE}=`))).toBe(false);
    expect((await form(`/rooms/${id}/join`, { username: 'Gus', password: 'letmein' })).status).toBe(303);
  });

  test('name taken → 409 page; room full → 409 page; gone → 404 page', async () => {
    const { id } = await createByForm({ max_users: '2' });
    const taken = await refused(`/rooms/${id}/join`, { username: 'fiona' });
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('already taken');
    expect((await form(`/rooms/${id}/join`, { username: 'Second' })).status).toBe(303);
    const full = await refused(`/rooms/${id}/join`, { username: 'Third' });
    expect(full.status).toBe(409);
    expect(full.html).toContain('full');
    const gone = await form(`/rooms/AAAAAAAAAAAAAAAAAAAAA/join`, { username: 'x' });
    expect(gone.status).toBe(404);
    expect(gone.html).toContain('gone');
  });
});

describe('messages, leave and destroy by form', () => {
  test('sending works without JavaScript: 303 back, and the message is on the page and on the sockets', async () => {
    const { id, cookie } = await createByForm();
    const sock = await connect(`${s.wsOrigin}/rooms/${id}/ws?username=watcher`);
    try {
      await sock.type('history');
      const { res, status } = await form(`/rooms/${id}/messages`, { type: 'message', content: 'no <js> needed' }, { cookie: cookie.pair });
      expect(status).toBe(303);
      expect(res.headers.get('location')).toStartWith(`/rooms/${id}`);
      const m = await sock.type('message');
      expect(m.content).toBe('no <js> needed');
      expect(m.username).toBe('Fiona');
      const room = await page(`/rooms/${id}`, cookie.pair);
      expect(room.html).toContain('no &lt;js&gt; needed');
      // blank content → 303 back, then the room page (400) with the error and the text in the composer
      const blank = await refused(`/rooms/${id}/messages`, { content: '  ' }, cookie.pair);
      expect(blank.status).toBe(400);
      expect(blank.html).toContain('Message');
      expect(blank.html).toMatch(/<textarea[^>]*> {2}<\/textarea>/);
      expect(blank.again.status).toBe(200);
      // without the cookie → 303 back, then the join page (401)
      expect((await refused(`/rooms/${id}/messages`, { content: 'hi' })).status).toBe(401);
    } finally {
      sock.close();
    }
  });

  test('leave → 303 to the lobby and the cookie is cleared', async () => {
    const { id } = await createByForm();
    const joined = await form(`/rooms/${id}/join`, { username: 'Leaver' });
    const cookie = memberCookie(joined.res);
    const { res, status } = await form(`/rooms/${id}/leave`, {}, { cookie: cookie.pair });
    expect(status).toBe(303);
    expect(res.headers.get('location')).toBe('/?ended=left');
    const cleared = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    const j = (await (await fetch(`${s.origin}/rooms/${id}`, { headers: { accept: 'application/json' } })).json()) as any;
    expect(j.users).not.toContain('Leaver');
  });

  test('destroy: only the owner; then 303 to the lobby and the room page is a 404', async () => {
    const { id, cookie } = await createByForm();
    const other = memberCookie((await form(`/rooms/${id}/join`, { username: 'NotOwner' })).res);
    const refused = await form(`/rooms/${id}/destroy`, {}, { cookie: other.pair });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('Only the room owner');
    const { res, status } = await form(`/rooms/${id}/destroy`, {}, { cookie: cookie.pair });
    expect(status).toBe(303);
    expect(res.headers.get('location')).toBe('/?ended=destroyed');
    const gone = await page(`/rooms/${id}`, cookie.pair);
    expect(gone.status).toBe(404);
    expect(gone.html).toContain('This room is gone');
  });

  test('the owner of a browser-created room can also DELETE with the cookie', async () => {
    const { id, cookie } = await createByForm();
    const res = await fetch(`${s.origin}/rooms/${id}`, {
      method: 'DELETE',
      headers: { cookie: cookie.pair, 'content-type': 'application/json', origin: s.origin },
    });
    expect(res.status).toBe(204);
  });
});

describe('CSRF', () => {
  test('a form post from a foreign Origin → 403 and nothing happens', async () => {
    const { status } = await form('/rooms', { name: 'csrf', owner_name: 'x' }, { origin: 'https://evil.example' });
    expect(status).toBe(403);
    const { id, cookie } = await createByForm();
    const post = await form(`/rooms/${id}/messages`, { content: 'forged' }, { origin: 'https://evil.example', cookie: cookie.pair });
    expect(post.status).toBe(403);
    const destroy = await form(`/rooms/${id}/destroy`, {}, { origin: 'https://evil.example', cookie: cookie.pair });
    expect(destroy.status).toBe(403);
    expect((await page(`/rooms/${id}`, cookie.pair)).status).toBe(200);
    const history = (await (await fetch(`${s.origin}/rooms/${id}/messages`, { headers: { cookie: cookie.pair } })).json()) as any;
    expect(history.messages).toEqual([]);
  });

  test('a form post with neither Origin nor Sec-Fetch-Site → 403', async () => {
    expect((await form('/rooms', { name: 'csrf', owner_name: 'x' }, { origin: null })).status).toBe(403);
  });

  test('Sec-Fetch-Site: same-origin is accepted without Origin', async () => {
    expect((await form('/rooms', { name: 'ok', owner_name: 'x' }, { origin: null, secFetchSite: 'same-origin' })).status).toBe(303);
  });

  test('JSON API calls need no Origin', async () => {
    const room = await createRoom(s.origin);
    await joinRoom(s.origin, room.room_id, 'api');
  });
});

describe('pages', () => {
  test('the lobby labels its controls', async () => {
    const { status, html } = await page('/');
    expect(status).toBe(200);
    for (const label of ['Room name', 'Your name', 'Password', 'Expires in', 'Max users', 'Create room', 'Join'])
      expect(html).toContain(label);
  });

  test('an unknown room → 404 page', async () => {
    const { status, html } = await page('/rooms/AAAAAAAAAAAAAAAAAAAAA');
    expect(status).toBe(404);
    expect(html).toContain('This room is gone');
  });

  test('/join?room=<link> redirects to the room', async () => {
    const room = await createRoom(s.origin);
    const res = await fetch(`${s.origin}/join?room=${encodeURIComponent(`${s.origin}/rooms/${room.room_id}`)}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/rooms/${room.room_id}`);
    expect((await fetch(`${s.origin}/join?room=nonsense`, { redirect: 'manual' })).status).toBe(400);
  });
});

describe('behind PUBLIC_URL (https)', () => {
  test('links, ws_url, the Secure cookie and the origin checks all use PUBLIC_URL', async () => {
    const pub = 'https://chat.example.com';
    const p = await startTestServer({ PUBLIC_URL: `${pub}/ignored/path` });
    try {
      const room = (await createRoom(p.origin, { name: 'r', owner_name: 'o' })) as any;
      expect(room.ws_url).toBe(`wss://chat.example.com/rooms/${room.room_id}/ws`);
      expect(room.url).toBe(`${pub}/rooms/${room.room_id}`);
      const post = (origin: string) =>
        fetch(`${p.origin}/rooms`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
          body: 'name=r&owner_name=o',
          redirect: 'manual',
        });
      const ok = await post(pub);
      expect(ok.status).toBe(303);
      const cookie = ok.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!;
      expect(cookie).toMatch(/;\s*Secure/i);
      expect((await post(p.origin)).status).toBe(403);
      // the WebSocket origin check follows PUBLIC_URL too
      const good = await connect(`${p.wsOrigin}/rooms/${room.room_id}/ws?username=g`, { Origin: pub });
      expect((await good.type('history')).type).toBe('history');
      good.close();
      const bad = new TestSocket(`${p.wsOrigin}/rooms/${room.room_id}/ws?username=b`, { Origin: p.origin });
      await expect(bad.opened).rejects.toThrow();
    } finally {
      await p.stop();
    }
  });
});
