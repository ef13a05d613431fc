// Contract tests for the JSON WebSocket protocol (/rooms/{id}/ws) and its sharing of rooms with /live.
import { onTheClock } from '../helpers/requirements.ts';
import { afterAll, afterEach, beforeAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { TestSocket, type Frame } from '../helpers/ws.ts';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { connect as tcpConnect } from 'node:net';

// argon2id hashing and real sockets are slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

let s: TestServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  // A generous rate so that bursts in these tests are never refused (limits.test.ts covers the limit).
  s = await startTestServer({ MESSAGE_RATE: '1000', MESSAGE_BURST: '1000' });
});
afterEach(() => {
  for (const ws of open.splice(0)) if (!ws.closed) ws.close();
});
afterAll(async () => {
  await s?.stop();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Opens a socket that afterEach closes. */
async function ws(path: string, headers?: Record<string, string>): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, headers);
  open.push(sock);
  await sock.opened;
  return sock;
}

/** A socket that is expected to be refused with a close code after opening. */
async function refused(path: string, headers?: Record<string, string>): Promise<number> {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, headers);
  open.push(sock);
  await sock.opened.catch(() => {});
  const { code } = await sock.closedWith();
  expect(sock.frames).toEqual([]);
  return code;
}

async function postMessage(roomId: string, token: string, content: string) {
  const res = await fetch(`${s.origin}/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ content }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Frame;
}

const messages = (sock: TestSocket) => sock.of('message');

describe('connecting', () => {
  test('history comes first, with the most recent messages oldest first, users and room_id', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (const c of ['one', 'two', 'three']) await postMessage(room.room_id, alice.token, c);
    const sock = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
    const history = await sock.type('history');
    expect(sock.frames[0]!.type).toBe('history');
    expect(history.room_id).toBe(room.room_id);
    expect(history.timestamp).toMatch(ISO);
    expect(history.messages.map((m: Frame) => m.content)).toEqual(['one', 'two', 'three']);
    expect(history.messages.map((m: Frame) => m.seq)).toEqual([1, 2, 3]);
    for (const m of history.messages) {
      expect(m.username).toBe('alice');
      expect(typeof m.id).toBe('string');
      expect(m.timestamp).toMatch(ISO);
    }
    expect(history.users).toEqual(['alice']);
  });

  test('an empty room sends an empty history', async () => {
    const room = await createRoom(s.origin);
    const sock = await ws(`/rooms/${room.room_id}/ws`);
    const history = await sock.type('history');
    expect(history.messages).toEqual([]);
  });

  test('a guest is admitted to a passwordless room without a token, with ?username= or a generated name', async () => {
    const room = await createRoom(s.origin);
    const named = await ws(`/rooms/${room.room_id}/ws?username=Zed`);
    expect((await named.type('history')).users).toEqual(['Zed']);
    const anon = await ws(`/rooms/${room.room_id}/ws`);
    const history = await anon.type('history');
    expect(history.users).toHaveLength(2);
    const generated = history.users.find((u: string) => u !== 'Zed');
    expect(generated.length).toBeGreaterThan(0);
    const joined = await named.type('user_joined');
    expect(joined.username).toBe(generated);
    expect(joined.users.sort()).toEqual(['Zed', generated].sort());
    // display_name works like username
    const dn = await ws(`/rooms/${room.room_id}/ws?display_name=Dora`);
    expect((await dn.type('history')).users).toContain('Dora');
    // a guest can talk
    dn.send({ type: 'message', content: 'guest speaking' });
    const m = await named.type('message');
    expect(m.username).toBe('Dora');
    expect(m.content).toBe('guest speaking');
  });

  test('a guest taking a name already present is refused', async () => {
    const room = await createRoom(s.origin);
    await joinRoom(s.origin, room.room_id, 'alice');
    const code = await refused(`/rooms/${room.room_id}/ws?username=ALICE`);
    expect(code).toBeGreaterThanOrEqual(4000);
  });

  test('an invalid guest name → 4403', async () => {
    const room = await createRoom(s.origin);
    expect(await refused(`/rooms/${room.room_id}/ws?username=${'n'.repeat(33)}`)).toBe(4403);
    expect(await refused(`/rooms/${room.room_id}/ws?username=%20%20`)).toBe(4403);
  });

  test('password room without a token → 4401; with a join token → admitted', async () => {
    const room = await createRoom(s.origin, { password: 'pw' });
    expect(await refused(`/rooms/${room.room_id}/ws`)).toBe(4401);
    expect(await refused(`/rooms/${room.room_id}/ws?username=sneaky`)).toBe(4401);
    expect(await refused(`/rooms/${room.room_id}/ws?token=forged`)).toBe(4401);
    expect(await refused(`/rooms/${room.room_id}/ws?password=pw`)).toBe(4401);
    const alice = await joinRoom(s.origin, room.room_id, 'alice', 'pw');
    const sock = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
    expect((await sock.type('history')).users).toEqual(['alice']);
  });

  test('a token from another room is refused (4401)', async () => {
    const a = await createRoom(s.origin, { password: 'x' });
    const b = await createRoom(s.origin, { password: 'y' });
    const alice = await joinRoom(s.origin, a.room_id, 'alice', 'x');
    expect(await refused(`/rooms/${b.room_id}/ws?token=${alice.token}`)).toBe(4401);
  });

  test('unknown room → 4404', async () => {
    expect(await refused(`/rooms/AAAAAAAAAAAAAAAAAAAAA/ws`)).toBe(4404);
    expect(await refused(`/rooms/nope/ws`)).toBe(4404);
  });

  test('room full for a guest → 4409', async () => {
    const room = await createRoom(s.origin, { max_users: 2 });
    const a = await ws(`/rooms/${room.room_id}/ws?username=a`);
    const b = await ws(`/rooms/${room.room_id}/ws?username=b`);
    await a.type('history');
    await b.type('history');
    expect(await refused(`/rooms/${room.room_id}/ws?username=c`)).toBe(4409);
    expect(await refused(`/rooms/${room.room_id}/ws`)).toBe(4409);
    // and over HTTP too
    const res = await fetch(`${s.origin}/rooms/${room.room_id}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"c"}',
    });
    expect(res.status).toBe(409);
    // a guest seat frees up when the guest leaves
    b.close();
    await a.type('user_left');
    const c = await ws(`/rooms/${room.room_id}/ws?username=c`);
    expect((await c.type('history')).users.sort()).toEqual(['a', 'c']);
  });
});

