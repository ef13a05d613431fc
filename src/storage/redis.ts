// Opens Redis for both storage (unstorage's redis driver) and fan-out (pub/sub), sharing one client:
// a plain client for redis:// and rediss://, an ioredis Cluster for redis-cluster:// and rediss-cluster://.
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { createStorage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import type { Logger } from '../log.ts';
import { RedisBroker } from '../realtime/broker-redis.ts';
import { messageEvent, messageEventJsonWithoutSeq, withWireJson } from '../realtime/events.ts';
import { type RedisClient, RedisRoomStore } from './redis-store.ts';

/** True for the Redis Cluster forms of STORAGE_URL. */
export const isClusterUrl = (url: string) => /^rediss?-cluster:\/\//.test(url);

/**
 * redis-cluster://[user:password@]host:port,host:port,… (rediss-cluster:// for TLS): the seed nodes
 * (any of the cluster's nodes; ioredis learns the rest) and the credentials every node shares.
 */
export function parseClusterUrl(url: string): {
  nodes: Array<{ host: string; port: number }>;
  tls: boolean;
  username?: string;
  password?: string;
} {
  const m = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m) throw new Error(`not a redis-cluster:// URL: ${url}`);
  let username: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    username = decodeURIComponent(colon < 0 ? m[2] : m[2].slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(m[2].slice(colon + 1)) || undefined;
  }
  const nodes = m[3]!.split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    const host = at < 0 ? hostPort : hostPort.slice(0, at).replace(/^\[|\]$/g, '');
    const port = at < 0 ? 6379 : Number(hostPort.slice(at + 1));
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad node in STORAGE_URL: ${hostPort}`);
    return { host, port };
  });
  return { nodes, tls: m[1] === 'rediss', username, password };
}

/** How mayfly's connections to Redis behave (each node's, on a Cluster); timeoutMs: see openRedis. */
export const connectionOptions = (timeoutMs: number) =>
  ({
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
    // Except the message append: the store batches appends itself, and auto-pipelining lets one
    // pipeline be on its way at a time, so a batch would wait for the one before to be answered.
    autoPipeliningIgnoredCommands: ['mayflyAppendBatchKeyed'],
  }) satisfies RedisOptions;

/** timeoutMs: the longest any command may take (Redis up but silent) before it fails. */
export async function openRedis(
  url: string,
  log: Logger,
  timeoutMs: number,
  hooks: { batched?: (size: number, seconds: number) => void } = {},
) {
  const connection = connectionOptions(timeoutMs);
  let options: Parameters<typeof redisDriver>[0];
  if (isClusterUrl(url)) {
    const { nodes, tls, username, password } = parseClusterUrl(url);
    const { enableOfflineQueue, enableAutoPipelining: _pipelining, retryStrategy, ...perNode } = connection;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue,
      // Not on a Cluster: ioredis 5.11's auto-pipelining mixes script calls of different slots into
      // one pipeline and fails them ("All keys in the pipeline should belong to the same slots
      // allocation group"). Appends are batched per slot by the store itself.
      enableAutoPipelining: false,
      clusterRetryStrategy: retryStrategy,
      scaleReads: 'master',
      // After a failover: how soon a command that met a failed master tries again (the new master
      // is learnt from the slots, asked again at most every slotsRefreshInterval).
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      slotsRefreshInterval: 2000,
      redisOptions: { ...perNode, username, password, ...(tls ? { tls: {} } : {}) },
    };
    options = { cluster: nodes, clusterOptions, base: 'mayfly' } as Parameters<typeof redisDriver>[0];
  } else {
    options = { url, base: 'mayfly', ...connection } as Parameters<typeof redisDriver>[0];
  }
  const driver = redisDriver(options);
  const storage = createStorage({ driver });
  const redis = driver.getInstance!() as RedisClient;
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
    // On a Cluster every message is published (see RedisBroker.confirm).
    own: isClusterUrl(url)
      ? undefined
      : {
          instance: broker.instanceId,
          listening: (roomId) => broker.listening(roomId),
          deliver: (roomId, message, json) => broker.deliverOwn(roomId, withWireJson(messageEvent(roomId, message), json)),
        },
  });
  // SET NX: registering a name is atomic across instances (unstorage has no check-and-set).
  const claimKey = async (key: string, value: unknown) => (await redis.set(`mayfly:${key}`, JSON.stringify(value), 'NX')) === 'OK';
  return { store, broker, storage, claimKey, redis };
}

function waitReady(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    redis.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
