// Redis mode's message path: a room only this instance serves gets its messages from the append
// script's reply, with no PUBLISH; once another instance listens (in the room's listeners set) they
// are published, and the order holds throughout. Under overload, refused messages are counted to their senders, not lost silently.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { connect, type TestSocket } from '../helpers/ws.ts';
import { createLogger } from '../../src/log.ts';
import { RedisBroker } from '../../src/realtime/broker-redis.ts';
import { MAX_APPENDING } from '../../src/storage/redis-store.ts';
import { BUSY_NOTICE_MS } from '../../src/web/sockets.ts';
import { messageEvent } from '../../src/realtime/events.ts';

const hasRedis = need('redis-server');

describe.skipIf(!hasRedis)('Redis mode message path', () => {
  let redis: TestRedis;
  let probe: Redis;
  let server: TestServer;

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url);
    // Redis is frozen longer than the default storage timeout here: this file is about admission, not timeouts.
    server = await startTestServer({ STORAGE_URL: redis.url, MESSAGE_RATE: '10000', MESSAGE_BURST: '10000', STORAGE_TIMEOUT_MS: '30000' });
  });
  afterAll(async () => {
    await server.stop();
    probe.disconnect();
    await redis.stop();
  });

  /** How many PUBLISH commands Redis has run (those inside scripts included). */
  const publishes = async () => Number(/cmdstat_publish:calls=(\d+)/.exec(await probe.info('commandstats'))?.[1] ?? 0);

  test('published only while another instance listens; seq order and content kept either way', async () => {
    const room = await createRoom(server.origin);
    const ann = await joinRoom(server.origin, room.room_id, 'ann');
    const bob = await joinRoom(server.origin, room.room_id, 'bob');
    const sa = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${ann.token}`);
    const sb = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${bob.token}`);
    await Promise.all([sa.type('history'), sb.type('history')]);

    const send = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) (i % 2 ? sa : sb).send({ type: 'message', content: `m${i}` });
      await waitFor(() => sa.of('message').length >= to && sb.of('message').length >= to, 5000, `${to} messages on both sockets`);
    };

    // Alone: no PUBLISH at all. The room's state names this instance as its only listener.
    const state = `mayfly:room:{${room.room_id}}:state`;
    const me = (server.deps.broker as RedisBroker).instanceId;
    expect(await probe.hget(state, 'listeners')).toBe(me);
    let before = await publishes();
    await send(1, 10);
    expect((await publishes()) - before).toBe(0);

    // Another instance (its broker, on a connection of its own) listens: every message is published, once.
    const otherConn = new Redis(redis.url);
    const other = new RedisBroker(otherConn, createLogger('silent'));
    const heard: number[] = [];
    other.onEvent((_room, e) => void (e.type === 'message' && heard.push(e.seq)));
    await other.subscribe(room.room_id);
    before = await publishes();
    expect((await probe.hget(state, 'listeners'))?.split(',')).toEqual([me, other.instanceId]);
    await send(11, 20);
    await waitFor(() => heard.length === 10, 5000, 'the other instance hears 10 messages');
    expect((await publishes()) - before).toBe(10);
    expect(heard).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));

    // Alone again.
    await other.unsubscribe(room.room_id);
    await other.close();
    otherConn.disconnect();
    before = await publishes();
    await send(21, 30);
    expect((await publishes()) - before).toBe(0);

    const expected = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const s of [sa, sb]) {
      expect(s.of('message').map((m) => m.seq)).toEqual(expected);
      expect(s.of('message').map((m) => m.content)).toEqual(sa.of('message').map((m) => m.content));
      expect(new Set(s.of('message').map((m) => m.content))).toEqual(new Set(expected.map((i) => `m${i}`)));
    }
    expect(await probe.hget(state, 'listeners')).toBe(me); // the other instance left
    // History holds the same events.
    const history = await fetch(`${server.origin}/rooms/${room.room_id}/messages?limit=100`, {
      headers: { authorization: `Bearer ${ann.token}` },
    });
    expect(((await history.json()) as { messages: Array<{ seq: number }> }).messages.map((m) => m.seq)).toEqual(expected);
    sa.close();
    sb.close();
  });

  test('history is trimmed in steps: Redis holds at most a quarter more than the limit, readers get exactly the newest', async () => {
    const small = await startTestServer({ STORAGE_URL: redis.url, HISTORY_LIMIT: '8', MESSAGE_RATE: '10000', MESSAGE_BURST: '10000' });
    try {
      const room = await createRoom(small.origin);
      const ann = await joinRoom(small.origin, room.room_id, 'ann');
      const sa = await connect(`${small.wsOrigin}/rooms/${room.room_id}/ws?token=${ann.token}`);
      await sa.type('history');
      const msgs = `mayfly:room:{${room.room_id}}:msgs`;
      const lengths: number[] = [];
      for (let i = 1; i <= 23; i++) {
        sa.send({ type: 'message', content: `m${i}` });
        await waitFor(() => sa.of('message').length >= i, 5000, `message ${i}`);
        lengths.push(await probe.llen(msgs));
      }
      // Limit 8, slack 2: the list grows to 10, then is cut back to 8 (not trimmed on every message).
      expect(Math.max(...lengths)).toBe(10);
      expect(lengths.slice(7, 12)).toEqual([8, 9, 10, 8, 9]);
      const newest = Array.from({ length: 8 }, (_, i) => `m${16 + i}`);
      const res = await fetch(`${small.origin}/rooms/${room.room_id}/messages?limit=100`, {
        headers: { authorization: `Bearer ${ann.token}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { messages: Array<{ content: string }> };
      expect(body.messages.map((m) => m.content)).toEqual(newest);
      // offset counts from the oldest kept message, not from the untrimmed list.
      const page = (await (
        await fetch(`${small.origin}/rooms/${room.room_id}/messages?offset=2&limit=3`, {
          headers: { authorization: `Bearer ${ann.token}` },
        })
      ).json()) as typeof body;
      expect(page.messages.map((m) => m.content)).toEqual(newest.slice(2, 5));
      // A fresh socket's catch-up is the same newest eight.
      const sb = await connect(`${small.wsOrigin}/rooms/${room.room_id}/ws?token=${ann.token}`);
      const history = (await sb.type('history')) as unknown as { messages: Array<{ content: string }> };
      expect(history.messages.map((m) => m.content)).toEqual(newest);
      sa.close();
      sb.close();
    } finally {
      await small.stop();
    }
  });

  test('a message that overtakes an earlier one waits for it, briefly, then goes out anyway', async () => {
    const pub = new Redis(redis.url);
    const broker = new RedisBroker(pub, createLogger('silent'));
    const seen: number[] = [];
    broker.onEvent((_room, e) => void (e.type === 'message' && seen.push(e.seq)));
    await broker.subscribe('r1');
    const own = (seq: number) =>
      broker.deliverOwn(
        'r1',
        messageEvent('r1', {
          seq,
          id: `i${seq}`,
          username: 'ann',
          memberId: 'm',
          content: 'x',
          timestamp: new Date().toISOString(),
          verified: false,
        }),
      );
    own(1);
    own(3); // 2 is still on its way
    expect(seen).toEqual([1]);
    own(2);
    expect(seen).toEqual([1, 2, 3]);
    own(6); // 4 and 5 never come
    own(5);
    expect(seen).toEqual([1, 2, 3]);
    await waitFor(() => seen.length === 5, 1000, 'held messages released');
    expect(seen).toEqual([1, 2, 3, 5, 6]);
    own(4); // late: delivered rather than lost
    own(7);
    expect(seen).toEqual([1, 2, 3, 5, 6, 4, 7]);
    await broker.close();
    pub.disconnect();
  });

  test('overload: past the messages waiting for Redis, the rest are refused and their senders told how many', async () => {
    const room = await createRoom(server.origin, { max_users: 10 });
    const extra = 50; // beyond what may wait for Redis
    const total = MAX_APPENDING + extra;
    // Several senders: each member's rate limit allows a burst of MESSAGE_BURST (10,000).
    const senders = Math.ceil(total / 9000);
    const sockets: TestSocket[] = [];
    for (let i = 0; i < senders; i++) {
      const m = await joinRoom(server.origin, room.room_id, `m${i}`);
      const s = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${m.token}`);
      await s.type('history');
      sockets.push(s);
    }
    redis.pause();
    try {
      for (let i = 0; i < total; i++) sockets[i % senders]!.send({ type: 'message', content: `m${i}` });
      const refused = () =>
        sockets
          .flatMap((s) => s.of('error'))
          .filter((e) => e.code === 'storage_busy')
          .reduce((n, e) => n + (/(\d+) of your messages/.exec(e.message) ? Number(RegExp.$1) : 1), 0);
      // The first refusal is told at once, the rest together a little later: few frames, every one counted.
      await waitFor(() => refused() === extra, BUSY_NOTICE_MS + 5000, `${extra} refusals reported`);
      expect(sockets.flatMap((s) => s.of('error')).length).toBeLessThanOrEqual(2 * senders);
    } finally {
      redis.resume();
    }
    const s = sockets[0]!;
    await waitFor(() => s.of('message').length === MAX_APPENDING, 15000, 'the admitted messages delivered');
    expect(s.of('message').map((m) => m.seq)).toEqual(Array.from({ length: MAX_APPENDING }, (_, i) => i + 1));
    for (const s of sockets) s.close();
  });
});