describe('chatting', () => {
  test('every member gets each message with seq counting up by one, room_id and an ISO timestamp', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const a = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
    const b = await ws(`/rooms/${room.room_id}/ws?token=${bob.token}`);
    const g = await ws(`/rooms/${room.room_id}/ws?username=guest`);
    for (const sock of [a, b, g]) await sock.type('history');
    const before = Date.now();
    a.send({ type: 'message', content: 'hi from alice' });
    await b.next((f) => f.type === 'message' && f.content === 'hi from alice');
    b.send({ type: 'message', content: 'hi from bob' });
    await a.next((f) => f.type === 'message' && f.content === 'hi from bob');
    g.send({ type: 'message', content: 'hi from guest' });
    for (const sock of [a, b, g]) {
      await waitFor(() => messages(sock).length === 3, 5000, 'three messages');
      const got = messages(sock);
      expect(got.map((m) => m.content)).toEqual(['hi from alice', 'hi from bob', 'hi from guest']);
      expect(got.map((m) => m.username)).toEqual(['alice', 'bob', 'guest']);
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3]);
      for (const m of got) {
        expect(m.room_id).toBe(room.room_id);
        expect(m.timestamp).toMatch(ISO);
        expect(Date.parse(m.timestamp)).toBeGreaterThanOrEqual(before - 1000);
        expect(typeof m.id).toBe('string');
      }
      // the same message has the same id everywhere
      expect(got.map((m) => m.id)).toEqual(messages(a).map((m) => m.id));
    }
  });

  test('many messages from several senders: seq strictly consecutive, same order for everyone', async () => {
    const room = await createRoom(s.origin);
    const socks = await Promise.all(['p', 'q', 'r'].map((n) => ws(`/rooms/${room.room_id}/ws?username=${n}`)));
    for (const sock of socks) await sock.type('history');
    await waitFor(() => socks[0]!.of('user_joined').length >= 2, 5000, 'joins');
    for (let i = 0; i < 20; i++) for (const sock of socks) sock.send({ type: 'message', content: `m${i}` });
    for (const sock of socks) await waitFor(() => messages(sock).length === 60, 5000, '60 messages');
    const seqs = messages(socks[0]!).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const sock of socks) expect(messages(sock).map((m) => m.id)).toEqual(messages(socks[0]!).map((m) => m.id));
  });

  test('content is trimmed; control characters refused', async () => {
    const room = await createRoom(s.origin);
    const a = await ws(`/rooms/${room.room_id}/ws?username=a`);
    await a.type('history');
    a.send({ type: 'message', content: '   padded   ' });
    expect((await a.type('message')).content).toBe('padded');
    a.send({ type: 'message', content: 'bell\u0007' });
    expect((await a.type('error')).code).toBeString();
  });

  test('typing is relayed to the others', async () => {
    const room = await createRoom(s.origin);
    const a = await ws(`/rooms/${room.room_id}/ws?username=alice`);
    const b = await ws(`/rooms/${room.room_id}/ws?username=bob`);
    await a.type('history');
    await b.type('history');
    a.send({ type: 'typing' });
    const t = await b.type('typing');
    expect(t.username).toBe('alice');
    expect(t.room_id).toBe(room.room_id);
    expect(t.timestamp).toMatch(ISO);
  });

  test('user_joined and user_left carry the users list', async () => {
    const room = await createRoom(s.origin);
    const a = await ws(`/rooms/${room.room_id}/ws?username=alice`);
    await a.type('history');
    const b = await ws(`/rooms/${room.room_id}/ws?username=bob`);
    await b.type('history');
    const joined = await a.next((f) => f.type === 'user_joined' && f.username === 'bob');
    expect(joined.users).toEqual(['alice', 'bob']);
    expect(joined.room_id).toBe(room.room_id);
    expect(joined.timestamp).toMatch(ISO);
    // an API join shows up as well
    await joinRoom(s.origin, room.room_id, 'carol');
    const carol = await a.next((f) => f.type === 'user_joined' && f.username === 'carol');
    expect(carol.users).toEqual(['alice', 'bob', 'carol']);
    b.close();
    const left = await a.next((f) => f.type === 'user_left' && f.username === 'bob');
    expect(left.users).toEqual(['alice', 'carol']);
    expect(left.timestamp).toMatch(ISO);
  });

  test('bad frames get an error event, the connection stays open, nothing is broadcast', async () => {
    const room = await createRoom(s.origin);
    const a = await ws(`/rooms/${room.room_id}/ws?username=alice`);
    const b = await ws(`/rooms/${room.room_id}/ws?username=bob`);
    await a.type('history');
    await b.type('history');
    await a.next((f) => f.type === 'user_joined' && f.username === 'bob');
    const bFramesBefore = b.frames.length;
    const bad: Array<[string, () => void]> = [
      ['invalid JSON', () => a.send('{"type": "message", "content": ')],
      ['not an object', () => a.send('42')],
      ['unknown type', () => a.send({ type: 'shout', content: 'hey' })],
      ['missing type', () => a.send({ content: 'hey' })],
      ['missing content', () => a.send({ type: 'message' })],
      ['content not a string', () => a.send({ type: 'message', content: 7 })],
      ['blank content', () => a.send({ type: 'message', content: '   ' })],
      ['2001-char content', () => a.send({ type: 'message', content: 'x'.repeat(2001) })],
      ['binary frame', () => a.sendBinary(new TextEncoder().encode(JSON.stringify({ type: 'message', content: 'bin' })))],
    ];
    for (const [what, send] of bad) {
      const n = a.of('error').length;
      send();
      await waitFor(() => a.of('error').length === n + 1, 3000, `error for ${what}`);
      const err = a.of('error')[n]!;
      expect(typeof err.code).toBe('string');
      expect(typeof err.message).toBe('string');
      expect(err.room_id).toBe(room.room_id);
      expect(err.timestamp).toMatch(ISO);
      expect(a.closed).toBeNull();
    }
    a.send({ type: 'message', content: 'finally valid' });
    const m = await b.type('message');
    expect(m.content).toBe('finally valid');
    expect(m.seq).toBe(1);
    await a.type('message');
    // bob saw only the valid message: no errors, no messages for the bad frames
    expect(b.frames.slice(bFramesBefore).map((f) => f.type)).toEqual(['message']);
    expect(messages(a)).toHaveLength(1);
    expect(a.closed).toBeNull();
  });

  test('the 2000-char boundary: 2000 accepted', async () => {
    const room = await createRoom(s.origin);
    const a = await ws(`/rooms/${room.room_id}/ws?username=alice`);
    await a.type('history');
    a.send({ type: 'message', content: 'z'.repeat(2000) });
    expect((await a.type('message')).content).toHaveLength(2000);
    expect(a.of('error')).toEqual([]);
  });
});

