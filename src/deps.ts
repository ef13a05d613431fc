// The one place that picks implementations: storage and broker by STORAGE_URL, wired into hub and service.
import { createStorage, type Storage } from 'unstorage';
import { AccountService } from './accounts/service.ts';
import { AccountStore, localClaim, type ClaimKey } from './storage/account-store.ts';
import memoryDriver from 'unstorage/drivers/memory';
import type { Config } from './config.ts';
import { DisposableSessions } from './dialects/disposable-sessions.ts';
import { disposableCloseCode, renderDisposable } from './dialects/disposable-wire.ts';
import { Lounge } from './dialects/lounge.ts';
import type { Logger } from './log.ts';
import type { Broker } from './realtime/broker.ts';
import { eventJson } from './realtime/events.ts';
import { MemoryBroker } from './realtime/broker-memory.ts';
import { Hub } from './realtime/hub.ts';
import { SocketCaps } from './realtime/socket-caps.ts';
import { Metrics } from './metrics.ts';
import { Limits } from './rooms/limits.ts';
import { RoomService } from './rooms/service.ts';
import { KvRoomStore } from './storage/kv-store.ts';
import { MemoryRoomStore } from './storage/memory-store.ts';
import type { RedisClient } from './storage/redis-store.ts';
import { type RoomStore, withStorageErrors } from './storage/store.ts';
import { renderLive } from './views/fragments.tsx';

export type Deps = {
  config: Config;
  log: Logger;
  store: RoomStore;
  broker: Broker;
  hub: Hub;
  rooms: RoomService;
  limits: Limits;
  metrics: Metrics;
  socketCaps: SocketCaps;
  accounts: AccountService;
  /** DisposableChat's sessions (src/dialects), in the accounts' storage. */
  sessions: DisposableSessions;
  /** Chatterbox's lounge (src/dialects): the one room for signed-in accounts. */
  lounge: Lounge;
  close(): Promise<void>;
};

/** redis: the client, when limits are kept in Redis (shared by every instance). */
type Backend = { store: RoomStore; broker: Broker; storage: Storage; claimKey: ClaimKey; redis?: RedisClient };

async function openStorage(config: Config, log: Logger, metrics: Metrics): Promise<Backend> {
  const url = config.STORAGE_URL;
  // redis:// and rediss://: one Redis; redis-cluster:// and rediss-cluster://: a Redis Cluster.
  if (/^rediss?(-cluster)?:\/\//.test(url)) {
    const { openRedis } = await import('./storage/redis.ts');
    return openRedis(url, log, config.STORAGE_TIMEOUT_MS, { batched: (size, seconds) => metrics.appendBatch(size, seconds) });
  }
  if (url.startsWith('sqlite:')) {
    const { openSqliteStorage } = await import('./storage/sqlite.ts');
    const storage = await openSqliteStorage(url.slice('sqlite:'.length));
    return { store: new KvRoomStore(storage), broker: new MemoryBroker(), storage, claimKey: localClaim(storage) };
  }
  const driver = memoryDriver();
  const storage = createStorage({ driver });
  const map = driver.getInstance!() as Map<string, unknown>;
  return { store: new MemoryRoomStore(map), broker: new MemoryBroker(), storage, claimKey: localClaim(storage) };
}

export async function createDeps(config: Config, log: Logger): Promise<Deps> {
  const metrics = new Metrics();
  const backend = await openStorage(config, log, metrics);
  const { broker, storage, claimKey, redis } = backend;
  // Calls that leave the process are timed: SQLite and Redis (whose appends are timed per batch).
  const store =
    backend.store.kind === 'memory'
      ? backend.store
      : metrics.timeStore(backend.store, backend.store.kind === 'redis' ? ['appendMessage'] : []);
  const limits = new Limits(config, { redis });
  const hub = new Hub(
    broker,
    { live: renderLive, ws: eventJson, disposable: renderDisposable },
    (kind, count) => metrics.delivered(kind, count),
    { disposable: disposableCloseCode },
  );
  const rooms: RoomService = new RoomService({
    store,
    broker,
    config,
    log,
    limits,
    connectedTokens: () => hub.connectedTokens(),
    isReservedName: (name): Promise<boolean> => accounts.isReserved(name),
    accepted: () => metrics.messagesAccepted.inc(),
  });
  metrics.watch({
    roomsOpen: () => rooms.trackedRoomCount(),
    sockets: () => hub.socketCounts(),
    membersConnected: () => hub.memberCount(),
  });
  const accounts: AccountService = new AccountService(
    new AccountStore(withStorageErrors(storage), withStorageErrors(claimKey)),
    limits,
    (address, work) => rooms.passwordWork(address, work),
  );
  const lounge = new Lounge({
    storage: withStorageErrors(storage),
    claimKey: withStorageErrors(claimKey),
    rooms,
    config,
    log,
    connectedTokens: () => hub.connectedTokens(),
  });
  return {
    accounts,
    sessions: new DisposableSessions(withStorageErrors(storage), config.DISPOSABLE_SESSION_SECONDS),
    lounge,
    limits,
    metrics,
    socketCaps: new SocketCaps({
      perMember: config.MAX_SOCKETS_PER_MEMBER,
      perAddress: config.MAX_SOCKETS_PER_ADDRESS,
      exempt: (address) => limits.isExempt(address),
    }),
    config,
    log,
    store,
    broker,
    hub,
    rooms,
    async close() {
      rooms.stop();
      lounge.stop();
      await broker.close();
      await store.close();
    },
  };
}
