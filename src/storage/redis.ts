// Opens Redis for both storage (unstorage's redis driver) and fan-out (pub/sub), sharing one client.
import type Redis from 'ioredis';
import { createStorage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import type { Logger } from '../log.ts';
import { RedisBroker } from '../realtime/broker-redis.ts';
import { messageEvent, messageEventJsonWithoutSeq, withWireJson } from '../realtime/events.ts';
import { RedisRoomStore } from './redis-store.ts';

/** timeoutMs: the longest any command may take (Redis up but silent) before it fails. */
export async function openRedis(
  url: string,
  log: Logger,
  timeoutMs: number,
  hooks: { batched?: (size: number, seconds: number) => void } = {},
) {
  const driver = redisDriver({
    url,
    base: 'mayfly',
    // Fail fast while Redis is down (a clear error to the user) instead of queueing silently;
    // ioredis keeps reconnecting in the background and everything resumes when Redis is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
    // Redis up but silent (frozen, overloaded): every command fails after this, with a clear error.
    commandTimeout: timeoutMs,
    // Never send a command again after a reconnect: an append whose reply was lost may have been
    // saved, and sending it again would make a duplicate. The caller says "may not have been sent".
    autoResendUnfulfilledCommands: false,
    // Commands issued in the same tick go out as one write.
    enableAutoPipelining: true,
  } as Parameters<typeof redisDriver>[0]);
  const storage = createStorage({ driver });
  const redis = driver.getInstance!() as Redis;
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.warn('redis unavailable', { error: err.message });
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis available again');
    down = false;
  });
  await waitReady(redis, 5000).catch(() => log.warn('redis not reachable at start; retrying in the background'));
  // Messages are appended and published by one script (seq order everywhere, one round trip per
  // batch); a room that only this instance serves gets its messages straight from the reply.
  const broker = new RedisBroker(redis, log);
  const store = new RedisRoomStore(storage, redis, {
    event: (roomId, draft) => messageEventJsonWithoutSeq(roomId, draft),
    batched: hooks.batched,
    own: {
      instance: broker.instanceId,
      listening: (roomId) => broker.listening(roomId),
      deliver: (roomId, message, json) => broker.deliverOwn(roomId, withWireJson(messageEvent(roomId, message), json)),
    },
  });
  // SET NX: registering a name is atomic across instances (unstorage has no check-and-set).
  const claimKey = async (key: string, value: unknown) => (await redis.set(`mayfly:${key}`, JSON.stringify(value), 'NX')) === 'OK';
  return { store, broker, storage, claimKey, redis };
}

function waitReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    redis.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