describe('catch-up with ?since=', () => {
  test('delivers exactly the messages after seq, then the live stream', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (let i = 1; i <= 5; i++) await postMessage(room.room_id, alice.token, `m${i}`);
    const sock = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}&since=2`);
    const history = await sock.type('history');
    expect(history.messages.map((m: Frame) => m.seq)).toEqual([3, 4, 5]);
    await postMessage(room.room_id, alice.token, 'm6');
    const live = await sock.type('message');
    expect(live.seq).toBe(6);
    // up to date: nothing in history
    const fresh = await ws(`/rooms/${room.room_id}/ws?username=late&since=6`);
    expect((await fresh.type('history')).messages).toEqual([]);
    // since=0 is everything
    const all = await ws(`/rooms/${room.room_id}/ws?username=all&since=0`);
    expect((await all.type('history')).messages.map((m: Frame) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('no gap and no duplicate while messages keep arriving during the connect', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (let i = 1; i <= 10; i++) await postMessage(room.room_id, alice.token, `m${i}`);
    const total = 80;
    let posting = true;
    const poster = (async () => {
      for (let i = 11; i <= total; i++) await postMessage(room.room_id, alice.token, `m${i}`);
      posting = false;
    })();
    const results: Array<{ since: number; seqs: number[] }> = [];
    const live: number[] = [];
    const histEnd: number[] = [];
    const socks: Array<{ since: number; sock: TestSocket }> = [];
    // connect several sockets at different moments while posting is under way
    for (let k = 0; k < 5; k++) {
      const since = 5 + k;
      socks.push({ since, sock: await ws(`/rooms/${room.room_id}/ws?username=reader${k}&since=${since}`) });
      await Bun.sleep(5);
    }
    await poster;
    expect(posting).toBe(false);
    for (const { since, sock } of socks) {
      await waitFor(
        () => {
          const h = sock.of('history')[0];
          const seqs = [...(h?.messages ?? []).map((m: Frame) => m.seq), ...messages(sock).map((m) => m.seq)];
          return seqs.length > 0 && seqs[seqs.length - 1] === total;
        },
        5000,
        `reader since=${since} to catch up`,
      );
      const h = sock.of('history')[0]!;
      results.push({ since, seqs: [...h.messages.map((m: Frame) => m.seq), ...messages(sock).map((m) => m.seq)] });
      live.push(messages(sock).length);
      histEnd.push(h.messages.length ? h.messages[h.messages.length - 1].seq : since);
    }
    for (const { since, seqs } of results) {
      expect(seqs).toEqual(Array.from({ length: total - since }, (_, i) => since + 1 + i));
    }
    // the race was real: some reader connected while messages were being posted (history and live both used)
    expect(histEnd.some((seq, i) => seq > 10 && seq < total && live[i]! > 0)).toBe(true);
  });

  test('a non-numeric since is ignored (full recent history)', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    await postMessage(room.room_id, alice.token, 'only');
    const sock = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}&since=abc`);
    expect((await sock.type('history')).messages.map((m: Frame) => m.content)).toEqual(['only']);
  });
});

