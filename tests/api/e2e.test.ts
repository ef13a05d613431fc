// End-to-end encrypted rooms over real HTTP and sockets: an e2e room's name and every message must be an
// envelope (e2e1.<nonce>.<ciphertext>, src/e2e/envelope.ts), which the server checks for shape and size
// and then keeps and relays unchanged; plain text is refused. Rooms without e2e behave as before.
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { loadConfig } from '../../src/config.ts';
import { decrypt, encrypt, envelopeMaxLength, importRoomKey, isEnvelope, newRoomKey } from '../../src/e2e/envelope.ts';
import { createRoom, joinRoom, startTestServer, type TestServer, waitFor } from '../helpers/server.ts';
import { type Frame, TestSocket } from '../helpers/ws.ts';

// argon2id and real sockets are slow on a loaded machine; every wait below is still bounded.
setDefaultTimeout(20_000);

let s: TestServer;
const open: TestSocket[] = [];

beforeAll(async () => {
  // A generous message rate: these tests send bursts on purpose (limits.test.ts covers the limit).
  s = await startTestServer({ MESSAGE_RATE: '1000', MESSAGE_BURST: '1000' });
});
afterEach(() => {
  for (const sock of open.splice(0)) if (!sock.closed) sock.close();
});
afterAll(async () => {
  await s?.stop();
});

const MUST_ENCRYPT_MESSAGE = 'must be encrypted in the browser: this room is end-to-end encrypted (e2e1.<nonce>.<ciphertext>)';
const MUST_ENCRYPT_NAME = 'must be encrypted in the browser: end-to-end encrypted rooms need JavaScript';
const NONCE = 'AAAAAAAAAAAAAAAA'; // 16 base64url characters: 12 bytes
const CIPHER = 'B'.repeat(23); // the shortest ciphertext: 1 byte and the 16-byte tag

type Key = { text: string; crypto: CryptoKey };
async function roomKey(): Promise<Key> {
  const text = newRoomKey();
  return { text, crypto: await importRoomKey(text) };
}

