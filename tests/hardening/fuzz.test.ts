// Fuzzing a running server: random frames and form bodies never crash it and never broadcast junk.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import fc from 'fast-check';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';

let server: TestServer;
let roomId: string;
let listener: TestSocket;
let fuzzer: TestSocket;

beforeAll(async () => {
  server = await startTestServer({ MESSAGE_RATE: '100000', MESSAGE_BURST: '10000' });
  roomId = (await createRoom(server.origin)).room_id;
  listener = await connect(`${server.wsOrigin}/rooms/${roomId}/ws?token=${(await joinRoom(server.origin, roomId, 'listener')).token}`);
  fuzzer = await connect(`${server.wsOrigin}/rooms/${roomId}/ws?token=${(await joinRoom(server.origin, roomId, 'fuzzer')).token}`);
  await listener.type('history');
  await fuzzer.type('history');
});
afterAll(async () => {
  listener.close();
  fuzzer.close();
  await server.stop();
});

const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Would the server accept this as a chat message? (the same rule as the schema) */
function valid(frame: unknown): boolean {
  if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return false;
  const f = frame as Record<string, unknown>;
  if (f.type !== 'message' || typeof f.content !== 'string') return false;
  const t = f.content.trim();
  return t.length >= 1 && t.length <= 2000 && !CONTROL.test(t);
}

test('random socket frames: every invalid one gets an error event, only valid ones are broadcast', async () => {
  const frameArb = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc.record(
      {
        type: fc.constantFrom('message', 'typing', 'chat', '', 'MESSAGE'),
        content: fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.integer(),
          fc.constant(null),
          fc.string({ minLength: 1990, maxLength: 2100 }),
          fc.constant('   '),
          fc.constant('ok \u0007 bell'),
          fc.constant('\u202Eevil'),
        ),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({ type: fc.constant('message'), content: fc.string({ minLength: 1, maxLength: 60 }) }),
  );
  const frames = fc.sample(frameArb, { numRuns: 400, seed: 4242 });
  let expectedBroadcasts = 0;
  let expectedErrors = 0;
  for (const f of frames) {
    const text = typeof f === 'string' ? f : JSON.stringify(f);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {}
    if (valid(parsed)) expectedBroadcasts++;
    else if (!(parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'typing')) expectedErrors++;
    fuzzer.send(text);
  }
  fuzzer.sendBinary(new Uint8Array([0, 1, 2, 255]));
  expectedErrors++;
  await waitFor(
    () => listener.of('message').length >= expectedBroadcasts && fuzzer.of('error').length >= expectedErrors,
    10000,
    'all answers',
  );
  await Bun.sleep(200);
  expect(listener.of('message').length).toBe(expectedBroadcasts);
  expect(fuzzer.of('error').length).toBe(expectedErrors);
  for (const m of listener.of('message')) {
    expect(typeof m.content).toBe('string');
    expect(m.content.length).toBeGreaterThan(0);
    expect(m.content.length).toBeLessThanOrEqual(2000);
    expect(CONTROL.test(m.content)).toBe(false);
  }
  // seq counted only the accepted messages: 1…n with no holes
  expect(listener.of('message').map((m) => m.seq)).toEqual(Array.from({ length: expectedBroadcasts }, (_, i) => i + 1));
  expect(fuzzer.closed).toBeNull();
  expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
});

test('random form and JSON bodies on every POST route: a 2xx/3xx/4xx answer, never a 5xx, never a crash', async () => {
  const member = await joinRoom(server.origin, roomId, 'poster');
  const paths = [
    '/rooms',
    `/rooms/${roomId}/join`,
    `/rooms/${roomId}/messages`,
    `/rooms/${roomId}/leave`,
    `/rooms/${roomId}/destroy`,
    '/register',
    '/login',
  ];
  const bodyArb = fc.dictionary(
    fc.constantFrom(
      'name',
      'owner_name',
      'username',
      'display_name',
      'password',
      'content',
      'expiry_seconds',
      'max_users',
      'idle_seconds',
      'x',
    ),
    fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
    ),
  );
  const samples = fc.sample(fc.tuple(fc.constantFrom(...paths), bodyArb, fc.constantFrom('json', 'form', 'garbage')), {
    numRuns: 150,
    seed: 7,
  });
  const before = listener.of('message').length;
  for (const [path, body, kind] of samples) {
    const headers: Record<string, string> = { origin: server.origin };
    let payload: string;
    if (kind === 'json') {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    } else if (kind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
    } else {
      headers['content-type'] = 'application/json';
      payload = '{"broken": ';
    }
    if (path.endsWith('/messages') && path.startsWith('/rooms/')) headers.authorization = `Bearer ${member.token}`;
    if (path.endsWith('/destroy') || path.endsWith('/leave')) headers.authorization = 'Bearer not-a-token';
    const res = await fetch(server.origin + path, { method: 'POST', headers, body: payload, redirect: 'manual' });
    expect(res.status).toBeLessThan(500);
  }
  // The room survived, and only valid contents were broadcast.
  const after = listener.of('message').slice(before);
  for (const m of after) expect(valid({ type: 'message', content: m.content })).toBe(true);
  expect((await fetch(`${server.origin}/rooms/${roomId}`, { headers: { accept: 'application/json' } })).status).toBe(200);
}, 60000);