describe('room end', () => {
  test('destroy: room_destroyed then close 4410 for every socket (JSON and /live), then the room is gone', async () => {
    const room = await createRoom(s.origin);
    const member = await joinRoom(s.origin, room.room_id, 'browser');
    const a = await ws(`/rooms/${room.room_id}/ws?username=a`);
    const b = await ws(`/rooms/${room.room_id}/ws?username=b`);
    const live = await ws(`/rooms/${room.room_id}/live`, { Cookie: `mayfly_member=${member.token}` });
    await a.type('history');
    await b.type('history');
    const res = await fetch(`${s.origin}/rooms/${room.room_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${room.owner_token}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(204);
    for (const sock of [a, b]) {
      await sock.type('room_destroyed');
      expect((await sock.closedWith()).code).toBe(4410);
    }
    const ended = await live.next((f) => f.type === '__html' && f.html.includes('destroyed'));
    expect(ended.html).toContain('hx-target="#composer"');
    expect((await live.closedWith()).code).toBe(4410);
    expect(await refused(`/rooms/${room.room_id}/ws`)).toBe(4404);
  });

  test.skipIf(onTheClock())(
    'expiry (expiry_seconds 5): room_expired then close 4410, and GET → 404 afterwards',
    async () => {
      const room = await createRoom(s.origin, { expiry_seconds: 5 });
      const alice = await joinRoom(s.origin, room.room_id, 'alice');
      await postMessage(room.room_id, alice.token, 'soon gone');
      const a = await ws(`/rooms/${room.room_id}/ws?token=${alice.token}`);
      const g = await ws(`/rooms/${room.room_id}/ws?username=guest`);
      await a.type('history');
      await g.type('history');
      expect((await fetch(`${s.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } })).status).toBe(200);
      for (const sock of [a, g]) {
        const ev = await sock.type('room_expired', 9000);
        expect(ev.room_id).toBe(room.room_id);
        expect((await sock.closedWith(2000)).code).toBe(4410);
      }
      const expiredAt = Date.parse(room.expires_at);
      expect(Date.now()).toBeGreaterThanOrEqual(expiredAt - 100);
      const res = await fetch(`${s.origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(404);
      const hist = await fetch(`${s.origin}/rooms/${room.room_id}/messages`, { headers: { authorization: `Bearer ${alice.token}` } });
      expect(hist.status).toBe(404);
      // nothing of the room is left in storage
      expect(await s.deps.store.listRoomIds()).not.toContain(room.room_id);
      expect(await s.deps.store.identity(room.room_id, 'x')).toBeNull();
    },
    15_000,
  );
});

describe('browser (/live) and API (/ws) members share rooms', () => {
  test('a JSON-socket message reaches /live as an escaped HTML fragment, and a /live message reaches /ws as JSON', async () => {
    const room = await createRoom(s.origin);
    const browser = await joinRoom(s.origin, room.room_id, 'browser-user');
    const live = await ws(`/rooms/${room.room_id}/live`, { Cookie: `mayfly_member=${browser.token}` });
    const api = await ws(`/rooms/${room.room_id}/ws?username=api-user`);
    await api.type('history');
    // /live sends HTML: the API user's arrival shows up as a fragment
    await live.next((f) => f.type === '__html' && f.html.includes('api-user'), 5000, 'join fragment');

    const evil = '<script>alert("x")</script> & <b>bold</b>';
    api.send({ type: 'message', content: evil });
    const frag = await live.next(
      (f) => f.type === '__html' && f.html.includes('hx-partial') && f.html.includes('alert'),
      5000,
      'message fragment',
    );
    expect(frag.html).toStartWith('<hx-partial');
    expect(frag.html).toContain('&lt;script&gt;');
    expect(frag.html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(frag.html).toContain('&amp;');
    expect(frag.html).not.toContain('<script>');
    expect(frag.html).not.toContain('<b>bold');
    expect(frag.html).toContain('api-user');
    expect(frag.html).toContain('msg-1');

    // htmx's ws extension sends the form as JSON (with its own headers key)
    live.send({ type: 'message', content: 'from the browser <i>', headers: { 'HX-Request': 'true' } });
    const m = await api.next((f) => f.type === 'message' && f.username === 'browser-user');
    expect(m.content).toBe('from the browser <i>');
    expect(m.seq).toBe(2);
    expect(m.room_id).toBe(room.room_id);
    // the browser sees its own message too, escaped
    const own = await live.next((f) => f.type === '__html' && f.html.includes('from the browser'));
    expect(own.html).toContain('&lt;i&gt;');
    // /live never gets JSON
    expect(live.frames.every((f) => f.type === '__html')).toBe(true);
  });

  test('/live needs the member cookie (a guest may not use it) and catches up with ?since=', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    expect(await refused(`/rooms/${room.room_id}/live`)).toBe(4401);
    expect(await refused(`/rooms/${room.room_id}/live`, { Cookie: 'mayfly_member=forged' })).toBe(4401);
    for (let i = 1; i <= 3; i++) await postMessage(room.room_id, alice.token, `c${i}`);
    const live = await ws(`/rooms/${room.room_id}/live?since=1`, { Cookie: `mayfly_member=${alice.token}` });
    const catchUp = await live.next((f) => f.type === '__html' && f.html.includes('c3'));
    expect(catchUp.html).toContain('c2');
    expect(catchUp.html).not.toContain('>c1<');
  });
});

/** A raw upgrade request, to see the HTTP status of a refused handshake. */
function rawUpgrade(path: string, origin?: string): Promise<number> {
  const url = new URL(s.origin);
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(Number(url.port), url.hostname, () => {
      sock.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: ${url.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          ...(origin ? [`Origin: ${origin}`] : []),
          '',
          '',
        ].join('\r\n'),
      );
    });
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no response: ${buf}`));
    }, 3000);
    sock.on('data', (d) => {
      buf += d.toString();
      const m = buf.match(/^HTTP\/1\.1 (\d{3})/);
      if (m) {
        clearTimeout(timer);
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('Origin check on the upgrade', () => {
  test('a foreign Origin is refused with 403; same origin or no Origin is accepted', async () => {
    const room = await createRoom(s.origin);
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    for (const kind of ['ws', 'live']) {
      const path = `/rooms/${room.room_id}/${kind}?token=${alice.token}`;
      expect(await rawUpgrade(path, 'https://evil.example')).toBe(403);
      expect(await rawUpgrade(path, 'null')).toBe(403);
      expect(await rawUpgrade(path, s.origin.replace('127.0.0.1', 'localhost'))).toBe(403);
    }
    expect(await rawUpgrade(`/rooms/${room.room_id}/ws?username=same`, s.origin)).toBe(101);
    expect(await rawUpgrade(`/rooms/${room.room_id}/ws?username=none`)).toBe(101);

    // and through a real WebSocket client
    const foreign = new TestSocket(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=evil`, { Origin: 'https://evil.example' });
    open.push(foreign);
    await expect(foreign.opened).rejects.toThrow();
    const same = await ws(`/rooms/${room.room_id}/ws?username=friend`, { Origin: s.origin });
    expect((await same.type('history')).users).toContain('friend');
    const live = await ws(`/rooms/${room.room_id}/live`, { Origin: s.origin, Cookie: `mayfly_member=${alice.token}` });
    expect(live.closed).toBeNull();
  });
});
