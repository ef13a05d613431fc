// The server never holds or logs the plain text of an end-to-end encrypted room. For each backend
// (memory, SQLite, Redis) a server with LOG_LEVEL=debug hosts an e2e room where two members chat with
// distinctive texts sent only as envelopes (over /ws, /live, JSON and form posts), and also try plain
// text, which is refused. Then everything the backend holds (the memory store's Map, the SQLite file and
// its WAL as raw bytes, every Redis key's value) and every log line is searched: none of the plain texts
// or the room's plain name is there, in UTF-8, UTF-16 or JSON-escaped form, while the envelopes are
// (so the test notices when nothing was stored at all).
import { afterAll, describe, expect, setDefaultTimeout, spyOn, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { loadConfig } from '../../src/config.ts';
import { decrypt, encrypt, importRoomKey, newRoomKey } from '../../src/e2e/envelope.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server.ts';
import { startRedis } from '../helpers/redis.ts';
import { joinRoom, spawnServer, waitFor } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(45_000);

const dir = mkdtempSync(join(tmpdir(), 'mayfly-e2e-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Words found nowhere else: each run's own, so an earlier run's leftovers cannot hide or fake a result. */
const tag = () => Math.random().toString(36).slice(2, 8);

type Plain = { name: string; sent: string[]; refused: string[]; needles: string[] };

function plaintexts(): Plain {
  const marker = `zebrafinch${tag()}`;
  const nameMarker = `quokkaname${tag()}`;
  const refusedMarker = `platypusrefused${tag()}`;
  const sent = [
    `${marker} over the socket: Grüße aus Köln, café crème`,
    `${marker} from the page: 東京タワーで会いましょう`,
    `${marker} by the API: Привет, как дела? 🦋`,
    `${marker} by a form: שלום עולם`,
  ];
  const refused = [
    `${refusedMarker} plain over JSON`,
    `${refusedMarker} plain over /ws`,
    `${refusedMarker} plain over /live`,
    `${refusedMarker} plain by form`,
  ];
  const name = `${nameMarker} Überraschungsparty für Zoë 秘密`;
  // What must not appear: the markers alone, every whole text, and the non-ASCII runs on their own.
  const needles = [
    marker,
    nameMarker,
    refusedMarker,
    name,
    ...sent,
    ...refused,
    'Grüße aus Köln',
    '東京タワーで会いましょう',
    'Привет, как дела?',
    'שלום עולם',
    'Überraschungsparty für Zoë',
    '秘密',
  ];
  return { name, sent, refused, needles };
}

/** Every form a text could take in stored bytes: UTF-8, UTF-16LE, and JSON with \u escapes (either case). */
function forms(text: string): Buffer[] {
  const escaped = JSON.stringify(text)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [...new Set([text, escaped, escaped.toUpperCase().replace(/\\U/g, '\\u')])]
    .map((t) => Buffer.from(t, 'utf8'))
    .concat([Buffer.from(text, 'utf16le')]);
}

/** The needles found in any of the haystacks. */
function found(haystacks: Buffer[], needles: string[]): string[] {
  return needles.filter((n) => forms(n).some((f) => haystacks.some((h) => h.includes(f))));
}

type Origins = { origin: string; wsOrigin: string };

/**
 * An e2e room, two members (alice on /ws, bob on /live) who send only envelopes, each way of sending
 * once; then each tries plain text, which must be refused. Returns every envelope the room should hold.
 */
async function chat(s: Origins, plain: Plain): Promise<string[]> {
  const keyText = newRoomKey();
  const key = await importRoomKey(keyText);
  const nameEnvelope = await encrypt(key, plain.name);
  const created = await fetch(`${s.origin}/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: nameEnvelope, owner_name: 'owner', e2e: true }),
  });
  expect(created.status).toBe(201);
  const room = (await created.json()) as { room_id: string; e2e: boolean; name: string };
  expect(room.e2e).toBe(true);
  const id = room.room_id;
  const alice = await joinRoom(s.origin, id, 'alice');
  const bob = await joinRoom(s.origin, id, 'bob');
  const sockets: TestSocket[] = [];
  try {
    const aliceWs = new TestSocket(`${s.wsOrigin}/rooms/${id}/ws?token=${alice.token}`);
    sockets.push(aliceWs);
    await aliceWs.opened;
    await aliceWs.type('history');
    const bobLive = new TestSocket(`${s.wsOrigin}/rooms/${id}/live`, { Cookie: `mayfly_member=${bob.token}`, Origin: s.origin });
    sockets.push(bobLive);
    await bobLive.opened;

    const envelopes = await Promise.all(plain.sent.map((t) => encrypt(key, t)));
    const [viaWs, viaLive, viaApi, viaForm] = envelopes as [string, string, string, string];
    aliceWs.send({ type: 'message', content: viaWs });
    await aliceWs.next((f) => f.type === 'message' && f.content === viaWs, 5000, 'the /ws message');
    bobLive.send({ type: 'message', content: viaLive, headers: { 'HX-Request': 'true' } });
    await aliceWs.next((f) => f.type === 'message' && f.content === viaLive, 5000, 'the /live message');
    const api = await fetch(`${s.origin}/rooms/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ content: viaApi }),
    });
    expect(api.status).toBe(201);
    const formPost = await fetch(`${s.origin}/rooms/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.origin, cookie: `mayfly_member=${bob.token}` },
      body: new URLSearchParams({ content: viaForm }).toString(),
      redirect: 'manual',
    });
    expect(formPost.status).toBe(303);
    await aliceWs.next((f) => f.type === 'message' && f.content === viaForm, 5000, 'the form message');

    // Plain text: refused every way, so it must not be kept either.
    const [pJson, pWs, pLive, pForm] = plain.refused as [string, string, string, string];
    const refusedJson = await fetch(`${s.origin}/rooms/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ content: pJson }),
    });
    expect(refusedJson.status).toBe(400);
    aliceWs.send({ type: 'message', content: pWs });
    await aliceWs.type('error');
    bobLive.send({ type: 'message', content: pLive, headers: { 'HX-Request': 'true' } });
    await bobLive.next((f) => f.type === '__html' && String(f.html).includes('data-refused'), 5000, 'the /live refusal');
    const refusedForm = await fetch(`${s.origin}/rooms/${id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: s.origin, cookie: `mayfly_member=${bob.token}` },
      body: new URLSearchParams({ content: pForm }).toString(),
      redirect: 'manual',
    });
    expect(refusedForm.status).toBe(303);

    // What the room holds: exactly the four envelopes, which the key opens again.
    const res = await fetch(`${s.origin}/rooms/${id}/messages`, { headers: { authorization: `Bearer ${bob.token}` } });
    const kept = ((await res.json()) as { messages: { content: string }[] }).messages.map((m) => m.content);
    expect(kept).toEqual(envelopes);
    expect(await Promise.all(kept.map((e) => decrypt(key, e)))).toEqual(plain.sent);
    return [nameEnvelope, ...envelopes];
  } finally {
    for (const sock of sockets) sock.close();
  }
}

/** Asserts what a backend holds and what was logged: no plain text, every envelope kept, logs captured. */
function check(what: string, held: Buffer[], logs: string, plain: Plain, envelopes: string[]) {
  expect({ what, leaked: found(held, plain.needles) }).toEqual({ what, leaked: [] });
  expect({ what, missing: envelopes.filter((e) => !held.some((h) => h.includes(Buffer.from(e)))) }).toEqual({ what, missing: [] });
  // The logs were captured (debug request lines) and hold neither plain text nor the sealed content.
  expect(logs).toContain('"msg":"request"');
  expect(logs).toContain('"level":"debug"');
  const logBytes = [Buffer.from(logs)];
  expect({ what: `${what} logs`, leaked: found(logBytes, plain.needles) }).toEqual({ what: `${what} logs`, leaked: [] });
  expect({ what: `${what} logs`, envelopes: envelopes.filter((e) => logs.includes(e)) }).toEqual({ what: `${what} logs`, envelopes: [] });
}

/** Every string and byte array reachable from a value (Maps, Sets, arrays, objects, typed arrays), as bytes. */
function reachableBytes(root: unknown): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown) => {
    if (typeof v === 'string') return void out.push(Buffer.from(v, 'utf8'));
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) return void out.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    if (v instanceof ArrayBuffer) return void out.push(Buffer.from(v));
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
      return;
    }
    if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    for (const k of Reflect.ownKeys(v)) {
      if (typeof k === 'string') visit(k);
      visit((v as Record<PropertyKey, unknown>)[k]);
    }
  };
  visit(root);
  return out;
}

describe('an e2e room keeps no plain text at rest nor in logs', () => {
  test('memory: the store’s Map and the debug logs', async () => {
    const plain = plaintexts();
    const lines: string[] = [];
    // Anything written outside the logger (console) is captured as well.
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    );
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', RATE_LIMIT_EXEMPT: '127.0.0.1' });
    const running = await startServer(
      config,
      createLogger('debug', (line) => lines.push(line)),
    );
    try {
      const origin = `http://127.0.0.1:${running.server.port}`;
      const envelopes = await chat({ origin, wsOrigin: origin.replace('http', 'ws') }, plain);
      expect(running.deps.store.kind).toBe('memory');
      const map = (running.deps.store as unknown as { map: Map<string, unknown> }).map;
      expect(map).toBeInstanceOf(Map);
      check('memory', reachableBytes(map), lines.join('\n'), plain, envelopes);
    } finally {
      await running.stop();
      for (const spy of spies) spy.mockRestore();
    }
  });

  test('SQLite: the raw bytes of the database file and its WAL, and the debug logs', async () => {
    const plain = plaintexts();
    const file = join(dir, `rest-${tag()}.db`);
    const s = await spawnServer({ STORAGE_URL: `sqlite:${file}`, LOG_LEVEL: 'debug' });
    const stdout = new Response(s.proc.stdout as ReadableStream).text();
    const stderr = new Response(s.proc.stderr as ReadableStream).text();
    let stopped = false;
    try {
      const envelopes = await chat(s, plain);
      const files = () => [file, `${file}-wal`, `${file}-shm`].filter(existsSync).map((f) => readFileSync(f));
      // While it runs (recent writes sit in the WAL) …
      await waitFor(() => envelopes.every((e) => files().some((b) => b.includes(Buffer.from(e)))), 5000, 'the envelopes on disk');
      expect(existsSync(`${file}-wal`)).toBe(true);
      const running = files();
      // … and after a clean stop (the WAL is copied into the database file).
      expect(await s.stop()).toBe(0);
      stopped = true;
      const logs = `${await stdout}\n${await stderr}`;
      check('SQLite (running)', running, logs, plain, envelopes);
      check('SQLite (stopped)', files(), logs, plain, envelopes);
    } finally {
      if (!stopped) await s.stop('SIGKILL');
    }
  });

  test('Redis: every key’s value, and the debug logs', async () => {
    const plain = plaintexts();
    const redis = await startRedis();
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
    let s: Awaited<ReturnType<typeof spawnServer>> | null = null;
    try {
      await probe.connect();
      s = await spawnServer({ STORAGE_URL: redis.url, LOG_LEVEL: 'debug' });
      const stdout = new Response(s.proc.stdout as ReadableStream).text();
      const stderr = new Response(s.proc.stderr as ReadableStream).text();
      const envelopes = await chat(s, plain);

      const held: Buffer[] = [];
      const types = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await probe.scanBuffer(cursor, 'COUNT', 1000);
        cursor = String(next);
        for (const key of keys) {
          held.push(key);
          const type = await probe.type(key);
          types.add(type);
          if (type === 'string') held.push((await probe.getBuffer(key))!);
          else if (type === 'hash') for (const [f, v] of Object.entries(await probe.hgetallBuffer(key))) held.push(Buffer.from(f), v);
          else if (type === 'list') held.push(...(await probe.lrangeBuffer(key, 0, -1)));
          else if (type === 'set') held.push(...(await probe.smembersBuffer(key)));
          else if (type === 'zset') held.push(...(await probe.zrangeBuffer(key, 0, -1)));
          else if (type === 'stream') held.push(Buffer.from(JSON.stringify(await probe.xrange(key, '-', '+'))));
          else throw new Error(`a key of type ${type} this test cannot read: ${key}`);
        }
      } while (cursor !== '0');
      expect(held.length).toBeGreaterThan(0);

      expect(await s.stop()).toBe(0);
      s = null;
      const logs = `${await stdout}\n${await stderr}`;
      check(`Redis (key types: ${[...types].sort().join(', ')})`, held, logs, plain, envelopes);
    } finally {
      if (s) await s.stop('SIGKILL');
      probe.disconnect();
      await redis.stop();
    }
  });
});
