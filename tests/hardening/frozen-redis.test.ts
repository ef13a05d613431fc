// A frozen Redis (SIGSTOP: up, connected, silent) never hangs a request: bounded 503s, error events,
// /readyz 503, and everything resumes by itself once Redis answers; no message is ever duplicated.
import { afterAll, expect, test } from 'bun:test';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, joinRoom, startTestServer, type TestServer, waitFor } from '../helpers/server.ts';
import { createLogger } from '../../src/log.ts';
import { openRedis } from '../../src/storage/redis.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';

const TIMEOUT_MS = 1000;
let redis: TestRedis | undefined;
let server: TestServer | undefined;
const sockets: TestSocket[] = [];
afterAll(async () => {
  redis?.resume();
  for (const s of sockets) s.close();
  await server?.stop();
  await redis?.stop();
});

/** How long a call took, in ms, with its result. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, Math.round(performance.now() - t)];
}

test.skipIf(!need('redis-server'))(
  'Redis frozen mid-chat: requests answer 503 within the timeout, sockets get error events, /readyz says 503, all resumes after',
  async () => {
    redis = await startRedis();
    server = await startTestServer({ STORAGE_URL: redis.url, STORAGE_TIMEOUT_MS: String(TIMEOUT_MS) });
    const { origin, wsOrigin } = server;
    const browser = { origin }; // what a browser sends with a socket
    const room = await createRoom(origin);
    const alice = await joinRoom(origin, room.room_id, 'alice');
    const bob = await joinRoom(origin, room.room_id, 'bob');
    const a = await connect(`${wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`, browser);
    const b = await connect(`${wsOrigin}/rooms/${room.room_id}/ws?token=${bob.token}`, browser);
    sockets.push(a, b);
    await Promise.all([a.type('history'), b.type('history')]);
    a.send({ type: 'message', content: 'before the freeze' });
    await b.next((f) => f.type === 'message' && f.content === 'before the freeze');

    redis.pause();
    const timings: Record<string, number> = {};
    const bound = TIMEOUT_MS * 2 + 1500; // one storage call and its follow-up at most, plus slack

    const [page, pageMs] = await timed(() => fetch(`${origin}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } }));
    timings['GET room (JSON)'] = pageMs;
    expect(page.status).toBe(503);
    expect(((await page.json()) as any).error.code).toBe('storage_unavailable');
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);

    const [post, postMs] = await timed(() =>
      fetch(`${origin}/rooms/${room.room_id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ content: 'during the freeze (HTTP)' }),
      }),
    );
    timings['POST message'] = postMs;
    expect(post.status).toBe(503);
    const postBody = (await post.json()) as any;
    expect(postBody.error.code).toBe('storage_unavailable');
    expect(postBody.error.message).toContain('may not have been');

    const sentAt = performance.now();
    a.send({ type: 'message', content: 'during the freeze (socket)' });
    const err = await a.next((f) => f.type === 'error' && f.code === 'storage_unavailable', bound, 'an error event');
    timings['socket message → error event'] = Math.round(performance.now() - sentAt);
    expect(err.message).toContain('may not have been sent');

    const [ready, readyMs] = await timed(() => fetch(`${origin}/readyz`));
    timings['/readyz'] = readyMs;
    expect(ready.status).toBe(503);

    const [form, formMs] = await timed(() =>
      fetch(`${origin}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"x","password":"y"}',
      }),
    );
    timings['POST /login (accounts)'] = formMs;
    expect(form.status).toBe(503);

    for (const [what, ms] of Object.entries(timings)) expect(ms, what).toBeLessThan(bound);

    const resumedAt = performance.now();
    redis.resume();
    await waitFor(async () => (await fetch(`${origin}/readyz`)).status === 200, 10_000, 'readyz to recover');
    timings['/readyz back to 200 after SIGCONT'] = Math.round(performance.now() - resumedAt);
    a.send({ type: 'message', content: 'after the freeze' });
    await b.next((f) => f.type === 'message' && f.content === 'after the freeze', 5000, 'the chat to resume');
    timings['chat resumed after SIGCONT'] = Math.round(performance.now() - resumedAt);

    // Catch-up shows the truth: each message at most once, in seq order, nothing duplicated.
    const history = (await (
      await fetch(`${origin}/rooms/${room.room_id}/messages?limit=100`, { headers: { authorization: `Bearer ${bob.token}` } })
    ).json()) as any;
    const contents: string[] = history.messages.map((m: any) => m.content);
    for (const c of new Set(contents)) expect(contents.filter((x) => x === c).length, c).toBe(1);
    expect(contents[0]).toBe('before the freeze');
    expect(contents.at(-1)).toBe('after the freeze');
    const seqs: number[] = history.messages.map((m: any) => m.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    console.log(`frozen-redis timings (ms, STORAGE_TIMEOUT_MS=${TIMEOUT_MS}): ${JSON.stringify(timings)}`);
  },
  60_000,
);

test.skipIf(!need('redis-server'))(
  'an append sent while an earlier one is unanswered fails after its own timeout, not after the earlier one’s as well',
  async () => {
    const own = await startRedis();
    const { store } = await openRedis(own.url, createLogger('silent'), TIMEOUT_MS);
    try {
      const now = Date.now();
      const room = {
        id: 'gather-room',
        name: 'g',
        ownerName: 'ann',
        createdAt: now,
        expiresAt: now + 60_000,
        maxUsers: 20,
        idleSeconds: null,
        passwordHash: null,
        ownerTokenHash: null,
      };
      await store.createRoom(room);
      const draft = (content: string) => ({
        id: content,
        username: 'ann',
        memberId: 'm1',
        content,
        timestamp: new Date().toISOString(),
        verified: false,
      });
      expect((await store.appendMessage('gather-room', draft('before'), 200))?.seq).toBe(1);
      own.pause();
      const first = store.appendMessage('gather-room', draft('first'), 200).then(
        () => 'stored',
        (e: Error) => e.name,
      );
      await Bun.sleep(50); // the first is on its way, unanswered
      const sentAt = performance.now();
      const later = await Promise.all(
        ['second', 'third'].map((c) =>
          store.appendMessage('gather-room', draft(c), 200).then(
            () => 'stored',
            (e: Error) => e.name,
          ),
        ),
      );
      const waited = performance.now() - sentAt;
      expect(await first).toBe('StorageTimeoutError');
      expect(later).toEqual(['StorageTimeoutError', 'StorageTimeoutError']);
      // Sent at once (not held until the first is answered): their own timeout, not the first's as well.
      expect(waited).toBeLessThan(TIMEOUT_MS + 700);
      expect(waited).toBeGreaterThan(TIMEOUT_MS - 100);
    } finally {
      own.resume();
      await store.close();
      await own.stop();
    }
  },
  30_000,
);
