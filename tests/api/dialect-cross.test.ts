// Messages cross between the dialects (DisposableChat, Chatterbox, EphemeralChat) and mayfly's own clients in one room, in seq order.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { count, killChats, READY, spawnChat } from '../helpers/chat.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { joinRoom, startTestServer, type TestServer, waitFor } from '../helpers/server.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(25_000);

const J = { 'content-type': 'application/json' };

let s: TestServer;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  s = await startTestServer();
});
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.close();
  killChats();
});
afterAll(() => s?.stop());

async function open(url: string, headers?: Record<string, string>) {
  const ws = await connect(url, headers);
  sockets.push(ws);
  return ws;
}

async function session(origin: string, username: string) {
  const res = await fetch(`${origin}/sessions/`, { method: 'POST', headers: J, body: JSON.stringify({ username }) });
  return ((await res.json()) as { session_id: string }).session_id;
}

async function signIn(origin: string, username: string): Promise<string> {
  await fetch(`${origin}/register`, { method: 'POST', headers: J, body: JSON.stringify({ username, password: 'password1' }) });
  const res = await fetch(`${origin}/login`, { method: 'POST', headers: J, body: JSON.stringify({ username, password: 'password1' }) });
  return ((await res.json()) as { token: string }).token;
}

/** The (seq, text) of every message a JSON socket got, in arrival order: DisposableChat's chat frames or mayfly's. */
const received = (ws: TestSocket) =>
  ws.frames.filter((f) => f.type === 'chat' || f.type === 'message').map((f) => `${f.seq}:${f.type === 'chat' ? f.message : f.content}`);

/** Texts in the order they first appear in a stream of text (HTML fragments, the terminal's output). */
const orderIn = (text: string, texts: string[]) => [...texts].sort((a, b) => text.indexOf(a) - text.indexOf(b));

