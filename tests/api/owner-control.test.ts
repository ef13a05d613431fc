// Issue 14, one instance: the owner's powers over HTTP and over /ws: kick, lock, approve joins, extend and
// hand over, with the events everyone (or only the owner) hears and the codes each refusal carries.
import { onTheClock } from '../helpers/requirements.ts';
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { ERRORS } from '../../src/rooms/errors.ts';
import { hashToken } from '../../src/rooms/service.ts';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';
import { type Frame, TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(30_000);

const MAX_EXPIRY = 120;
const DEFAULT_EXPIRY = 60;

let s: TestServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  s = await startTestServer({
    MAX_EXPIRY_SECONDS: String(MAX_EXPIRY),
    DEFAULT_EXPIRY_SECONDS: String(DEFAULT_EXPIRY),
    MESSAGE_RATE: '1000',
    MESSAGE_BURST: '1000',
  });
});
afterEach(() => {
  for (const sock of open.splice(0)) if (!sock.closed) sock.close();
});
afterAll(async () => {
  await s?.stop();
});

type Answer = { status: number; body: any; res: Response };

/** A JSON call; `token` goes as a Bearer header. */
async function api(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.origin}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: 'manual',
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body, res };
}

const code = (a: Answer) => a.body?.error?.code;

/**
 * A room created in the browser (form post from this site): its creator joins as the owner, a member
 * with a token (the mayfly_member cookie), which then works as a Bearer token and on /ws.
 */