/** Creates an e2e room through the JSON API, its name sealed with a new key. */
async function createE2eRoom(plainName = 'Secret plans') {
  const key = await roomKey();
  const name = await encrypt(key.crypto, plainName);
  const res = await fetch(`${s.origin}/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, owner_name: 'owner', e2e: true }),
  });
  expect(res.status).toBe(201);
  const room = (await res.json()) as Record<string, any>;
  return { id: room.room_id as string, room, key, name };
}

function postJson(path: string, body: unknown) {
  return fetch(`${s.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A message posted through the JSON API. */
function postMessage(roomId: string, token: string, content: string) {
  return fetch(`${s.origin}/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ content }),
  });
}

/** A browser form post from this site (same Origin), redirects not followed. */
async function form(path: string, fields: Record<string, string>, cookie?: string) {
  const res = await fetch(`${s.origin}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      origin: s.origin,
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { res, status: res.status, html: await res.text() };
}

async function page(path: string, cookie?: string) {
  const res = await fetch(`${s.origin}${path}`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
  return { res, status: res.status, html: await res.text() };
}

async function history(roomId: string, token: string): Promise<Frame[]> {
  const res = await fetch(`${s.origin}/rooms/${roomId}/messages?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: Frame[] }).messages;
}

async function roomJson(roomId: string) {
  const res = await fetch(`${s.origin}/rooms/${roomId}`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

/** An API client's socket (/ws with its token; API clients send no Origin). */
async function wsOf(roomId: string, token: string): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}/rooms/${roomId}/ws?token=${token}`);
  open.push(sock);
  await sock.opened;
  await sock.type('history');
  return sock;
}

/** A browser page's socket (/live with the member cookie and this site's Origin, as a browser sends them). */
async function liveOf(roomId: string, token: string, query = ''): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}/rooms/${roomId}/live${query}`, { Cookie: `mayfly_member=${token}`, Origin: s.origin });
  open.push(sock);
  await sock.opened;
  return sock;
}

/** A frame as htmx's ws extension sends it from the composer (the form's values and its headers). */
const liveFrame = (content: string) => ({
  type: 'message',
  content,
  headers: { 'HX-Request': 'true', 'HX-Trigger': 'composer', 'HX-Target': 'composer', 'HX-Current-URL': `${s.origin}/rooms/x` },
});

const htmlFrames = (sock: TestSocket) => sock.frames.filter((f) => f.type === '__html').map((f) => String(f.html));

/** The first /live fragment that holds `text`. */
async function liveWith(sock: TestSocket, text: string): Promise<string> {
  const f = await sock.next(
    (x) => x.type === '__html' && String(x.html).includes(text),
    5000,
    `a /live fragment with ${text.slice(0, 40)}`,
  );
  return String(f.html);
}

/** The n-th (1-based) error fragment a /live socket got. */
async function liveError(sock: TestSocket, n: number): Promise<string> {
  const errors = () => htmlFrames(sock).filter((h) => h.includes('chat-error'));
  await waitFor(() => errors().length >= n, 5000, `/live error fragment ${n}`);
  return errors()[n - 1]!;
}

/** The n-th (1-based) error frame a /ws socket got. */
async function wsError(sock: TestSocket, n: number): Promise<Frame> {
  await waitFor(() => sock.of('error').length >= n, 5000, `/ws error frame ${n}`);
  return sock.of('error')[n - 1]!;
}

/** A room with two members (alice on /ws, bob on /live) and a watcher (carol on /ws). */
async function e2eRoomWithMembers() {
  const r = await createE2eRoom();
  const alice = await joinRoom(s.origin, r.id, 'alice');
  const bob = await joinRoom(s.origin, r.id, 'bob');
  const carol = await joinRoom(s.origin, r.id, 'carol');
  const aliceWs = await wsOf(r.id, alice.token);
  const bobLive = await liveOf(r.id, bob.token);
  const carolWs = await wsOf(r.id, carol.token);
  return { ...r, alice, bob, carol, aliceWs, bobLive, carolWs };
}

/** Malformed envelopes: each is refused in an e2e room, over HTTP and over sockets. */
async function malformed(key: CryptoKey): Promise<[string, string][]> {
  const good = await encrypt(key, 'a real message');
  const [, nonce, cipher] = good.split('.') as [string, string, string];
  const fake8045 = `e2e1.${NONCE}.${'C'.repeat(envelopeMaxLength(2000) - 22 + 1)}`;
  const real2001 = await encrypt(key, '€'.repeat(2001));
  return [
    ['a nonce of 15 characters', `e2e1.${nonce.slice(1)}.${cipher}`],
    ['a nonce of 17 characters', `e2e1.${nonce}A.${cipher}`],
    ['standard base64 (+) in the ciphertext', `e2e1.${nonce}.${cipher.slice(0, -1)}+`],
    ['standard base64 (/) in the nonce', `e2e1.${nonce.slice(0, -1)}/.${cipher}`],
    ['base64 padding', `e2e1.${nonce}.${cipher}==`],
    ['a space inside', `e2e1.${nonce}.${cipher.slice(0, 10)} ${cipher.slice(10)}`],
    ['a non-ASCII letter', `e2e1.${nonce}.${cipher.slice(0, -1)}é`],
    ['no ciphertext', `e2e1.${nonce}`],
    ['an empty ciphertext', `e2e1.${nonce}.`],
    ['no nonce', `e2e1..${cipher}`],
    ['no version', `${nonce}.${cipher}`],
    ['another version', `e2e2.${nonce}.${cipher}`],
    ['an upper-case version', `E2E1.${nonce}.${cipher}`],
    ['a fourth part', `${good}.AAAA`],
    ['a ciphertext shorter than one byte and the tag', `e2e1.${NONCE}.${CIPHER.slice(1)}`],
    ['one character over envelopeMaxLength(2000)', fake8045],
    ['the sealed text of 2001 three-byte characters', real2001],
  ];
}

describe('creating an encrypted room', () => {
  test('e2e: true with an envelope name → 201, room JSON e2e true and name = the envelope (which the key opens)', async () => {
    const r = await createE2eRoom('Our secret: café ☕');
    expect(r.room.e2e).toBe(true);
    expect(r.room.name).toBe(r.name);
    expect(await decrypt(r.key.crypto, r.room.name)).toBe('Our secret: café ☕');
    const shown = await roomJson(r.id);
    expect(shown.e2e).toBe(true);
    expect(shown.name).toBe(r.name);
    // A room without e2e says so.
    const plain = await createRoom(s.origin, { name: 'Plain room' });
    const plainShown = await roomJson(plain.room_id);
    expect(plainShown.e2e).toBe(false);
    expect(plainShown.name).toBe('Plain room');
    const explicit = await postJson('/rooms', { name: 'Plain too', owner_name: 'o', e2e: false });
    expect(explicit.status).toBe(201);
    expect(((await explicit.json()) as any).e2e).toBe(false);
  });

  test('a plain name with e2e → 400 validation_failed, fields.name says it must be encrypted', async () => {
    for (const name of ['Secret plans', 'e2e1.not-an-envelope', `e2e1.${NONCE.slice(1)}.${CIPHER}`]) {
      const res = await postJson('/rooms', { name, owner_name: 'owner', e2e: true });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.fields.name).toBe(MUST_ENCRYPT_NAME);
    }
    // e2e is a JSON boolean
    const res = await postJson('/rooms', { name: await encrypt((await roomKey()).crypto, 'x'), owner_name: 'owner', e2e: 'yes' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.fields.e2e).toBeDefined();
  });

  test('a plain e2e name is named alongside the other offending fields (and a bad plain name as before)', async () => {
    const res = await postJson('/rooms', { name: 'Secret plans', owner_name: 'owner', e2e: true, max_users: 1 });
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as any).error.fields;
    expect(fields).toEqual({ name: MUST_ENCRYPT_NAME, max_users: expect.any(String) });
    const plain = await postJson('/rooms', { name: '', owner_name: 'owner', max_users: 1 });
    expect(Object.keys(((await plain.json()) as any).error.fields).sort()).toEqual(['max_users', 'name']);
  });

  test('the longest legal name envelope (80 three-byte characters) → 201; one over the limit → 400', async () => {
    const key = await roomKey();
    const longest = await encrypt(key.crypto, '€'.repeat(80));
    expect(longest.length).toBe(envelopeMaxLength(80));
    const ok = await postJson('/rooms', { name: longest, owner_name: 'owner', e2e: true });
    expect(ok.status).toBe(201);
    const room = (await ok.json()) as any;
    expect(room.name).toBe(longest);
    expect(await decrypt(key.crypto, room.name)).toBe('€'.repeat(80));

    const tooLong = [await encrypt(key.crypto, '€'.repeat(81)), `e2e1.${NONCE}.${'C'.repeat(envelopeMaxLength(80) - 22 + 1)}`];
    for (const name of tooLong) {
      expect(name.length).toBeGreaterThan(envelopeMaxLength(80));
      const res = await postJson('/rooms', { name, owner_name: 'owner', e2e: true });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.fields.name).toBeDefined();
    }
  });

  test('form: e2e=on with a plain name is refused (400 page with the reason, no room, no cookie); with an envelope → 303 to an e2e room', async () => {
    const refused = await form('/rooms', { name: 'Plain but e2e', owner_name: 'Fiona', e2e: 'on' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(MUST_ENCRYPT_NAME);
    expect(refused.res.headers.get('location')).toBeNull();
    expect(refused.res.headers.getSetCookie().some((c) => c.startsWith('mayfly_member='))).toBe(false);

    const key = await roomKey();
    const name = await encrypt(key.crypto, 'Form secret');
    const made = await form('/rooms', { name, owner_name: 'Fiona', e2e: 'on', expiry_seconds: '600', max_users: '20' });
    expect(made.status).toBe(303);
    const id = made.res.headers.get('location')!.match(/^\/rooms\/([A-Za-z0-9_-]{21})$/)![1]!;
    const shown = await roomJson(id);
    expect(shown.e2e).toBe(true);
    expect(shown.name).toBe(name);

    // Without the checkbox: a plain room, as before.
    const plain = await form('/rooms', { name: 'Plain form room', owner_name: 'Fiona' });
    expect(plain.status).toBe(303);
    const plainId = plain.res.headers.get('location')!.match(/^\/rooms\/([A-Za-z0-9_-]{21})$/)![1]!;
    expect((await roomJson(plainId)).e2e).toBe(false);
  });
});

describe('messages in an encrypted room', () => {
  test('an envelope over JSON → 201 and relayed unchanged to /ws and /live; history and GET /messages return it; the key opens it', async () => {
    const r = await e2eRoomWithMembers();
    const text = 'Meet at 7, Grüße 🌍';
    const envelope = await encrypt(r.key.crypto, text);
    const res = await postMessage(r.id, r.alice.token, envelope);
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).content).toBe(envelope);

    const got = await r.carolWs.next((f) => f.type === 'message' && f.content === envelope, 5000, 'the envelope on /ws');
    expect(got.username).toBe('alice');
    expect(await decrypt(r.key.crypto, got.content)).toBe(text);
    const html = await liveWith(r.bobLive, envelope);
    expect(html).toContain(`data-e2e="${envelope}"`);
    expect(html).not.toContain('Grüße');

    expect((await history(r.id, r.bob.token)).map((m) => m.content)).toEqual([envelope]);
    const late = await wsOf(r.id, r.carol.token);
    expect(late.of('history')[0]!.messages.map((m: Frame) => m.content)).toEqual([envelope]);
    // A wrong key cannot open it.
    expect(await decrypt((await roomKey()).crypto, envelope)).toBeNull();
  });

  test('an envelope over a form post → 303 to #latest, stored and relayed unchanged', async () => {
    const r = await e2eRoomWithMembers();
    const envelope = await encrypt(r.key.crypto, 'sent from a form');
    const post = await form(`/rooms/${r.id}/messages`, { content: envelope }, `mayfly_member=${r.bob.token}`);
    expect(post.status).toBe(303);
    expect(post.res.headers.get('location')).toBe(`/rooms/${r.id}#latest`);
    const got = await r.aliceWs.next((f) => f.type === 'message' && f.content === envelope, 5000, 'the envelope on /ws');
    expect(got.username).toBe('bob');
    expect((await history(r.id, r.alice.token)).map((m) => m.content)).toEqual([envelope]);
    expect(await decrypt(r.key.crypto, got.content)).toBe('sent from a form');
  });

  test('an envelope over /ws is relayed unchanged to /ws (the sender too) and /live, and kept', async () => {
    const r = await e2eRoomWithMembers();
    const envelope = await encrypt(r.key.crypto, 'över /ws — 안녕');
    r.aliceWs.send({ type: 'message', content: envelope });
    const echo = await r.aliceWs.next((f) => f.type === 'message', 5000, 'the echo');
    expect(echo.content).toBe(envelope);
    const got = await r.carolWs.next((f) => f.type === 'message', 5000, 'the message on /ws');
    expect(got.content).toBe(envelope);
    expect(await decrypt(r.key.crypto, got.content)).toBe('över /ws — 안녕');
    expect(await liveWith(r.bobLive, envelope)).toContain(`data-e2e="${envelope}"`);
    expect(r.aliceWs.of('error')).toEqual([]);
    expect((await history(r.id, r.alice.token)).map((m) => m.content)).toEqual([envelope]);
  });

  test('an envelope over /live (as htmx sends it) is relayed unchanged to /ws and kept', async () => {
    const r = await e2eRoomWithMembers();
    const envelope = await encrypt(r.key.crypto, 'from the page');
    r.bobLive.send(liveFrame(envelope));
    const got = await r.aliceWs.next((f) => f.type === 'message', 5000, 'the message on /ws');
    expect(got.content).toBe(envelope);
    expect(got.username).toBe('bob');
    expect(await decrypt(r.key.crypto, got.content)).toBe('from the page');
    // the sender's page gets it back as a fragment carrying the envelope
    expect(await liveWith(r.bobLive, envelope)).toContain(`data-e2e="${envelope}"`);
    expect(htmlFrames(r.bobLive).some((h) => h.includes('chat-error'))).toBe(false);
    expect((await history(r.id, r.bob.token)).map((m) => m.content)).toEqual([envelope]);
  });

  test('plain text is refused everywhere: JSON 400, form 303 with the reason, /ws invalid_frame, /live refused; nothing kept or relayed', async () => {
    const r = await e2eRoomWithMembers();
    const plain = 'this is plain text';

    const res = await postMessage(r.id, r.alice.token, plain);
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.fields.content).toBe(MUST_ENCRYPT_MESSAGE);

    const post = await form(`/rooms/${r.id}/messages`, { content: plain }, `mayfly_member=${r.bob.token}`);
    expect(post.status).toBe(303);
    const flash = post.res.headers.getSetCookie().find((c) => c.startsWith('mayfly_flash='));
    expect(flash).toBeDefined();
    const shown = await page(`/rooms/${r.id}`, `mayfly_member=${r.bob.token}; ${flash!.split(';')[0]}`);
    expect(shown.status).toBe(400);
    expect(shown.html).toContain(MUST_ENCRYPT_MESSAGE.replace('<nonce>', '&lt;nonce&gt;').replace('<ciphertext>', '&lt;ciphertext&gt;'));

    r.aliceWs.send({ type: 'message', content: plain });
    const err = await wsError(r.aliceWs, 1);
    expect(err.code).toBe('invalid_frame');
    expect(err.message).toContain(MUST_ENCRYPT_MESSAGE);

    r.bobLive.send(liveFrame(plain));
    const html = await liveError(r.bobLive, 1);
    expect(html).toContain('data-refused');

    // A real message afterwards arrives first: nothing plain went out before it.
    const envelope = await encrypt(r.key.crypto, 'after the refusals');
    expect((await postMessage(r.id, r.alice.token, envelope)).status).toBe(201);
    await r.carolWs.next((f) => f.type === 'message', 5000, 'the envelope');
    expect(r.carolWs.of('message').map((m) => m.content)).toEqual([envelope]);
    expect(r.aliceWs.of('message').map((m) => m.content)).toEqual([envelope]);
    await liveWith(r.bobLive, envelope);
    expect(htmlFrames(r.bobLive).some((h) => h.includes(plain))).toBe(false);
    expect((await history(r.id, r.alice.token)).map((m) => m.content)).toEqual([envelope]);
  });

  test('malformed envelopes (nonce length, characters, missing parts, too long) are refused over JSON, form, /ws and /live', async () => {
    const r = await e2eRoomWithMembers();
    const cases = await malformed(r.key.crypto);
    let wsErrors = 0;
    let liveErrors = 0;
    for (const [what, content] of cases) {
      const res = await postMessage(r.id, r.alice.token, content);
      const body = (await res.json()) as any;
      expect({ what, status: res.status, code: body.error?.code }).toEqual({ what, status: 400, code: 'validation_failed' });
      expect(body.error.fields.content).toBeDefined();

      const post = await form(`/rooms/${r.id}/messages`, { content }, `mayfly_member=${r.bob.token}`);
      expect({ what, status: post.status, flash: post.res.headers.getSetCookie().some((c) => c.startsWith('mayfly_flash=')) }).toEqual({
        what,
        status: 303,
        flash: true,
      });

      r.aliceWs.send({ type: 'message', content });
      const err = await wsError(r.aliceWs, ++wsErrors);
      expect({ what, code: err.code }).toEqual({ what, code: 'invalid_frame' });

      r.bobLive.send(liveFrame(content));
      expect(await liveError(r.bobLive, ++liveErrors)).toContain('data-refused');
    }
    expect(await history(r.id, r.alice.token)).toEqual([]);
    expect(r.carolWs.of('message')).toEqual([]);
  });

  test('an envelope with whitespace around it is refused over /ws as it is over HTTP (not trimmed into one)', async () => {
    const r = await e2eRoomWithMembers();
    const envelope = await encrypt(r.key.crypto, 'padded');
    for (const content of [` ${envelope}`, `${envelope}\n`, `\u00a0${envelope}\u00a0`]) {
      const res = await postMessage(r.id, r.alice.token, content);
      expect(res.status).toBe(400);
    }
    // Over /ws each frame is answered either way: an error frame (refused) or the message itself (taken).
    const outcomes: string[] = [];
    for (const content of [` ${envelope}`, `${envelope}\n`, `\u00a0${envelope}\u00a0`]) {
      const before = r.aliceWs.of('error').length + r.aliceWs.of('message').length;
      r.aliceWs.send({ type: 'message', content });
      await waitFor(() => r.aliceWs.of('error').length + r.aliceWs.of('message').length > before, 5000, 'an answer to the frame');
      const last = r.aliceWs.frames.filter((f) => f.type === 'error' || f.type === 'message').at(-1)!;
      outcomes.push(
        `${JSON.stringify(content.slice(0, 3))}: ${last.type === 'error' ? last.code : `accepted as ${last.content === envelope ? 'the trimmed envelope' : 'something else'}`}`,
      );
    }
    expect(outcomes).toEqual(['" e2": invalid_frame', '"e2e": invalid_frame', '"\u00a0e2": invalid_frame']);
    expect(await history(r.id, r.alice.token)).toEqual([]);
  });

  test('the longest legal envelope (2000 three-byte characters) is accepted over JSON, form, /ws and /live, and opens again', async () => {
    const r = await e2eRoomWithMembers();
    const limit = envelopeMaxLength(2000);
    const texts = ['€', 'ह', '語', '한'].map((c) => c.repeat(2000));
    const envelopes = await Promise.all(texts.map((t) => encrypt(r.key.crypto, t)));
    for (const e of envelopes) {
      expect(e.length).toBe(limit);
      expect(isEnvelope(e, 2000)).toBe(true);
    }
    // The default MAX_FRAME_BYTES lets such a frame through a socket (htmx adds its headers on /live).
    const defaults = loadConfig({});
    expect(Buffer.byteLength(JSON.stringify(liveFrame(envelopes[3]!)))).toBeLessThan(defaults.MAX_FRAME_BYTES);

    expect((await postMessage(r.id, r.alice.token, envelopes[0]!)).status).toBe(201);
    expect((await form(`/rooms/${r.id}/messages`, { content: envelopes[1]! }, `mayfly_member=${r.bob.token}`)).status).toBe(303);
    r.aliceWs.send({ type: 'message', content: envelopes[2]! });
    r.bobLive.send(liveFrame(envelopes[3]!));

    await waitFor(() => r.carolWs.of('message').length >= 4, 5000, 'four messages on /ws');
    const got = r.carolWs.of('message').map((m) => m.content as string);
    expect(new Set(got)).toEqual(new Set(envelopes));
    expect(r.aliceWs.of('error')).toEqual([]);
    expect(htmlFrames(r.bobLive).some((h) => h.includes('chat-error'))).toBe(false);
    expect(r.aliceWs.closed).toBeNull();
    expect(r.bobLive.closed).toBeNull();
    const kept = (await history(r.id, r.alice.token)).map((m) => m.content as string);
    expect(new Set(kept)).toEqual(new Set(envelopes));
    const opened = await Promise.all(kept.map((e) => decrypt(r.key.crypto, e)));
    expect(new Set(opened)).toEqual(new Set(texts));
  });
});

