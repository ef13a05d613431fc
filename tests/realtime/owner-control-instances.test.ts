// Issue 14 across two instances on one real redis-server: the owner acts through instance A, and what
// it does holds on instance B: a kick closes B's sockets and B refuses the token, a lock refuses joins
// on B, more time moves B's expiry timer, a request made on B is approved on A, and B hears of a new owner.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(30_000);

type Server = { origin: string; wsOrigin: string };
type Answer = { status: number; body: any };

describe.skipIf(!need('redis-server'))('owner control across instances on one Redis', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  const open: TestSocket[] = [];
  const env = () => ({
    STORAGE_URL: redis.url,
    MAX_EXPIRY_SECONDS: '120',
    DEFAULT_EXPIRY_SECONDS: '60',
    MESSAGE_RATE: '1000',
    MESSAGE_BURST: '1000',
  });

  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startTestServer(env()), startTestServer(env())]);
  });
  afterEach(() => {
    for (const sock of open.splice(0)) if (!sock.closed) sock.close();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  async function api(server: Server, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET') headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${server.origin}${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(opts.body ?? {}),
      redirect: 'manual',
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body };
  }
  const code = (x: Answer) => x.body?.error?.code;

  function socket(server: Server, path: string): TestSocket {
    const sock = new TestSocket(`${server.wsOrigin}${path}`, { Origin: server.origin });
    open.push(sock);
    return sock;
  }

  async function ws(server: Server, roomId: string, token: string): Promise<TestSocket> {
    const sock = socket(server, `/rooms/${roomId}/ws?token=${encodeURIComponent(token)}`);
    await sock.opened;
    await sock.type('history');
    return sock;
  }

  /** A room created in a browser on `server`: the owner is a member, with a token. */
  async function ownedRoom(server: Server, fields: Record<string, string> = {}): Promise<{ id: string; owner: string }> {
    const res = await fetch(`${server.origin}/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: server.origin },
      body: new URLSearchParams({ name: 'Owned room', owner_name: 'owner', ...fields }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    await res.arrayBuffer();
    const id = res.headers.get('location')!.match(/\/rooms\/([A-Za-z0-9_-]{21})/)![1]!;
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mayfly_member='))!;
    return { id, owner: decodeURIComponent(cookie.split(';')[0]!.slice('mayfly_member='.length)) };
  }

  const join = (server: Server, id: string, username: string) => api(server, 'POST', `/rooms/${id}/join`, { body: { username } });
  const post = (server: Server, id: string, token: string, content = 'hi') =>
    api(server, 'POST', `/rooms/${id}/messages`, { token, body: { content } });
  const users = async (server: Server, id: string) => (await api(server, 'GET', `/rooms/${id}`)).body.users as string[];

  /** Sends a marker on `from` and waits for it on every socket in `all`: what was sent before has arrived. */
  async function settle(from: TestSocket, all: TestSocket[]) {
    const content = `marker ${crypto.randomUUID()}`;
    from.send({ type: 'message', content });
    for (const x of all) await x.next((f) => f.type === 'message' && f.content === content);
  }

  test('a member connected to B, kicked through A: B’s socket closes 4403, B refuses the token and the name', async () => {
    const r = await createRoom(a.origin);
    const alice = await joinRoom(a.origin, r.room_id, 'alice');
    const bob = await joinRoom(b.origin, r.room_id, 'bob');
    const onB = await ws(b, r.room_id, alice.token);
    const bobOnB = await ws(b, r.room_id, bob.token);
    const bobOnA = await ws(a, r.room_id, bob.token);

    const kick = await api(a, 'POST', `/rooms/${r.room_id}/kick`, { token: r.owner_token, body: { username: 'alice' } });
    expect(kick.status).toBe(200);
    expect(await onB.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    for (const x of [bobOnB, bobOnA]) expect(await x.type('user_kicked')).toMatchObject({ username: 'alice', users: ['bob'] });

    // B refuses the token, over HTTP and /ws, and the name
    expect((await post(b, r.room_id, alice.token)).status).toBe(401);
    expect((await api(b, 'GET', `/rooms/${r.room_id}/messages`, { token: alice.token })).status).toBe(401);
    expect((await socket(b, `/rooms/${r.room_id}/ws?token=${alice.token}`).closedWith()).code).toBe(4401);
    const again = await join(b, r.room_id, 'Alice');
    expect([again.status, code(again)]).toEqual([403, 'name_banned']);
    expect((await socket(b, `/rooms/${r.room_id}/ws?username=ALICE`).closedWith()).code).toBe(4403);
    expect(await users(b, r.room_id)).toEqual(['bob']);
  });

  test('the owner’s kick frame on A closes the member’s socket on B', async () => {
    const { id, owner } = await ownedRoom(a);
    const carl = await joinRoom(b.origin, id, 'carl');
    const o = await ws(a, id, owner);
    const c = await ws(b, id, carl.token);
    o.send({ type: 'kick', username: 'carl' });
    expect(await c.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
    expect(await o.type('user_kicked')).toMatchObject({ username: 'carl', users: ['owner'] });
    expect((await post(b, id, carl.token)).status).toBe(401);
  });

  test('lock through A refuses a join on B (423) and a guest on B (4423); B’s members hear it and keep chatting; unlock through B', async () => {
    const r = await createRoom(a.origin);
    const mia = await joinRoom(b.origin, r.room_id, 'mia');
    const m = await ws(b, r.room_id, mia.token);
    expect((await api(a, 'POST', `/rooms/${r.room_id}/lock`, { token: r.owner_token })).status).toBe(200);
    await m.type('room_locked');
    const refused = await join(b, r.room_id, 'nina');
    expect([refused.status, code(refused)]).toEqual([423, 'room_locked']);
    expect((await socket(b, `/rooms/${r.room_id}/ws?username=guest`).closedWith()).code).toBe(4423);
    expect((await post(b, r.room_id, mia.token, 'still chatting')).status).toBe(201);
    await m.next((f) => f.type === 'message' && f.content === 'still chatting');

    expect((await api(b, 'POST', `/rooms/${r.room_id}/unlock`, { token: r.owner_token })).status).toBe(200);
    await m.type('room_unlocked');
    expect((await join(a, r.room_id, 'nina')).status).toBe(200);
  });

  test('extend through A: a socket on B hears room_extended, B’s timer moves, and the room outlives its original end on both', async () => {
    const r = await createRoom(a.origin, { expiry_seconds: 5 });
    const ivy = await joinRoom(b.origin, r.room_id, 'ivy');
    const onB = await ws(b, r.room_id, ivy.token); // B now keeps an expiry timer for the room
    const timers = (s: TestServer) => (s.deps.rooms as any).timers.entries as Map<string, { expiresAt: number }>;
    expect(timers(b).get(r.room_id)?.expiresAt).toBe(Date.parse(r.expires_at));

    const more = await api(a, 'POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 4 } });
    expect(more.status).toBe(200);
    const end = Date.parse(more.body.expires_at);
    expect(end).toBe(Date.parse(r.expires_at) + 4000);
    expect((await onB.type('room_extended')).expires_at).toBe(more.body.expires_at);
    // B moved its timer on the event alone (nothing on B has read the room since)
    expect(timers(b).get(r.room_id)?.expiresAt).toBe(end);
    expect(timers(a).get(r.room_id)?.expiresAt).toBe(end);

    await Bun.sleep(Date.parse(r.expires_at) - Date.now() + 700); // past the original end
    expect(onB.closed).toBeNull();
    for (const s of [a, b]) {
      const got = await api(s, 'GET', `/rooms/${r.room_id}`);
      expect(got.status).toBe(200);
      expect(got.body.expires_at).toBe(more.body.expires_at);
    }
    expect((await post(b, r.room_id, ivy.token, 'after the old end')).status).toBe(201);
    await onB.next((f) => f.type === 'message' && f.content === 'after the old end');

    // and it ends at the new end, once
    expect((await onB.closedWith(end - Date.now() + 3000)).code).toBe(4410);
    expect(Date.now()).toBeGreaterThanOrEqual(end - 50);
    expect(onB.of('room_expired').length).toBe(1);
    for (const s of [a, b]) expect((await api(s, 'GET', `/rooms/${r.room_id}`)).status).toBe(404);
  });

  test('extend through A is capped by the room’s creation, as B sees it too: 409 extend_limit on B', async () => {
    const r = await createRoom(a.origin);
    expect((await api(a, 'POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 100_000 } })).status).toBe(200);
    const limit = await api(b, 'POST', `/rooms/${r.room_id}/extend`, { token: r.owner_token, body: { seconds: 1 } });
    expect([limit.status, code(limit)]).toEqual([409, 'extend_limit']);
  });

  test('a request made on B reaches the owner’s sockets on A and B (not other members); approved through A, the token works on B', async () => {
    const { id, owner } = await ownedRoom(a, { approve_joins: 'on' });
    const oA = await ws(a, id, owner);
    const oB = await ws(b, id, owner);
    // a member (approved) with a socket on B
    const first = await join(b, id, 'mia');
    expect(first.status).toBe(202);
    expect((await api(a, 'POST', `/rooms/${id}/requests/${first.body.request_id}/approve`, { token: owner })).status).toBe(200);
    const m = await ws(b, id, first.body.token);

    const ask = await join(b, id, 'zed');
    expect(ask.status).toBe(202);
    for (const x of [oA, oB]) {
      expect(await x.next((f) => f.type === 'join_request' && f.username === 'zed')).toMatchObject({ request_id: ask.body.request_id });
    }
    expect(code(await post(b, id, ask.body.token))).toBe('pending_approval');
    expect((await socket(b, `/rooms/${id}/ws?token=${ask.body.token}`).closedWith()).code).toBe(4403);
    expect((await api(a, 'GET', `/rooms/${id}/requests`, { token: owner })).body.requests.map((x: any) => x.username)).toEqual(['zed']);

    const ok = await api(a, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner });
    expect(ok.status).toBe(200);
    expect(await m.next((f) => f.type === 'user_joined' && f.username === 'zed')).toMatchObject({ users: ['owner', 'mia', 'zed'] });
    for (const x of [oA, oB]) {
      expect(await x.next((f) => f.type === 'join_request_closed' && f.username === 'zed')).toMatchObject({ status: 'approved' });
    }
    expect((await post(b, id, ask.body.token, 'hello from zed')).status).toBe(201);
    const z = await ws(b, id, ask.body.token);
    expect(z.closed).toBeNull();
    await settle(oA, [oA, oB, m]);
    expect([...m.of('join_request'), ...m.of('join_request_closed')]).toEqual([]);
  });

  test('deny through B of a request made on A; approval toggled through B holds on A', async () => {
    const { id, owner } = await ownedRoom(a, { approve_joins: 'on' });
    const oA = await ws(a, id, owner);
    const ask = await join(a, id, 'dora');
    await oA.next((f) => f.type === 'join_request' && f.username === 'dora');
    expect((await api(b, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/deny`, { token: owner })).status).toBe(200);
    expect(await oA.next((f) => f.type === 'join_request_closed' && f.username === 'dora')).toMatchObject({ status: 'denied' });
    expect(code(await post(a, id, ask.body.token))).toBe('join_denied');

    expect((await api(b, 'POST', `/rooms/${id}/approval`, { token: owner, body: { approve_joins: false } })).status).toBe(200);
    expect(await oA.type('approval_changed')).toMatchObject({ approve_joins: false });
    expect((await join(a, id, 'eli')).status).toBe(200);
  });

  // Two pages of the owner (or two owners' tabs) on two instances may answer the same request at once.
  test('one request answered at once through A and B (approve and deny): it is answered once, and the asker ends up either in or turned away', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const { id, owner } = await ownedRoom(a, { approve_joins: 'on' });
      const o = await ws(a, id, owner);
      const ask = await join(b, id, 'zed');
      expect(ask.status).toBe(202);
      await o.next((f) => f.type === 'join_request' && f.username === 'zed');
      const answers = await Promise.all([
        api(a, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner }),
        api(b, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/deny`, { token: owner }),
        api(b, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/approve`, { token: owner }),
        api(a, 'POST', `/rooms/${id}/requests/${ask.body.request_id}/deny`, { token: owner }),
      ]);
      const won = answers.filter((x) => x.status === 200).map((x) => x.body.status as string);
      const msg = await post(b, id, ask.body.token, 'am I in?');
      const here = (await users(a, id)).includes('zed');
      await settle(o, [o]);
      const closed = o
        .of('join_request_closed')
        .filter((f) => f.request_id === ask.body.request_id)
        .map((f) => f.status);
      outcomes.push(`answered ${JSON.stringify(won)}, told ${JSON.stringify(closed)}, message ${msg.status}, seated ${here}`);
      for (const sock of open.splice(0)) if (!sock.closed) sock.close();
    }
    const consistent = (o: string) =>
      o === 'answered ["approved"], told ["approved"], message 201, seated true' ||
      o === 'answered ["denied"], told ["denied"], message 403, seated false';
    expect(outcomes.filter((o) => !consistent(o))).toEqual([]);
  });

  test('two requests under one name at once, through A and B: one waits, the others get 409 name_taken', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 5; round++) {
      const r = await createRoom(a.origin, { approve_joins: true });
      const asks = await Promise.all([a, b, a, b].map((server) => join(server, r.room_id, 'twin')));
      const listed = (await api(a, 'GET', `/rooms/${r.room_id}/requests`, { token: r.owner_token })).body.requests.map(
        (x: any) => x.username,
      );
      outcomes.push(
        `${asks
          .map((x) => x.status)
          .sort()
          .join(',')} listed ${JSON.stringify(listed)}`,
      );
    }
    expect(outcomes).toEqual(Array(5).fill('202,409,409,409 listed ["twin"]'));
  });

  test('owner_changed is seen on B; B’s socket of the new owner gets join requests, the old owner’s on A does not; the old owner is refused', async () => {
    const { id, owner } = await ownedRoom(a, { approve_joins: 'on' });
    const oA = await ws(a, id, owner);
    const first = await join(b, id, 'nia');
    await api(a, 'POST', `/rooms/${id}/requests/${first.body.request_id}/approve`, { token: owner });
    const n = await ws(b, id, first.body.token);

    const res = await api(a, 'POST', `/rooms/${id}/owner`, { token: owner, body: { username: 'nia' } });
    expect(res.body).toEqual({ room_id: id, owner_name: 'nia' });
    for (const x of [n, oA])
      expect(await x.type('owner_changed')).toMatchObject({ username: 'nia', previous: 'owner', reason: 'handed_over' });
    expect((await api(b, 'GET', `/rooms/${id}`)).body.owner_name).toBe('nia');

    const ask = await join(a, id, 'pam');
    expect(await n.next((f) => f.type === 'join_request' && f.username === 'pam')).toMatchObject({ request_id: ask.body.request_id });
    await settle(n, [oA, n]);
    expect(oA.of('join_request').some((f) => f.username === 'pam')).toBe(false);

    // the old owner is refused on either instance; the new one acts through B
    expect(code(await api(b, 'POST', `/rooms/${id}/lock`, { token: owner }))).toBe('forbidden');
    oA.send({ type: 'lock' });
    expect((await oA.type('error')).code).toBe('forbidden');
    n.send({ type: 'approve', request_id: ask.body.request_id });
    await oA.next((f) => f.type === 'user_joined' && f.username === 'pam');
    n.send({ type: 'kick', username: 'owner' });
    expect(await oA.closedWith()).toEqual({ code: 4403, reason: 'removed by the owner' });
  });

  test('the owner leaving on A passes the room to the member present longest, told on B (reason owner_left)', async () => {
    const { id, owner } = await ownedRoom(a);
    const alice = await joinRoom(b.origin, id, 'alice');
    const bob = await joinRoom(a.origin, id, 'bob');
    const al = await ws(b, id, alice.token);
    const bo = await ws(a, id, bob.token);
    expect((await api(a, 'POST', `/rooms/${id}/leave`, { token: owner })).status).toBe(204);
    for (const x of [al, bo]) {
      expect(await x.type('owner_changed')).toMatchObject({
        username: 'alice',
        member_id: alice.member_id,
        previous: 'owner',
        reason: 'owner_left',
      });
    }
    al.send({ type: 'lock' });
    await bo.type('room_locked');
    expect((await api(a, 'GET', `/rooms/${id}`)).body.locked).toBe(true);
  });
});