describe('one room, every way in', () => {
  test('DisposableChat, /ws, an EphemeralChat guest, the browser’s /live and the terminal client: each message reaches all, in seq order', async () => {
    // A DisposableChat session makes the room; everyone else comes in their own way.
    const carla = await session(s.origin, 'carla');
    const res = await fetch(`${s.origin}/rooms/`, { method: 'POST', headers: { authorization: `Bearer ${carla}` } });
    const { room_id: roomId } = (await res.json()) as { room_id: string };
    const disposable = await open(`${s.wsOrigin}/ws/${roomId}?session_id=${carla}`);
    const nina = await joinRoom(s.origin, roomId, 'nina');
    const native = await open(`${s.wsOrigin}/rooms/${roomId}/ws?token=${nina.token}`);
    const guest = await open(`${s.wsOrigin}/rooms/${roomId}/ws?display_name=eph`); // EphemeralChat: no token, a guest
    const bea = await joinRoom(s.origin, roomId, 'bea');
    // the browser page's stream: its cookie, and its site as Origin, as a browser sends them
    const live = await open(`${s.wsOrigin}/rooms/${roomId}/live`, { cookie: `mayfly_member=${bea.token}`, origin: s.origin });
    const terminal = spawnChat([`${s.origin}/rooms/${roomId}`, '--name', 'tara']);
    await terminal.waitOut(READY);
    for (const ws of [native, guest]) await ws.type('history');
    await disposable.next((f) => f.type === 'user_joined' && f.user === 'tara');

    // everyone speaks at once, each in their own dialect
    const texts = ['from-disposable', 'from-ws', 'from-guest', 'from-live', 'from-terminal'];
    disposable.send({ type: 'chat', message: texts[0] });
    native.send({ type: 'message', content: texts[1] });
    guest.send({ type: 'message', content: texts[2] });
    live.send({ type: 'message', content: texts[3], headers: { 'HX-Request': 'true' } });
    terminal.send(texts[4]!);

    // the order is the room's: seq 1 … 5 as storage gave them
    await waitFor(async () => (await s.deps.rooms.history(roomId, {})).length === 5, 5000, 'five messages stored');
    const order = (await s.deps.rooms.history(roomId, {})).map((m) => `${m.seq}:${m.content}`);
    expect(order.map((o) => o.split(':')[1]).sort()).toEqual([...texts].sort());
    for (const ws of [disposable, native, guest]) {
      await waitFor(() => received(ws).length === 5, 5000, 'five messages on each JSON socket');
      expect(received(ws)).toEqual(order);
    }
    const inOrder = order.map((o) => o.split(':')[1]!);
    await waitFor(() => texts.every((t) => live.raw.join('').includes(t)), 5000, 'five messages on /live');
    expect(orderIn(live.raw.join(''), texts)).toEqual(inOrder);
    for (const t of texts) await terminal.waitOut(t);
    expect(orderIn(terminal.out(), texts)).toEqual(inOrder);
    expect(count(terminal.out(), 'carla: from-disposable')).toBe(1);
    // each sender is named in every dialect: DisposableChat's `user`, mayfly's `username`
    expect(disposable.of('chat').map((f) => f.user)).toEqual(
      order.map(
        (o) =>
          ({ 'from-disposable': 'carla', 'from-ws': 'nina', 'from-guest': 'eph', 'from-live': 'bea', 'from-terminal': 'tara' })[
            o.split(':')[1]!
          ],
      ),
    );
    expect(native.of('message').find((f) => f.content === 'from-disposable')!.username).toBe('carla');
  });

  test('the lounge: two Chatterbox sockets, mayfly’s /ws (POST /lounge) and the browser page, in seq order', async () => {
    const [dora, eve] = [await signIn(s.origin, 'dora'), await signIn(s.origin, 'eve')];
    const doraSocket = await open(`${s.wsOrigin}/ws?token=${dora}`);
    const { room_id: lounge } = await doraSocket.type('history');
    const eveSocket = await open(`${s.wsOrigin}/ws?token=${eve}`);
    await eveSocket.type('history');
    const door = (await (await fetch(`${s.origin}/lounge`, { method: 'POST', headers: { authorization: `Bearer ${eve}` } })).json()) as any;
    expect(door.room_id).toBe(lounge);
    const native = await open(door.ws_url);
    await native.type('history');
    const res = await fetch(`${s.origin}/lounge`, {
      method: 'POST',
      headers: { cookie: `mayfly_session=${dora}`, origin: s.origin, 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const live = await open(`${s.wsOrigin}/rooms/${lounge}/live`, { cookie, origin: s.origin });
    await Bun.sleep(100);

    const texts = ['cb-dora', 'cb-eve', 'ws-eve', 'live-dora'];
    doraSocket.send({ type: 'message', content: texts[0] });
    eveSocket.send({ type: 'message', content: texts[1] });
    native.send({ type: 'message', content: texts[2] });
    live.send({ type: 'message', content: texts[3] });
    await waitFor(async () => (await s.deps.rooms.history(lounge, {})).length === 4, 5000, 'four messages stored');
    const order = (await s.deps.rooms.history(lounge, {})).map((m) => `${m.seq}:${m.content}`);
    for (const ws of [doraSocket, eveSocket, native]) {
      await waitFor(() => received(ws).length === 4, 5000, 'four messages on each socket');
      expect(received(ws)).toEqual(order);
    }
    await waitFor(() => texts.every((t) => live.raw.join('').includes(t)), 5000, 'four messages on /live');
    expect(orderIn(live.raw.join(''), texts)).toEqual(order.map((o) => o.split(':')[1]));
    // the Chatterbox history agrees
    const list = (await (await fetch(`${s.origin}/messages`, { headers: { authorization: `Bearer ${dora}` } })).json()) as any[];
    expect(list.map((m) => `${m.seq}:${m.content}`)).toEqual(order);
    expect(list.map((m) => m.username)).toEqual(order.map((o) => (o.includes('dora') ? 'dora' : 'eve')));
  });
});

describe('the OpenAPI document', () => {
  test('documents every dialect route, tagged compatibility; the shared URLs say how DisposableChat’s requests are told apart', async () => {
    const doc = (await (await fetch(`${s.origin}/openapi.json`)).json()) as any;
    const own: Array<[string, string]> = [
      ['/sessions', 'post'],
      ['/sessions/', 'post'],
      ['/sessions/me', 'get'],
      ['/sessions/me', 'delete'],
      ['/rooms/', 'get'],
      ['/rooms/all', 'get'],
      ['/rooms/{id}/leave', 'delete'],
      ['/ws/{id}', 'get'],
      ['/ws', 'get'],
      ['/messages', 'get'],
      ['/lounge', 'post'],
    ];
    for (const [path, method] of own)
      expect({ path, method, tags: doc.paths[path][method].tags }).toMatchObject({
        path,
        method,
        tags: expect.arrayContaining(['compatibility']),
      });
    for (const [path, method] of [
      ['/rooms', 'post'],
      ['/rooms/', 'post'],
      ['/rooms/{id}', 'get'],
      ['/rooms/{id}/join', 'post'],
      ['/rooms/{id}/messages', 'get'],
    ] as const) {
      const op = doc.paths[path][method];
      expect(op.tags).toEqual(expect.arrayContaining(['compatibility']));
      expect(op.description).toContain('UUID');
      expect(op.security).toContainEqual({ disposableSession: [] });
    }
    expect(doc.paths['/rooms/all'].get.description).toContain('unguessable');
    expect(doc.paths['/ws/{id}'].get.description).toContain('1008');
    expect(doc.tags.map((t: any) => t.name)).toContain('compatibility');
    // mayfly's own operations on those URLs are still there
    expect(doc.paths['/rooms/'].post.operationId).toBe('createRoomSlash');
    expect(doc.paths['/rooms/{id}/leave'].post.operationId).toBe('leaveRoom');
  });
});

const hasRedis = need('redis-server');
describe.skipIf(!hasRedis)('two instances on one Redis', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test('a session made on one instance works on the other; sockets on both share the room and the lounge, in seq order', async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startTestServer({ STORAGE_URL: redis.url }), startTestServer({ STORAGE_URL: redis.url })]);

    const carla = await session(a.origin, 'carla');
    const me = await fetch(`${b.origin}/sessions/me`, { headers: { authorization: `Bearer ${carla}` } });
    expect(me.status).toBe(200);
    const made = await fetch(`${b.origin}/rooms/`, { method: 'POST', headers: { authorization: `Bearer ${carla}` } });
    const { room_id: roomId } = (await made.json()) as { room_id: string };
    const disposable = await open(`${a.wsOrigin}/ws/${roomId}?session_id=${carla}`);
    const nina = await joinRoom(b.origin, roomId, 'nina');
    const native = await open(`${b.wsOrigin}/rooms/${roomId}/ws?token=${nina.token}`);
    await native.type('history');
    await disposable.next((f) => f.type === 'user_joined' && f.user === 'nina');
    for (let i = 0; i < 6; i++)
      i % 2 ? native.send({ type: 'message', content: `n${i}` }) : disposable.send({ type: 'chat', message: `c${i}` });
    for (const ws of [disposable, native]) await waitFor(() => received(ws).length === 6, 8000, 'six messages on each instance');
    expect(received(disposable)).toEqual(received(native));
    expect(received(native).map((r) => Number(r.split(':')[0]))).toEqual([1, 2, 3, 4, 5, 6]);
    // the session's listing is the same on both instances
    const rooms = async (on: TestServer) =>
      ((await (await fetch(`${on.origin}/rooms/all`, { headers: { authorization: `Bearer ${carla}` } })).json()) as any).rooms.map(
        (r: any) => r.room_id,
      );
    expect(await rooms(a)).toEqual([roomId]);
    expect(await rooms(b)).toEqual([roomId]);

    // one lounge for the deployment, whichever instance a client reaches
    const [dora, eve] = [await signIn(a.origin, 'dora'), await signIn(b.origin, 'eve')];
    const [onA, onB] = await Promise.all([open(`${a.wsOrigin}/ws?token=${dora}`), open(`${b.wsOrigin}/ws?token=${eve}`)]);
    const [ha, hb] = [await onA.type('history'), await onB.type('history')];
    expect(ha.room_id).toBe(hb.room_id);
    onA.send({ type: 'message', content: 'from a' });
    onB.send({ type: 'message', content: 'from b' });
    for (const ws of [onA, onB]) await waitFor(() => received(ws).length === 2, 8000, 'both lounge messages on each instance');
    expect(received(onA)).toEqual(received(onB));
  });
});
