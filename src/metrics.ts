// Prometheus metrics (prom-client), one registry per server. Labels are fixed words only: never a
// room id, a name, a username or any content.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { SOCKET_KINDS as KINDS, type SocketKind } from './realtime/hub.ts';
import type { RoomStore } from './storage/store.ts';

/** What the gauges read when scraped. */
export type MetricSources = {
  roomsOpen: () => number;
  sockets: () => Record<SocketKind, number>;
  membersConnected: () => number;
};

/** The RoomStore calls timed by the storage-latency histogram. */
const STORE_OPS = [
  'createRoom',
  'getRoom',
  'deleteRoom',
  'join',
  'identity',
  'claimSeat',
  'renewSeats',
  'setSeatLease',
  'releaseSeat',
  'seats',
  'sweepSeats',
  'emptySince',
  'appendMessage',
  'messages',
  'ping',
] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly messagesAccepted: Counter;
  readonly deliveries: Counter<'kind'>;
  readonly refusals: Counter<'code'>;
  readonly storageSeconds: Histogram<'op'>;
  readonly redisBatchSize: Histogram;
  private sources: MetricSources | null = null;
  private appendBatchSeconds;
  /** Deliveries since the last scrape, by kind: a plain add per event, folded into the counter on collect. */
  private deliveredSince: Record<SocketKind, number> = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<SocketKind, number>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.messagesAccepted = new Counter({ name: 'mayfly_messages_accepted_total', help: 'Messages accepted and stored.', registers });
    const since = this.deliveredSince;
    this.deliveries = new Counter({
      name: 'mayfly_deliveries_total',
      help: 'Events sent to sockets on this instance, by socket kind (one per socket per event).',
      labelNames: ['kind'],
      registers,
      collect() {
        for (const kind of KINDS) {
          this.labels(kind).inc(since[kind]);
          since[kind] = 0;
        }
      },
    });
    this.refusals = new Counter({
      name: 'mayfly_refusals_total',
      help: 'Requests and socket frames refused, by error code (rate limits, validation, storage, …).',
      labelNames: ['code'],
      registers,
    });
    this.storageSeconds = new Histogram({
      name: 'mayfly_storage_call_seconds',
      help: 'Latency of storage calls that leave the process (SQLite, Redis), by operation; Redis appends as op="appendBatch".',
      labelNames: ['op'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.appendBatchSeconds = this.storageSeconds.labels('appendBatch');
    this.redisBatchSize = new Histogram({
      name: 'mayfly_redis_append_batch_size',
      help: 'Messages appended per Redis script call (Redis mode).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          read(this);
        },
      });
    gauge('mayfly_rooms_open', 'Rooms this instance keeps a timer for (every room in memory and SQLite mode).', (g) =>
      g.set(this.sources?.roomsOpen() ?? 0),
    );
    gauge(
      'mayfly_sockets',
      'Open room sockets on this instance, by kind (live: the browser page; ws: the JSON API; disposable: the DisposableChat dialect).',
      (g) => {
        const s = this.sources?.sockets();
        for (const kind of KINDS) g.set({ kind }, s?.[kind] ?? 0);
      },
      ['kind'],
    );
    gauge('mayfly_members_connected', 'Members with at least one socket open on this instance.', (g) =>
      g.set(this.sources?.membersConnected() ?? 0),
    );
  }

  /** Where the gauges read from (set once the hub and service exist). */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** One event went to `count` sockets of a kind. */
  delivered(kind: SocketKind, count: number): void {
    this.deliveredSince[kind] += count;
  }

  refused(code: string): void {
    this.refusals.labels(code).inc();
  }

  /** A Redis append batch: its size, and its script call's latency (as op="appendBatch"). */
  appendBatch(size: number, seconds: number): void {
    this.redisBatchSize.observe(size);
    this.appendBatchSeconds.observe(seconds);
  }

  /**
   * The store with each call timed (the store's own object stays the prototype: kind, flags),
   * except `skip` (calls timed elsewhere, such as Redis appends, timed per batch).
   */
  timeStore(store: RoomStore, skip: readonly string[] = []): RoomStore {
    const timed = Object.create(store) as RoomStore;
    for (const op of STORE_OPS) {
      if (skip.includes(op)) continue;
      const fn = (store[op] as (...args: unknown[]) => Promise<unknown>).bind(store);
      const histogram = this.storageSeconds.labels(op);
      (timed as unknown as Record<string, unknown>)[op] = (...args: unknown[]) => {
        const start = performance.now();
        const done = () => histogram.observe((performance.now() - start) / 1000);
        const out = fn(...args);
        if (out instanceof Promise) out.then(done, done);
        else done();
        return out;
      };
    }
    return timed;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