describe('rooms without e2e behave as before', () => {
  test('plain text is accepted; an envelope-looking string is plain text too (plain limits, no data-e2e)', async () => {
    const room = await createRoom(s.origin, { name: 'Plain room' });
    const alice = await joinRoom(s.origin, room.room_id, 'alice');
    const bob = await joinRoom(s.origin, room.room_id, 'bob');
    const aliceWs = await wsOf(room.room_id, alice.token);
    const bobLive = await liveOf(room.room_id, bob.token);
    const key = await roomKey();
    const lookalike = await encrypt(key.crypto, 'looks sealed');

    expect((await postMessage(room.room_id, alice.token, 'hello plain world')).status).toBe(201);
    const res = await postMessage(room.room_id, alice.token, lookalike);
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).content).toBe(lookalike);
    aliceWs.send({ type: 'message', content: 'plain over /ws' });
    bobLive.send(liveFrame('plain over /live'));
    await waitFor(() => aliceWs.of('message').length >= 4, 5000, 'four messages');
    expect(aliceWs.of('message').map((m) => m.content)).toEqual(['hello plain world', lookalike, 'plain over /ws', 'plain over /live']);
    expect(aliceWs.of('error')).toEqual([]);

    // On the page it is text, not an envelope to open.
    const html = await liveWith(bobLive, 'hello plain world');
    expect(html).not.toContain('data-e2e');
    const lookHtml = await liveWith(bobLive, lookalike);
    expect(lookHtml).not.toContain('data-e2e');
    expect(lookHtml).not.toContain('Encrypted message');

    // The plain limits apply: the longest legal envelope is far over 2000 characters.
    const long = await encrypt(key.crypto, '€'.repeat(2000));
    const tooLong = await postMessage(room.room_id, alice.token, long);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as any).error.fields.content).toBe('must be at most 2000 characters');
    expect((await history(room.room_id, alice.token)).map((m) => m.content)).toEqual([
      'hello plain world',
      lookalike,
      'plain over /ws',
      'plain over /live',
    ]);
    // An envelope-looking room name is a plain name when e2e is off.
    const named = await postJson('/rooms', { name: await encrypt(key.crypto, 'n'), owner_name: 'o' });
    expect(named.status).toBe(201);
    expect(((await named.json()) as any).e2e).toBe(false);
  });
});

