// The Broker contract, run against the memory loopback, Redis pub/sub and a Redis Cluster's sharded pub/sub.
import { afterAll, describe, expect, test } from 'bun:test';
import Redis, { Cluster } from 'ioredis';
import { createLogger } from '../../src/log.ts';
import type { Broker } from '../../src/realtime/broker.ts';
import { MemoryBroker } from '../../src/realtime/broker-memory.ts';
import { RedisBroker } from '../../src/realtime/broker-redis.ts';
import { endEvent, typingEvent, type BrokerEvent } from '../../src/realtime/events.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { need } from '../helpers/requirements.ts';
import { waitFor } from '../helpers/server.ts';

let redis: TestRedis | null = null;
let redisCluster: TestRedisCluster | null = null;
const clients: Array<Redis | Cluster> = [];
const hasRedis = need('redis-server');

type Make = () => Promise<[Broker, Broker]>;
const kinds: Array<[string, Make]> = [
  [
    'memory',
    async () => {
      const b = new MemoryBroker();
      return [b, b];
    },
  ],
];
if (hasRedis) {
  kinds.push([
    'redis',
    async () => {
      redis ??= await startRedis();
      const a = new Redis(redis.url);
      const b = new Redis(redis.url);
      clients.push(a, b);
      return [new RedisBroker(a, createLogger('silent')), new RedisBroker(b, createLogger('silent'))];
    },
  ]);
  kinds.push([
    'redis-cluster',
    async () => {
      redisCluster ??= await startRedisCluster();
      const seeds = redisCluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
      const a = new Cluster(seeds);
      const b = new Cluster(seeds);
      clients.push(a, b);
      return [new RedisBroker(a, createLogger('silent')), new RedisBroker(b, createLogger('silent'))];
    },
  ]);
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
  await redisCluster?.stop();
});

for (const [name, make] of kinds) {
  describe(`Broker contract: ${name}`, () => {
    test('a subscribed instance gets every event of the room once, in order; others rooms stay apart', async () => {
      const [a, b] = await make();
      const got: Array<[string, BrokerEvent]> = [];
      b.onEvent((roomId, e) => got.push([roomId, e]));
      await b.subscribe('room-1');
      for (let i = 0; i < 50; i++) await a.publish('room-1', typingEvent('room-1', `u${i}`, 'm'));
      await a.publish('room-2', typingEvent('room-2', 'other', 'm'));
      await waitFor(() => got.length >= 50, 3000, '50 events');
      await Bun.sleep(50);
      expect(got.length).toBe(50);
      expect(got.every(([r]) => r === 'room-1')).toBe(true);
      expect(got.map(([, e]) => (e as { username: string }).username)).toEqual(Array.from({ length: 50 }, (_, i) => `u${i}`));
      await a.close();
      if (a !== b) await b.close();
    });

    test('after unsubscribe nothing more arrives', async () => {
      const [a, b] = await make();
      const got: BrokerEvent[] = [];
      b.onEvent((_, e) => got.push(e));
      await b.subscribe('room-3');
      await a.publish('room-3', endEvent('room-3', 'room_expired'));
      await waitFor(() => got.length === 1, 3000, 'first event');
      await b.unsubscribe('room-3');
      await a.publish('room-3', endEvent('room-3', 'room_destroyed'));
      await Bun.sleep(100);
      expect(got.map((e) => e.type)).toEqual(['room_expired']);
      await a.close();
      if (a !== b) await b.close();
    });
  });
}