async function ownedRoom(fields: Record<string, string> = {}, ownerName = 'owner'): Promise<{ id: string; owner: string }> {
  const res = await fetch(`${s.origin}/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: s.origin },
    body: new URLSearchParams({ name: 'Owned room', owner_name: ownerName, ...fields }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  await res.arrayBuffer();
  const id = res.headers.get('location')!.match(/\/rooms\/([A-Za-z0-9_-]{21})/)![1]!;
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mayfly_member='))!;
  return { id, owner: decodeURIComponent(cookie.split(';')[0]!.slice('mayfly_member='.length)) };
}

/** A socket as a browser opens it (same-site Origin); afterEach closes it. */
function socket(path: string, headers: Record<string, string> = {}): TestSocket {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, { Origin: s.origin, ...headers });
  open.push(sock);
  return sock;
}

/** A member's /ws socket, once its history frame arrived. */
async function ws(roomId: string, token: string): Promise<TestSocket> {
  const sock = socket(`/rooms/${roomId}/ws?token=${encodeURIComponent(token)}`);
  await sock.opened;
  await sock.type('history');
  return sock;
}

/** A socket that should be refused: its close. */
async function refusedSocket(path: string, headers: Record<string, string> = {}) {
  const sock = socket(path, headers);
  return sock.closedWith();
}

/** Sends a marker message on `sock` and waits until every socket in `all` has it: what was sent before has arrived. */
async function settle(sock: TestSocket, all: TestSocket[]) {
  const content = `marker ${crypto.randomUUID()}`;
  sock.send({ type: 'message', content });
  for (const x of all) await x.next((f) => f.type === 'message' && f.content === content, 5000, `marker on a socket`);
}

const room = async (id: string, token?: string) => (await api('GET', `/rooms/${id}`, { token })).body;
const postMessage = (id: string, token: string, content = 'hello') => api('POST', `/rooms/${id}/messages`, { token, body: { content } });
const readMessages = (id: string, token: string) => api('GET', `/rooms/${id}/messages`, { token });
const join = (id: string, username: string, password?: string) =>
  api('POST', `/rooms/${id}/join`, { body: { username, ...(password ? { password } : {}) } });

describe('kick', () => {
  test('over HTTP with the owner’s member token: sockets close 4403, the token is refused, the name (any case, lookalikes) is barred, others hear user_kicked', async () => {
    const { id, owner } = await ownedRoom();
    const alice = await joinRoom(s.origin, id, 'alice');
    const bob = await joinRoom(s.origin, id, 'bob');
    const o = await ws(id, owner);
    const a1 = await ws(id, alice.token);
    const a2 = await ws(id, alice.token);
    const aLive = socket(`/rooms/${id}/live`, { Cookie: `mayfly_member=${alice.token}` });
    await aLive.opened;
    const b = await ws(id, bob.token);

    const res = await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'alice' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ room_id: id, username: 'alice' });

    expect(await a1.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    expect(await a2.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    expect((await aLive.closedWith()).code).toBe(4403);
    for (const x of [o, b]) {
      const kicked = await x.type('user_kicked');
      expect(kicked).toMatchObject({ type: 'user_kicked', room_id: id, username: 'alice', users: ['owner', 'bob'] });
      expect(typeof kicked.timestamp).toBe('string');
    }
    // user_kicked instead of user_left; the internal event never reaches a client
    await settle(b, [o, b]);
    expect([...o.frames, ...b.frames].some((f) => f.type === 'user_left' || f.type === 'member_removed')).toBe(false);

    // the token no longer works
    expect((await readMessages(id, alice.token)).status).toBe(401);
    expect((await postMessage(id, alice.token)).status).toBe(401);
    expect((await refusedSocket(`/rooms/${id}/ws?token=${alice.token}`)).code).toBe(4401);
    expect((await room(id)).users).toEqual(['owner', 'bob']);

    // the name is barred for the rest of the room's life: any case, NFKC, lookalikes
    for (const name of ['alice', 'Alice', 'ALICE', 'аlice' /* Cyrillic а */, 'ａｌｉｃｅ' /* fullwidth */]) {
      const again = await join(id, name);
      expect(again.status).toBe(403);
      expect(code(again)).toBe('name_banned');
    }
    // …also for a guest on /ws
    const guest = await refusedSocket(`/rooms/${id}/ws?username=Alice`);
    expect(guest.code).toBe(4403);
    // other names still join
    expect((await join(id, 'alicia')).status).toBe(200);
  });

  test('over HTTP with the room’s owner_token (an API owner who is no member)', async () => {
    const r = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    const bob = await joinRoom(s.origin, r.room_id, 'bob');
    const a = await ws(r.room_id, alice.token);
    const b = await ws(r.room_id, bob.token);
    const res = await api('POST', `/rooms/${r.room_id}/kick`, { token: r.owner_token, body: { username: 'ALICE' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ room_id: r.room_id, username: 'alice' }); // the member's own spelling
    expect(await a.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    expect((await b.type('user_kicked')).users).toEqual(['bob']);
    expect((await postMessage(r.room_id, alice.token)).status).toBe(401);
    expect(code(await join(r.room_id, 'alice'))).toBe('name_banned');
  });

  test('over /ws: the owner’s kick frame closes the member’s socket 4403; everyone, the owner too, hears user_kicked', async () => {
    const { id, owner } = await ownedRoom();
    const carol = await joinRoom(s.origin, id, 'carol');
    const dave = await joinRoom(s.origin, id, 'dave');
    const o = await ws(id, owner);
    const c = await ws(id, carol.token);
    const d = await ws(id, dave.token);
    o.send({ type: 'kick', username: 'carol' });
    expect(await c.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    for (const x of [o, d]) expect(await x.type('user_kicked')).toMatchObject({ username: 'carol', users: ['owner', 'dave'] });
    expect(o.of('error')).toEqual([]);
    expect((await readMessages(id, carol.token)).status).toBe(401);
    expect(code(await join(id, 'Carol'))).toBe('name_banned');
  });

  test('refusals: a non-owner 403 forbidden (HTTP) or an error event forbidden (/ws); yourself 400 invalid_target; an unknown name 404', async () => {
    const { id, owner } = await ownedRoom();
    const eve = await joinRoom(s.origin, id, 'eve');
    const fay = await joinRoom(s.origin, id, 'fay');
    const o = await ws(id, owner);
    const e = await ws(id, eve.token);
    const f = await ws(id, fay.token);

    const byMember = await api('POST', `/rooms/${id}/kick`, { token: eve.token, body: { username: 'fay' } });
    expect([byMember.status, code(byMember)]).toEqual([403, 'forbidden']);
    const byNobody = await api('POST', `/rooms/${id}/kick`, { body: { username: 'fay' } });
    expect([byNobody.status, code(byNobody)]).toEqual([403, 'forbidden']);
    const byForged = await api('POST', `/rooms/${id}/kick`, { token: 'not-a-token-at-all', body: { username: 'fay' } });
    expect([byForged.status, code(byForged)]).toEqual([403, 'forbidden']);

    e.send({ type: 'kick', username: 'fay' });
    const err = await e.type('error');
    expect(err).toMatchObject({ type: 'error', room_id: id, code: 'forbidden' });

    const self = await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'owner' } });
    expect([self.status, code(self)]).toEqual([400, 'invalid_target']);
    const selfCase = await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'OWNER' } });
    expect([selfCase.status, code(selfCase)]).toEqual([400, 'invalid_target']);
    o.send({ type: 'kick', username: 'owner' });
    expect((await o.type('error')).code).toBe('invalid_target');

    const unknown = await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'nobody-here' } });
    expect([unknown.status, code(unknown)]).toEqual([404, 'member_not_found']);
    o.send({ type: 'kick', username: 'nobody-here' });
    await o.next((x) => x.type === 'error' && x.code === 'member_not_found');

    const invalid = await api('POST', `/rooms/${id}/kick`, { token: owner, body: {} });
    expect(invalid.status).toBe(400);

    // nothing happened to anyone: nobody was kicked, no name was barred
    await settle(f, [o, e, f]);
    expect([o, e, f].some((x) => x.closed !== null)).toBe(false);
    expect([...o.frames, ...e.frames, ...f.frames].some((x) => x.type === 'user_kicked')).toBe(false);
    expect((await room(id)).users).toEqual(['owner', 'eve', 'fay']);
    expect((await join(id, 'nobody-here')).status).toBe(200);
  });

  test('a frame the kicked member sends right after the kick is not posted', async () => {
    const { id, owner } = await ownedRoom();
    const alice = await joinRoom(s.origin, id, 'alice');
    const bob = await joinRoom(s.origin, id, 'bob');
    const a = await ws(id, alice.token);
    const b = await ws(id, bob.token);
    const res = await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'alice' } });
    expect(res.status).toBe(200);
    if (!a.closed) a.send({ type: 'message', content: 'after the kick' });
    expect((await a.closedWith()).code).toBe(4403);
    await settle(b, [b]);
    expect(b.of('message').some((m) => m.content === 'after the kick')).toBe(false);
    expect(JSON.stringify((await readMessages(id, bob.token)).body)).not.toContain('after the kick');
  });

  test('a /ws guest can be kicked, and its name is barred like a member’s', async () => {
    const { id, owner } = await ownedRoom();
    const o = await ws(id, owner);
    const g = socket(`/rooms/${id}/ws?username=drifter`);
    await g.opened;
    await g.type('history');
    await o.next((f) => f.type === 'user_joined' && f.username === 'drifter');
    o.send({ type: 'kick', username: 'drifter' });
    expect(await g.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    expect(await o.type('user_kicked')).toMatchObject({ username: 'drifter', users: ['owner'] });
    expect((await refusedSocket(`/rooms/${id}/ws?username=Drifter`)).code).toBe(4403);
    expect(code(await join(id, 'drifter'))).toBe('name_banned');
  });

  test('a name that is only asking to join is not a member: kick answers 404 and the request stays', async () => {
    const r = await createRoom(s.origin, { approve_joins: true });
    const ask = await join(r.room_id, 'waiting');
    const res = await api('POST', `/rooms/${r.room_id}/kick`, { token: r.owner_token, body: { username: 'waiting' } });
    expect([res.status, code(res)]).toEqual([404, 'member_not_found']);
    expect(
      (await api('GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token })).body.requests.map((x: Frame) => x.username),
    ).toEqual(['waiting']);
    expect(code(await postMessage(r.room_id, ask.body.token))).toBe('pending_approval');
  });

  test('an unknown room answers 404', async () => {
    const res = await api('POST', `/rooms/${'x'.repeat(21)}/kick`, { token: 'whatever', body: { username: 'a' } });
    expect(res.status).toBe(404);
  });
});

describe('lock and unlock', () => {
  test('over HTTP: joins get 423 room_locked while members keep chatting; room_locked / room_unlocked reach everyone', async () => {
    const r = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    const bob = await joinRoom(s.origin, r.room_id, 'bob');
    const a = await ws(r.room_id, alice.token);
    const b = await ws(r.room_id, bob.token);

    const locked = await api('POST', `/rooms/${r.room_id}/lock`, { token: r.owner_token });
    expect(locked.status).toBe(200);
    expect(locked.body).toEqual({ room_id: r.room_id, locked: true });
    for (const x of [a, b]) expect(await x.type('room_locked')).toMatchObject({ type: 'room_locked', room_id: r.room_id });
    expect((await room(r.room_id)).locked).toBe(true);

    const refused = await join(r.room_id, 'carol');
    expect([refused.status, code(refused)]).toEqual([423, 'room_locked']);
    // a /ws guest is refused with 4423
    expect((await refusedSocket(`/rooms/${r.room_id}/ws?username=guesty`)).code).toBe(4423);
    // a browser that is not in the room sees the locked page
    const page = await fetch(`${s.origin}/rooms/${r.room_id}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(423);
    expect(await page.text()).toContain('This room is locked');

    // members keep chatting, over HTTP and /ws, and may (re)connect
    expect((await postMessage(r.room_id, alice.token, 'still here')).status).toBe(201);
    await b.next((f) => f.type === 'message' && f.content === 'still here');
    b.send({ type: 'message', content: 'me too' });
    await a.next((f) => f.type === 'message' && f.content === 'me too');
    const a2 = await ws(r.room_id, alice.token);
    expect(a2.closed).toBeNull();
    expect((await room(r.room_id)).users).toEqual(['alice', 'bob']);

    // locking again changes nothing and says nothing more
    expect((await api('POST', `/rooms/${r.room_id}/lock`, { token: r.owner_token })).status).toBe(200);

    const unlocked = await api('POST', `/rooms/${r.room_id}/unlock`, { token: r.owner_token });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toEqual({ room_id: r.room_id, locked: false });
    for (const x of [a, b]) await x.type('room_unlocked');
    expect(a.of('room_locked').length).toBe(1);
    expect((await room(r.room_id)).locked).toBe(false);
    expect((await join(r.room_id, 'carol')).status).toBe(200);
    const guest = socket(`/rooms/${r.room_id}/ws?username=guesty`);
    await guest.opened;
    await guest.type('history');
  });

  test('over /ws: lock and unlock frames from the owner; a member’s lock frame is refused (forbidden)', async () => {
    const { id, owner } = await ownedRoom();
    const mia = await joinRoom(s.origin, id, 'mia');
    const o = await ws(id, owner);
    const m = await ws(id, mia.token);
    m.send({ type: 'lock' });
    expect((await m.type('error')).code).toBe('forbidden');
    expect((await room(id)).locked).toBe(false);

    o.send({ type: 'lock' });
    for (const x of [o, m]) await x.type('room_locked');
    expect(code(await join(id, 'nina'))).toBe('room_locked');
    o.send({ type: 'unlock' });
    for (const x of [o, m]) await x.type('room_unlocked');
    expect((await join(id, 'nina')).status).toBe(200);
    expect(o.of('error')).toEqual([]);
  });

  test('non-owners cannot lock or unlock over HTTP', async () => {
    const r = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    for (const path of ['lock', 'unlock']) {
      for (const token of [alice.token, undefined]) {
        // a JSON body: a bodyless POST without a token is a (refused) cross-site form post
        const res = await api('POST', `/rooms/${r.room_id}/${path}`, { token, body: {} });
        expect([res.status, code(res)]).toEqual([403, 'forbidden']);
      }
    }
    expect((await room(r.room_id)).locked).toBe(false);
  });

  test('a locked room refuses requests to join too (rooms that ask their owner)', async () => {
    const r = await createRoom(s.origin, { approve_joins: true });
    await api('POST', `/rooms/${r.room_id}/lock`, { token: r.owner_token });
    const res = await join(r.room_id, 'asker');
    expect([res.status, code(res)]).toEqual([423, 'room_locked']);
    expect((await api('GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token })).body.requests).toEqual([]);
  });
});

describe('approve joins', () => {
  /** A room that asks its owner, with the owner's socket and an admitted member's (mia) socket. */
  async function askingRoom() {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    expect((await room(id)).approve_joins).toBe(true);
    const o = await ws(id, owner);
    const ask = await join(id, 'mia');
    expect(ask.status).toBe(202);
    expect((await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner })).status).toBe(200);
    const m = await ws(id, ask.body.token);
    await o.next((f) => f.type === 'join_request_closed' && f.username === 'mia');
    return { id, owner, o, mia: ask.body.token as string, m };
  }

  test('created with approve_joins: a join answers 202 with a token that admits nothing yet; only the owner hears join_request', async () => {
    const r = await createRoom(s.origin, { approve_joins: true });
    expect(r).toMatchObject({ approve_joins: true, locked: false });
    const { id, owner, o, m, mia } = await askingRoom();

    const ask = await join(id, 'zed');
    expect(ask.status).toBe(202);
    expect(ask.body).toMatchObject({ room_id: id, username: 'zed', status: 'pending' });
    expect(ask.body.request_id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(typeof ask.body.token).toBe('string');
    expect(ask.body.status_url).toBe(`${s.origin}/rooms/${id}/requests/${ask.body.request_id}`);
    expect(Date.parse(ask.body.expires_at)).toBeGreaterThan(Date.now());

    const heard = await o.next((f) => f.type === 'join_request' && f.username === 'zed');
    expect(heard).toMatchObject({ room_id: id, request_id: ask.body.request_id, expires_at: ask.body.expires_at });
    await settle(o, [o, m]);
    expect(m.of('join_request')).toEqual([]);

    // the token admits nothing yet
    for (const res of [await postMessage(id, ask.body.token), await readMessages(id, ask.body.token)]) {
      expect([res.status, code(res)]).toEqual([403, 'pending_approval']);
    }
    expect(await refusedSocket(`/rooms/${id}/ws?token=${ask.body.token}`)).toEqual({
      code: 4403,
      reason: ERRORS.pending_approval.message,
    });
    expect((await refusedSocket(`/rooms/${id}/live`, { Cookie: `mayfly_member=${ask.body.token}` })).code).toBe(4403);
    expect((await room(id)).users).toEqual(['owner', 'mia']);

    // the asker can see where it stands; the owner lists it
    const status = await api('GET', `/rooms/${id}/requests/${ask.body.request_id}`, { token: ask.body.token });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ request_id: ask.body.request_id, room_id: id, username: 'zed', status: 'pending' });
    const list = await api('GET', `/rooms/${id}/requests`, { token: owner });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      room_id: id,
      requests: [{ request_id: ask.body.request_id, room_id: id, username: 'zed', status: 'pending', expires_at: ask.body.expires_at }],
    });
    // a member who is not the owner may not list them
    const byMember = await api('GET', `/rooms/${id}/requests`, { token: mia });
    expect([byMember.status, code(byMember)]).toEqual([403, 'forbidden']);
  });

  test('approve: the same token becomes a member’s, user_joined is announced, the owner hears join_request_closed', async () => {
    const { id, owner, o, m } = await askingRoom();
    const ask = await join(id, 'zed');
    await o.next((f) => f.type === 'join_request' && f.username === 'zed');

    const ok = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      request_id: ask.body.request_id,
      room_id: id,
      username: 'zed',
      status: 'approved',
      expires_at: ask.body.expires_at,
    });
    for (const x of [o, m])
      expect(await x.next((f) => f.type === 'user_joined' && f.username === 'zed')).toMatchObject({ users: ['owner', 'mia', 'zed'] });
    expect(await o.next((f) => f.type === 'join_request_closed' && f.username === 'zed')).toMatchObject({
      request_id: ask.body.request_id,
      status: 'approved',
    });
    await settle(o, [o, m]);
    expect(m.of('join_request_closed')).toEqual([]);

    expect((await postMessage(id, ask.body.token, 'in at last')).status).toBe(201);
    expect((await readMessages(id, ask.body.token)).status).toBe(200);
    const z = await ws(id, ask.body.token);
    expect(z.closed).toBeNull();
    const status = await api('GET', `/rooms/${id}/requests/${ask.body.request_id}`, { token: ask.body.token });
    expect(status.body.status).toBe('approved');
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests).toEqual([]);
    // answered once only
    const again = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect([again.status, code(again)]).toEqual([404, 'request_not_found']);
  });

  test('deny: the token gets 403 join_denied (and 4403 on /ws); the owner hears join_request_closed denied', async () => {
    const { id, owner, o, m } = await askingRoom();
    const ask = await join(id, 'zoe');
    await o.next((f) => f.type === 'join_request' && f.username === 'zoe');
    const no = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/deny`, { token: owner });
    expect(no.status).toBe(200);
    expect(no.body).toMatchObject({ request_id: ask.body.request_id, username: 'zoe', status: 'denied' });
    expect(await o.next((f) => f.type === 'join_request_closed' && f.username === 'zoe')).toMatchObject({ status: 'denied' });
    for (const res of [await postMessage(id, ask.body.token), await readMessages(id, ask.body.token)]) {
      expect([res.status, code(res)]).toEqual([403, 'join_denied']);
    }
    expect(await refusedSocket(`/rooms/${id}/ws?token=${ask.body.token}`)).toEqual({ code: 4403, reason: ERRORS.join_denied.message });
    expect((await api('GET', `/rooms/${id}/requests/${ask.body.request_id}`, { token: ask.body.token })).body.status).toBe('denied');
    await settle(o, [o, m]);
    expect(m.frames.some((f) => f.username === 'zoe')).toBe(false);
    expect((await room(id)).users).toEqual(['owner', 'mia']);
    const again = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/deny`, { token: owner });
    expect(code(again)).toBe('request_not_found');
  });

  test('approve and deny as /ws frames; an unknown request id is an error event request_not_found', async () => {
    const { id, o, m } = await askingRoom();
    const yes = await join(id, 'yan');
    const no = await join(id, 'nell');
    o.send({ type: 'approve', request_id: yes.body.request_id });
    o.send({ type: 'deny', request_id: no.body.request_id });
    await m.next((f) => f.type === 'user_joined' && f.username === 'yan');
    await o.next((f) => f.type === 'join_request_closed' && f.username === 'nell' && f.status === 'denied');
    expect((await postMessage(id, yes.body.token)).status).toBe(201);
    expect(code(await postMessage(id, no.body.token))).toBe('join_denied');
    o.send({ type: 'approve', request_id: 'no-such-request' });
    expect((await o.type('error')).code).toBe('request_not_found');
    // a member who is not the owner cannot answer
    const third = await join(id, 'trix');
    m.send({ type: 'approve', request_id: third.body.request_id });
    expect((await m.type('error')).code).toBe('forbidden');
    expect(code(await postMessage(id, third.body.token))).toBe('pending_approval');
  });

  test('HTTP refusals: only the owner answers or lists; unknown request 404', async () => {
    const { id, owner, mia } = await askingRoom();
    const ask = await join(id, 'quinn');
    for (const token of [mia, ask.body.token, undefined]) {
      for (const path of [`requests/${ask.body.request_id}/approve`, `requests/${ask.body.request_id}/deny`]) {
        const res = await api('POST', `/rooms/${id}/${path}`, { token, body: {} });
        expect([res.status, code(res)]).toEqual([403, 'forbidden']);
      }
      expect((await api('GET', `/rooms/${id}/requests`, { token })).status).toBe(403);
    }
    const unknown = await api('POST', `/rooms/${id}/requests/nope/approve`, { token: owner });
    expect([unknown.status, code(unknown)]).toEqual([404, 'request_not_found']);
    // another asker cannot see someone else's request
    const other = await join(id, 'rhea');
    expect((await api('GET', `/rooms/${id}/requests/${ask.body.request_id}`, { token: other.body.token })).status).toBe(404);
    expect(code(await postMessage(id, ask.body.token))).toBe('pending_approval');
  });

  test('names: one already here or already waiting gets 409 name_taken; passwords are checked before asking', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on', password: 'sesame' });
    const wrong = await join(id, 'pete', 'wrong');
    expect(wrong.status).toBe(401);
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests).toEqual([]);
    const ask = await join(id, 'pete', 'sesame');
    expect(ask.status).toBe(202);
    const twice = await join(id, 'PETE', 'sesame');
    expect([twice.status, code(twice)]).toEqual([409, 'name_taken']);
    const present = await join(id, 'Owner', 'sesame');
    expect([present.status, code(present)]).toEqual([409, 'name_taken']);
  });

  test('a pending token that leaves withdraws the request', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const ask = await join(id, 'wendy');
    const left = await api('POST', `/rooms/${id}/leave`, { token: ask.body.token });
    expect(left.status).toBe(204);
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests).toEqual([]);
    const res = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect(code(res)).toBe('request_not_found');
    expect((await join(id, 'wendy')).status).toBe(202); // the name is free to ask again
  });

  test('approve lets the asker in past a lock; approve fails with 409 name_taken when the name arrived meanwhile (the request stays)', async () => {
    const { id, owner, o } = await askingRoom();
    const first = await join(id, 'lara');
    await api('POST', `/rooms/${id}/lock`, { token: owner });
    const ok = await api('POST', `/rooms/${id}/requests/${first.body.request_id}/approve`, { token: owner });
    expect(ok.status).toBe(200);
    await o.next((f) => f.type === 'user_joined' && f.username === 'lara');
    expect((await postMessage(id, first.body.token)).status).toBe(201);
    await api('POST', `/rooms/${id}/unlock`, { token: owner });

    const second = await join(id, 'sam');
    // approval off: the same name joins directly; approving the waiting request then clashes
    await api('POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: false } });
    expect((await join(id, 'Sam')).status).toBe(200);
    const clash = await api('POST', `/rooms/${id}/requests/${second.body.request_id}/approve`, { token: owner });
    expect([clash.status, code(clash)]).toEqual([409, 'name_taken']);
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests.map((r: Frame) => r.username)).toEqual(['sam']);
    expect(code(await postMessage(id, second.body.token))).toBe('pending_approval');
  });

  test('approve refused with 409 room_full or 403 name_banned leaves the request pending', async () => {
    // full: the owner and mia fill a room of two
    const { id, owner } = await ownedRoom({ approve_joins: 'on', max_users: '2' });
    const mia = await join(id, 'mia');
    expect((await api('POST', `/rooms/${id}/requests/${mia.body.request_id}/approve`, { token: owner })).status).toBe(200);
    const zed = await join(id, 'zed');
    expect(zed.status).toBe(202);
    const full = await api('POST', `/rooms/${id}/requests/${zed.body.request_id}/approve`, { token: owner });
    expect([full.status, code(full)]).toEqual([409, 'room_full']);
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests.map((x: Frame) => x.username)).toEqual(['zed']);
    expect(code(await postMessage(id, zed.body.token))).toBe('pending_approval');

    // barred: a request waits under a name that is then barred (a member of that name joined while approval was off, and was kicked)
    const other = await ownedRoom({ approve_joins: 'on' });
    const kim = await join(other.id, 'kim');
    expect(kim.status).toBe(202);
    await api('POST', `/rooms/${other.id}/approval`, { token: other.owner, body: { approve_joins: false } });
    expect((await join(other.id, 'KIM')).status).toBe(200);
    expect((await api('POST', `/rooms/${other.id}/kick`, { token: other.owner, body: { username: 'KIM' } })).status).toBe(200);
    const barred = await api('POST', `/rooms/${other.id}/requests/${kim.body.request_id}/approve`, { token: other.owner });
    expect([barred.status, code(barred)]).toEqual([403, 'name_banned']);
    expect((await api('GET', `/rooms/${other.id}/requests`, { token: other.owner })).body.requests.map((x: Frame) => x.username)).toEqual([
      'kim',
    ]);
  });

  test('requests are listed oldest first; at most 50 wait at once (429 too_many_requests)', async () => {
    const r = await createRoom(s.origin, { approve_joins: true, max_users: 100 });
    const names = Array.from({ length: 50 }, (_, i) => `asker${String(i).padStart(2, '0')}`);
    for (const name of names) expect((await join(r.room_id, name)).status).toBe(202);
    const list = await api('GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token });
    expect(list.body.requests.map((x: Frame) => x.username)).toEqual(names);
    const over = await join(r.room_id, 'one-too-many');
    expect([over.status, code(over)]).toEqual([429, 'too_many_requests']);
    // answering one makes room for another
    await api('POST', `/rooms/${r.room_id}/requests/${list.body.requests[0].request_id}/deny`, { token: r.owner_token });
    expect((await join(r.room_id, 'one-too-many')).status).toBe(202);
  });

  test('a denied asker may ask again; the owner (not another asker) can read any request’s status', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const first = await join(id, 'retry');
    await api('POST', `/rooms/${id}/requests/${first.body.request_id}/deny`, { token: owner });
    const second = await join(id, 'retry');
    expect(second.status).toBe(202);
    expect(second.body.request_id).not.toBe(first.body.request_id);
    const byOwner = await api('GET', `/rooms/${id}/requests/${second.body.request_id}`, { token: owner });
    expect([byOwner.status, byOwner.body.status, byOwner.body.username]).toEqual([200, 'pending', 'retry']);
    // the first (denied) token is still told so
    expect(code(await postMessage(id, first.body.token))).toBe('join_denied');
  });

  test('a barred name cannot ask to join either (403 name_banned)', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const ask = await join(id, 'rex');
    await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect((await api('POST', `/rooms/${id}/kick`, { token: owner, body: { username: 'rex' } })).status).toBe(200);
    const again = await join(id, 'REX');
    expect([again.status, code(again)]).toEqual([403, 'name_banned']);
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests).toEqual([]);
  });

  test('on /live too, only the owner’s page hears of a request to join', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const first = await join(id, 'mia');
    await api('POST', `/rooms/${id}/requests/${first.body.request_id}/approve`, { token: owner });
    const oLive = socket(`/rooms/${id}/live`, { Cookie: `mayfly_member=${owner}` });
    const mLive = socket(`/rooms/${id}/live`, { Cookie: `mayfly_member=${first.body.token}` });
    await Promise.all([oLive.opened, mLive.opened]);
    const o = await ws(id, owner);
    o.send({ type: 'message', content: 'pages listening' });
    for (const page of [oLive, mLive])
      await page.next((f) => f.type === '__html' && f.html.includes('pages listening'), 5000, 'a page listening');
    const ask = await join(id, 'livia');
    await o.next((f) => f.type === 'join_request' && f.username === 'livia');
    await oLive.next(
      (f) => f.type === '__html' && f.html.includes('livia') && f.html.includes(ask.body.request_id),
      5000,
      'the request on the owner’s page',
    );
    o.send({ type: 'message', content: 'after the request' });
    await mLive.next((f) => f.type === '__html' && f.html.includes('after the request'), 5000, 'the later message on mia’s page');
    expect(mLive.raw.some((r) => r.includes('livia'))).toBe(false);
  });

  test('a /ws guest cannot walk past approval: refused, no seat, nothing announced', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const o = await ws(id, owner);
    const closed = await refusedSocket(`/rooms/${id}/ws?username=sneaky`);
    expect(closed.code).toBeGreaterThanOrEqual(4000);
    expect((await room(id)).users).toEqual(['owner']);
    await settle(o, [o]);
    expect(o.of('user_joined')).toEqual([]);
  });

  test('approve_joins must be a JSON boolean when creating a room over the API', async () => {
    for (const value of ['true', 'on', 1]) {
      const res = await api('POST', '/rooms', { body: { name: 'x', owner_name: 'o', approve_joins: value } });
      expect(res.status).toBe(400);
    }
    const ok = await api('POST', '/rooms', { body: { name: 'x', owner_name: 'o', approve_joins: false } });
    expect([ok.status, ok.body.approve_joins, ok.body.locked]).toEqual([201, false, false]);
  });

  test('a request that lapsed: 403 request_expired, 4403 on /ws, status expired, gone from the list, cannot be approved', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const ask = await join(id, 'late');
    // JOIN_REQUEST_SECONDS is at least 10: the request is made to have lapsed in storage instead.
    const tokenHash = hashToken(ask.body.token);
    const identity = (await s.deps.store.identity(id, tokenHash))!;
    expect(identity.request?.status).toBe('pending');
    expect(
      await s.deps.store.putIdentity(id, tokenHash, { ...identity, request: { ...identity.request!, until: Date.now() - 1000 } }),
    ).toBe('ok');

    for (const res of [await postMessage(id, ask.body.token), await readMessages(id, ask.body.token)]) {
      expect([res.status, code(res)]).toEqual([403, 'request_expired']);
    }
    expect(await refusedSocket(`/rooms/${id}/ws?token=${ask.body.token}`)).toEqual({ code: 4403, reason: ERRORS.request_expired.message });
    expect((await api('GET', `/rooms/${id}/requests/${ask.body.request_id}`, { token: ask.body.token })).body.status).toBe('expired');
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests).toEqual([]);
    const approve = await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect([approve.status, code(approve)]).toEqual([404, 'request_not_found']);
    // the name is free to ask again
    expect((await join(id, 'late')).status).toBe(202);
  });

  test('approval toggled on a live room over HTTP and over /ws (htmx-style on/off); approval_changed reaches everyone', async () => {
    const { id, owner } = await ownedRoom();
    const mia = await joinRoom(s.origin, id, 'mia');
    const o = await ws(id, owner);
    const m = await ws(id, mia.token);

    const on = await api('POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: true } });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ room_id: id, approve_joins: true });
    for (const x of [o, m]) expect(await x.type('approval_changed')).toMatchObject({ room_id: id, approve_joins: true });
    expect((await room(id)).approve_joins).toBe(true);
    const ask = await join(id, 'ned');
    expect(ask.status).toBe(202);
    await o.next((f) => f.type === 'join_request' && f.username === 'ned');

    const off = await api('POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: false } });
    expect(off.body).toEqual({ room_id: id, approve_joins: false });
    for (const x of [o, m]) await x.next((f) => f.type === 'approval_changed' && f.approve_joins === false);
    expect((await join(id, 'olaf')).status).toBe(200);
    // the request already waiting stays for the owner to answer
    expect((await api('GET', `/rooms/${id}/requests`, { token: owner })).body.requests.map((r: Frame) => r.username)).toEqual(['ned']);

    o.send({ type: 'approval', approve_joins: 'on' });
    for (const x of [o, m])
      await x.next((f) => f.type === 'approval_changed' && f.approve_joins === true && x.of('approval_changed').length === 3);
    expect((await join(id, 'pia')).status).toBe(202);
    o.send({ type: 'approval', approve_joins: 'off' });
    await m.next((f) => f.type === 'approval_changed' && f.approve_joins === false && m.of('approval_changed').length === 4);
    expect((await join(id, 'quin')).status).toBe(200);

    // refusals
    m.send({ type: 'approval', approve_joins: true });
    expect((await m.type('error')).code).toBe('forbidden');
    expect((await api('POST', `/rooms/${id}/approval`, { token: mia.token, body: { approve_joins: true } })).status).toBe(403);
    expect((await api('POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: 'yes' } })).status).toBe(400);
    expect((await api('POST', `/rooms/${id}/approval`, { token: owner, body: {} })).status).toBe(400);
    expect((await room(id)).approve_joins).toBe(false);
  });
});

describe('extend', () => {
  test('expires_at moves, everyone hears room_extended, capped at created_at + MAX_EXPIRY_SECONDS, then 409 extend_limit', async () => {
    const r = (await createRoom(s.origin)) as Awaited<ReturnType<typeof createRoom>> & Record<string, any>;
    const created = Date.parse((await room(r.room_id)).created_at);
    const expires = Date.parse(r.expires_at);
    expect(expires - created).toBe(DEFAULT_EXPIRY * 1000);
    expect(Date.parse(r.max_expires_at)).toBe(created + MAX_EXPIRY * 1000);
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    const a = await ws(r.room_id, alice.token);

    const more = await api('POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 30 } });
    expect(more.status).toBe(200);
    expect(more.body).toMatchObject({ room_id: r.room_id, max_expires_at: new Date(created + MAX_EXPIRY * 1000).toISOString() });
    expect(Date.parse(more.body.expires_at)).toBe(expires + 30_000);
    expect(Math.abs(more.body.expires_in_seconds - (expires + 30_000 - Date.now()) / 1000)).toBeLessThan(2);
    expect(await a.type('room_extended')).toMatchObject({ room_id: r.room_id, expires_at: more.body.expires_at });
    expect((await room(r.room_id)).expires_at).toBe(more.body.expires_at);

    // capped
    const capped = await api('POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 3600 } });
    expect(capped.status).toBe(200);
    expect(Date.parse(capped.body.expires_at)).toBe(created + MAX_EXPIRY * 1000);
    await a.next((f) => f.type === 'room_extended' && f.expires_at === capped.body.expires_at);
    expect((await room(r.room_id)).expires_at).toBe(capped.body.expires_at);

    // at the cap
    const limit = await api('POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 1 } });
    expect([limit.status, code(limit)]).toEqual([409, 'extend_limit']);
    expect((await room(r.room_id)).expires_at).toBe(capped.body.expires_at);
    expect(a.of('room_extended').length).toBe(2);
  });

  test('over /ws (seconds as a digit string, as htmx sends); at the cap the frame is an error extend_limit; non-owners are refused', async () => {
    const { id, owner } = await ownedRoom();
    const mia = await joinRoom(s.origin, id, 'mia');
    const o = await ws(id, owner);
    const m = await ws(id, mia.token);
    const before = Date.parse((await room(id)).expires_at);
    o.send({ type: 'extend', seconds: '20' });
    const ev = await m.type('room_extended');
    expect(Date.parse(ev.expires_at)).toBe(before + 20_000);
    o.send({ type: 'extend', seconds: 100_000 });
    await m.next((f) => f.type === 'room_extended' && m.of('room_extended').length === 2);
    o.send({ type: 'extend', seconds: 5 });
    expect((await o.type('error')).code).toBe('extend_limit');

    m.send({ type: 'extend', seconds: 5 });
    expect((await m.type('error')).code).toBe('forbidden');
    const byMember = await api('POST', `/rooms/${id}/extend`, { token: mia.token, body: { seconds: 5 } });
    expect([byMember.status, code(byMember)]).toEqual([403, 'forbidden']);
  });

  test('invalid seconds are refused with 400', async () => {
    const r = await createRoom(s.origin);
    for (const seconds of [0, -5, 1.5, 2_592_001, '30', null]) {
      const res = await api('POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds } });
      expect(res.status).toBe(400);
    }
    expect((await room(r.room_id)).expires_at).toBe(r.expires_at);
  });

  test.skipIf(onTheClock())('the room really lives past its original end, then ends at the new one', async () => {
    const r = await createRoom(s.origin, { expiry_seconds: 5 });
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    const a = await ws(r.room_id, alice.token);
    const more = await api('POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 4 } });
    expect(more.status).toBe(200);
    const end = Date.parse(more.body.expires_at);
    expect(end).toBe(Date.parse(r.expires_at) + 4000);

    await Bun.sleep(Date.parse(r.expires_at) - Date.now() + 700); // past the original end
    expect(a.closed).toBeNull();
    expect(a.of('room_expired')).toEqual([]);
    expect((await api('GET', `/rooms/${r.room_id}`)).status).toBe(200);
    expect((await postMessage(r.room_id, alice.token, 'still alive')).status).toBe(201);
    await a.next((f) => f.type === 'message' && f.content === 'still alive');

    // it does end at the new end
    expect((await a.closedWith(end - Date.now() + 3000)).code).toBe(4410);
    expect(Date.now()).toBeGreaterThanOrEqual(end - 50);
    expect(a.of('room_expired').length).toBe(1);
    expect((await api('GET', `/rooms/${r.room_id}`)).status).toBe(404);
  });
});

describe('hand over', () => {
  test('with the owner_token: owner_changed to everyone; the new owner can kick; the owner_token stops working', async () => {
    const r = await createRoom(s.origin, { owner_name: 'founder' });
    const alice = await joinRoom(s.origin, r.room_id, 'alice');
    const bob = await joinRoom(s.origin, r.room_id, 'bob');
    const carl = await joinRoom(s.origin, r.room_id, 'carl');
    const a = await ws(r.room_id, alice.token);
    const b = await ws(r.room_id, bob.token);
    const c = await ws(r.room_id, carl.token);

    const res = await api('POST', `/rooms/${r.room_id}/owner`, { token: r.owner_token, body: { username: 'Alice' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ room_id: r.room_id, owner_name: 'alice' });
    for (const x of [a, b, c]) {
      expect(await x.type('owner_changed')).toMatchObject({
        room_id: r.room_id,
        username: 'alice',
        member_id: alice.member_id,
        previous: 'founder',
        reason: 'handed_over',
      });
    }
    expect((await room(r.room_id)).owner_name).toBe('alice');

    // the old owner token no longer works, for anything
    for (const [path, body] of [
      ['lock', undefined],
      ['kick', { username: 'bob' }],
      ['extend', { seconds: 5 }],
      ['owner', { username: 'bob' }],
    ] as const) {
      const refused = await api('POST', `/rooms/${r.room_id}/${path}`, { token: r.owner_token, body });
      expect([refused.status, code(refused)]).toEqual([403, 'forbidden']);
    }
    expect((await api('DELETE', `/rooms/${r.room_id}`, { token: r.owner_token })).status).toBe(403);

    // the new owner can: over HTTP…
    const kick = await api('POST', `/rooms/${r.room_id}/kick`, { token: alice.token, body: { username: 'bob' } });
    expect(kick.status).toBe(200);
    expect((await b.closedWith()).code).toBe(4403);
    // …and over /ws (its socket learnt it owns the room)
    a.send({ type: 'kick', username: 'carl' });
    expect((await c.closedWith()).code).toBe(4403);
    expect(a.of('error')).toEqual([]);
    expect((await room(r.room_id)).users).toEqual(['alice']);
  });

  test('with a member token, and over /ws: the old owner is refused afterwards (403, error forbidden); join requests follow the new owner', async () => {
    const { id, owner } = await ownedRoom({ approve_joins: 'on' });
    const o = await ws(id, owner);
    const ask = await join(id, 'nia');
    await api('POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    const ask2 = await join(id, 'ola');
    await api('POST', `/rooms/${id}/requests/${ask2.body.request_id}/approve`, { token: owner });
    const n = await ws(id, ask.body.token);
    const l = await ws(id, ask2.body.token);

    const res = await api('POST', `/rooms/${id}/owner`, { token: owner, body: { username: 'nia' } });
    expect(res.body).toEqual({ room_id: id, owner_name: 'nia' });
    for (const x of [o, n, l])
      expect(await x.type('owner_changed')).toMatchObject({ username: 'nia', previous: 'owner', reason: 'handed_over' });

    const old = await api('POST', `/rooms/${id}/lock`, { token: owner });
    expect([old.status, code(old)]).toEqual([403, 'forbidden']);
    o.send({ type: 'lock' });
    expect((await o.type('error')).code).toBe('forbidden');

    // a join request goes to the new owner's socket only
    const ask3 = await join(id, 'pam');
    expect(await n.next((f) => f.type === 'join_request' && f.username === 'pam')).toMatchObject({ request_id: ask3.body.request_id });
    await settle(n, [o, n, l]);
    expect([...o.of('join_request'), ...l.of('join_request')].some((f) => f.username === 'pam')).toBe(false);

    // the new owner hands it on over /ws
    n.send({ type: 'owner', username: 'ola' });
    for (const x of [o, n, l]) await x.next((f) => f.type === 'owner_changed' && f.username === 'ola');
    expect((await l.next((f) => f.type === 'owner_changed' && f.username === 'ola')).previous).toBe('nia');
    n.send({ type: 'lock' });
    expect((await n.type('error')).code).toBe('forbidden');
    l.send({ type: 'lock' });
    await o.type('room_locked');
    expect((await room(id)).owner_name).toBe('ola');
  });

  test('refusals: yourself 400 invalid_target, an unknown name 404 member_not_found, a non-owner 403', async () => {
    const { id, owner } = await ownedRoom();
    const mia = await joinRoom(s.origin, id, 'mia');
    const self = await api('POST', `/rooms/${id}/owner`, { token: owner, body: { username: 'owner' } });
    expect([self.status, code(self)]).toEqual([400, 'invalid_target']);
    const unknown = await api('POST', `/rooms/${id}/owner`, { token: owner, body: { username: 'ghost' } });
    expect([unknown.status, code(unknown)]).toEqual([404, 'member_not_found']);
    const byMember = await api('POST', `/rooms/${id}/owner`, { token: mia.token, body: { username: 'mia' } });
    expect([byMember.status, code(byMember)]).toEqual([403, 'forbidden']);
    // someone still asking to join is no member
    await api('POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: true } });
    await join(id, 'asker');
    const toAsker = await api('POST', `/rooms/${id}/owner`, { token: owner, body: { username: 'asker' } });
    expect([toAsker.status, code(toAsker)]).toEqual([404, 'member_not_found']);
    const m = await ws(id, mia.token);
    m.send({ type: 'owner', username: 'mia' });
    expect((await m.type('error')).code).toBe('forbidden');
    expect((await room(id)).owner_name).toBe('owner');
  });

  test('the owner leaving passes the room to the member present longest (owner_changed, reason owner_left)', async () => {
    const { id, owner } = await ownedRoom();
    const alice = await joinRoom(s.origin, id, 'alice');
    const bob = await joinRoom(s.origin, id, 'bob');
    const a = await ws(id, alice.token);
    const b = await ws(id, bob.token);
    const left = await api('POST', `/rooms/${id}/leave`, { token: owner });
    expect(left.status).toBe(204);
    for (const x of [a, b]) {
      expect(await x.type('owner_changed')).toMatchObject({
        username: 'alice',
        member_id: alice.member_id,
        previous: 'owner',
        reason: 'owner_left',
      });
      await x.next((f) => f.type === 'user_left' && f.username === 'owner');
    }
    expect((await room(id)).owner_name).toBe('alice');
    // alice owns it now
    a.send({ type: 'lock' });
    await b.type('room_locked');
    const kick = await api('POST', `/rooms/${id}/kick`, { token: alice.token, body: { username: 'bob' } });
    expect(kick.status).toBe(200);
    // bob was removed: his token is nobody's now
    expect((await api('POST', `/rooms/${id}/unlock`, { token: bob.token })).status).toBe(403);
    expect((await room(id)).locked).toBe(true);
  });

  test('an owner who leaves an empty room leaves it with no owner until the next person joins, who owns it', async () => {
    const { id, owner } = await ownedRoom();
    expect((await api('POST', `/rooms/${id}/leave`, { token: owner })).status).toBe(204);
    const unowned = (await (await fetch(`${s.origin}/rooms/${id}`, { headers: { accept: 'application/json' } })).json()) as any;
    expect(unowned.owner_name).toBeNull();
    // A guest on /ws (gone with its socket) does not take the room.
    const guest = socket(`/rooms/${id}/ws?username=passer-by`);
    await guest.opened;
    await guest.type('history');
    guest.send({ type: 'lock' });
    expect((await guest.type('error')).code).toBe('forbidden');
    guest.close();
    const mia = await joinRoom(s.origin, id, 'mia');
    const m = await ws(id, mia.token);
    m.send({ type: 'lock' });
    expect((await m.type('room_locked')).type).toBe('room_locked');
    const owned = (await (await fetch(`${s.origin}/rooms/${id}`, { headers: { accept: 'application/json' } })).json()) as any;
    expect(owned.owner_name).toBe('mia');
  });
});

describe('API clients that always send Content-Type: application/json', () => {
  // Generic clients (and curl scripts) often set the header on every call; routes without a body should not care.
  const call = (method: string, path: string, token: string) =>
    fetch(`${s.origin}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  test('GET /rooms/{id}/requests reads no body: the header alone does not make it 400', async () => {
    const r = await createRoom(s.origin, { approve_joins: true });
    await join(r.room_id, 'asker');
    const res = await call('GET', `/rooms/${r.room_id}/requests`, r.owner_token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).requests.map((x: Frame) => x.username)).toEqual(['asker']);
  });

  test('bodyless owner POSTs (lock, unlock, approve, deny) take an empty body as POST /leave does', async () => {
    const r = await createRoom(s.origin, { approve_joins: true });
    // POST /leave with the header and no body is fine (here: a request withdrawn)…
    const leaver = await join(r.room_id, 'leaver');
    expect((await call('POST', `/rooms/${r.room_id}/leave`, leaver.body.token)).status).toBe(204);
    // …and so should the owner's bodyless controls be
    const ask = await join(r.room_id, 'asker');
    const ask2 = await join(r.room_id, 'asker2');
    for (const path of ['lock', 'unlock', `requests/${ask.body.request_id}/approve`, `requests/${ask2.body.request_id}/deny`]) {
      const res = await call('POST', `/rooms/${r.room_id}/${path}`, r.owner_token);
      expect(`${path} ${res.status}`).toBe(`${path} 200`);
    }
  });
});

describe('browser form posts', () => {
  test('an owner control posted as a form answers 303 back to the room; a refused one too, with the refusal shown once', async () => {
    const { id, owner } = await ownedRoom();
    const mia = await joinRoom(s.origin, id, 'mia');
    const form = (path: string, cookie: string, fields: Record<string, string> = {}) =>
      fetch(`${s.origin}/rooms/${id}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: s.origin, cookie },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
    const ok = await form('lock', `mayfly_member=${owner}`);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/rooms/${id}#latest`);
    expect((await room(id)).locked).toBe(true);
    const extend = await form('extend', `mayfly_member=${owner}`, { seconds: '15' });
    expect(extend.status).toBe(303);
    const approval = await form('approval', `mayfly_member=${owner}`, { approve_joins: 'on' });
    expect(approval.status).toBe(303);
    expect((await room(id)).approve_joins).toBe(true);

    const refused = await form('unlock', `mayfly_member=${mia.token}`);
    expect(refused.status).toBe(303);
    const flash = refused.headers.getSetCookie().find((c) => c.startsWith('mayfly_flash='));
    expect(flash).toBeDefined();
    expect((await room(id)).locked).toBe(true);
  });
});

describe('the owner’s pace', () => {
  test('changes count like messages (MESSAGE_BURST): past it, 429 rate_limited with Retry-After; reads are not counted', async () => {
    const slow = await startTestServer({ MESSAGE_RATE: '1', MESSAGE_BURST: '5' });
    try {
      const r = await createRoom(slow.origin);
      const call = (method: string, path: string) =>
        fetch(`${slow.origin}/rooms/${r.room_id}${path}`, { method, headers: { authorization: `Bearer ${r.owner_token}` } });
      const answers: number[] = [];
      for (let i = 0; i < 5; i++) answers.push((await call('POST', i % 2 ? '/unlock' : '/lock')).status);
      expect(answers).toEqual([200, 200, 200, 200, 200]);
      const refused = await call('POST', '/lock');
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as any).error.code).toBe('rate_limited');
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      // reading the requests is not a change
      expect((await call('GET', '/requests')).status).toBe(200);
    } finally {
      await slow.stop();
    }
  });
});

describe('a request withdrawn', () => {
  test('the asker leaving ends the request: the owner hears join_request_closed (withdrawn) and approving it is refused', async () => {
    const r = await createRoom(s.origin, { approve_joins: true, owner_name: 'olga' });
    const asked = await api('POST', `/rooms/${r.room_id}/join`, { body: { username: 'wendy' } });
    expect(asked.status).toBe(202);
    const list = await api('GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token });
    expect(list.body.requests.map((x: { username: string }) => x.username)).toEqual(['wendy']);
    expect((await api('POST', `/rooms/${r.room_id}/leave`, { token: asked.body.token })).status).toBe(204);
    expect((await api('GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token })).body.requests).toEqual([]);
    const approve = await api('POST', `/rooms/${r.room_id}/requests/${asked.body.request_id}/approve`, { token: r.owner_token });
    expect(approve.status).toBe(404);
    expect(approve.body.error.code).toBe('request_not_found');
  });
});