describe('pages of an encrypted room', () => {
  test('/live fragments and the catch-up carry the envelope in data-e2e and no plain text', async () => {
    const r = await e2eRoomWithMembers();
    const texts = ['first secret', 'second secret <b>bold</b> & more'];
    const envelopes: string[] = [];
    for (const t of texts) {
      const e = await encrypt(r.key.crypto, t);
      envelopes.push(e);
      expect((await postMessage(r.id, r.alice.token, e)).status).toBe(201);
    }
    for (const e of envelopes) {
      const html = await liveWith(r.bobLive, e);
      expect(html).toMatch(
        new RegExp(`<p class="body" dir="auto" data-e2e="${e.replaceAll('.', '\\.').replaceAll('-', '\\-')}">Encrypted message</p>`),
      );
      for (const t of texts) expect(html).not.toContain(t);
    }
    // A page that (re)connects gets the messages it lacks, sealed the same way.
    const again = await liveOf(r.id, r.bob.token, '?since=0');
    const catchUp = await again.next((f) => f.type === '__html' && String(f.html).includes(envelopes[1]!), 5000, 'the catch-up');
    for (const e of envelopes) expect(String(catchUp.html)).toContain(`data-e2e="${e}"`);
    expect(String(catchUp.html)).not.toContain('secret');

    // The room page itself: the name and messages sealed, the tab's title says only that it is encrypted.
    const shown = await page(`/rooms/${r.id}`, `mayfly_member=${r.bob.token}`);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain(`data-e2e="${r.name}"`);
    for (const e of envelopes) expect(shown.html).toContain(`data-e2e="${e}"`);
    expect(shown.html).not.toContain('secret');
    expect(shown.html).not.toContain('Secret plans');
    expect(shown.html).toMatch(/<title>[^<]*Encrypted room[^<]*<\/title>/);
    expect(shown.html).not.toMatch(/<title>[^<]*e2e1\./);
    expect(shown.html).toMatch(/<script src="\/static\/e2e\.js" integrity="sha384-[A-Za-z0-9+/=]+"/);
  });
});
