// GET /metrics: Prometheus text that moves with traffic, holds no room ids, names or content, and
// can be switched off or put behind a token.
import { afterEach, describe, expect, test } from 'bun:test';
import { startRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';
import { connect } from '../helpers/ws.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env);
  servers.push(s);
  return s;
}

/** The value of one sample (`name{labels}`), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const scrape = async (origin: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${origin}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
};

describe('/metrics', () => {
  test('counters move with traffic; no room id, name or content appears', async () => {
    const s = await server();
    const before = await scrape(s.origin);
    expect(before).toContain('process_cpu_seconds_total');
    expect(before).toContain('process_resident_memory_bytes');
    expect(sample(before, 'mayfly_messages_accepted_total')).toBe(0);

    const room = await createRoom(s.origin, { name: 'Secret planning room' });
    const alice = await joinRoom(s.origin, room.room_id, 'alice-metrics');
    const a = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?token=${alice.token}`, { origin: s.origin });
    const b = await connect(`${s.wsOrigin}/rooms/${room.room_id}/ws?username=bob-metrics`, { origin: s.origin });
    await Promise.all([a.type('history'), b.type('history')]);
    for (let i = 0; i < 3; i++) a.send({ type: 'message', content: `very private words ${i}` });
    await b.next((f) => f.type === 'message' && f.content === 'very private words 2');
    expect((await fetch(`${s.origin}/rooms/AAAAAAAAAAAAAAAAAAAAA`, { headers: { accept: 'application/json' } })).status).toBe(404);
    a.send('not json');
    await a.type('error');

    const after = await scrape(s.origin);
    expect(sample(after, 'mayfly_messages_accepted_total')).toBe(3);
    // 3 messages to 2 sockets, plus bob's arrival to alice
    expect(sample(after, 'mayfly_deliveries_total{kind="ws"}')).toBeGreaterThanOrEqual(6);
    expect(sample(after, 'mayfly_sockets{kind="ws"}')).toBe(2);
    expect(sample(after, 'mayfly_sockets{kind="live"}')).toBe(0);
    expect(sample(after, 'mayfly_members_connected')).toBe(2);
    expect(sample(after, 'mayfly_rooms_open')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'mayfly_refusals_total{code="not_found"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'mayfly_refusals_total{code="invalid_json"}')).toBe(1);
    // memory mode: no storage call leaves the process, so none is timed
    expect(sample(after, 'mayfly_storage_call_seconds_count{op="appendMessage"}')).toBe(0);
    for (const secret of [room.room_id, 'Secret planning', 'alice-metrics', 'bob-metrics', 'private words', alice.token]) {
      expect(after).not.toContain(secret);
    }
    a.close();
    b.close();
  });

  test('METRICS=off answers 404; METRICS_TOKEN asks for the token', async () => {
    const off = await server({ METRICS: 'off' });
    expect((await fetch(`${off.origin}/metrics`)).status).toBe(404);
    const token = 'a-long-scrape-token-1234';
    const locked = await server({ METRICS_TOKEN: token });
    const refused = await fetch(`${locked.origin}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${locked.origin}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect(await scrape(locked.origin, { authorization: `Bearer ${token}` })).toContain('mayfly_rooms_open');
  });

  test.skipIf(!need('redis-server'))('Redis mode reports the append batch sizes', async () => {
    const redis = await startRedis();
    try {
      const s = await server({ STORAGE_URL: redis.url });
      const room = await createRoom(s.origin);
      const alice = await joinRoom(s.origin, room.room_id, 'alice');
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${s.origin}/rooms/${room.room_id}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
          body: JSON.stringify({ content: `m${i}` }),
        });
        expect(res.status).toBe(201);
      }
      const text = await scrape(s.origin);
      expect(sample(text, 'mayfly_redis_append_batch_size_count')).toBe(3);
      expect(sample(text, 'mayfly_redis_append_batch_size_sum')).toBe(3);
      // Redis calls are timed; appends per script call (batch), not per message
      expect(sample(text, 'mayfly_storage_call_seconds_count{op="appendBatch"}')).toBe(3);
      expect(sample(text, 'mayfly_storage_call_seconds_count{op="getRoom"}')).toBeGreaterThan(0);
      expect(sample(text, 'mayfly_storage_call_seconds_count{op="appendMessage"}')).toBe(0);
    } finally {
      await Promise.all(servers.splice(0).map((s) => s.stop()));
      await redis.stop();
    }
  });
});
