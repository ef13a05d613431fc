// Redis pub/sub Broker: one channel per room; an instance subscribes to the rooms it has sockets in.
// On a Redis Cluster: sharded pub/sub (SSUBSCRIBE/SPUBLISH), the channel on the room's own slot, so a
// room's events travel only within its shard, to the instances subscribed to it.
import type { Cluster, Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import type { Logger } from '../log.ts';
import { type RedisClient, roomKeys } from '../storage/redis-store.ts';
import { storageError } from '../storage/store.ts';
import type { Broker, EventHandler } from './broker.ts';
import { withWireJson, type BrokerEvent } from './events.ts';

/**
 * The pub/sub channel of a room (the Redis store publishes messages on it too). It carries the room's
 * hash tag, so on a Redis Cluster it is a shard channel of the slot that holds the room's keys.
 */
export const roomChannel = (roomId: string, prefix = 'mayfly') => `${prefix}:room:{${roomId}}`;

/** How long a message waits for an earlier one still on its way before it goes out anyway. */
const HOLD_MS = 100;

// The room state's `listeners` field: the instances listening on its channel, comma-separated.
// The append script reads it to know whether anyone else needs a room's messages. KEYS: state.
// ARGV: instance id. Nothing for a room that is gone.
const LISTEN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local list = redis.call('HGET', KEYS[1], 'listeners')
if not list or list == '' then list = ARGV[1]
elseif string.find(',' .. list .. ',', ',' .. ARGV[1] .. ',', 1, true) == nil then list = list .. ',' .. ARGV[1]
else return 1 end
redis.call('HSET', KEYS[1], 'listeners', list)
return 1
`;
const UNLISTEN = `
local list = redis.call('HGET', KEYS[1], 'listeners')
if not list then return 0 end
local kept = {}
for id in string.gmatch(list, '[^,]+') do
  if id ~= ARGV[1] then kept[#kept + 1] = id end
end
redis.call('HSET', KEYS[1], 'listeners', table.concat(kept, ','))
return 1
`;
type ListenCommands = {
  mayflyListen(state: string, id: string): Promise<number>;
  mayflyUnlisten(state: string, id: string): Promise<number>;
};

/** A room's message order here: the seq expected next, and messages that overtook it. */
type Order = { next: number | null; held: Map<number, BrokerEvent>; timer: ReturnType<typeof setTimeout> | null };

export class RedisBroker implements Broker {
  readonly kind = 'redis';
  /** This instance, among the listeners of the rooms it serves. */
  readonly instanceId = nanoid(12);
  private handlers: EventHandler[] = [];
  private sub: RedisClient;
  /** On a Redis Cluster: sharded pub/sub, and no `listeners` shortcut (every message is published). */
  private readonly cluster: boolean;
  private rooms = new Set<string>();
  /** Rooms whose subscription Redis has confirmed and whose `listeners` field names this instance. */
  private confirmed = new Set<string>();
  private orders = new Map<string, Order>();

  constructor(
    private pub: RedisClient,
    private log: Logger,
    private prefix = 'mayfly',
  ) {
    this.cluster = 'isCluster' in pub && pub.isCluster === true;
    // A subscribed connection can do nothing else, so it is a second connection. Its subscribe
    // calls may wait for the connection (offline queue); ioredis re-subscribes after a reconnect.
    // On a Cluster, ioredis keeps one subscriber connection per master (shardedSubscribers) and
    // subscribes a shard channel again on the room's new master after a failover.
    this.sub = this.cluster
      ? (pub as Cluster).duplicate([], {
          enableOfflineQueue: true,
          shardedSubscribers: true,
          redisOptions: { ...(pub as Cluster).options.redisOptions, maxRetriesPerRequest: null },
        })
      : (pub as Redis).duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    pub.defineCommand('mayflyListen', { numberOfKeys: 1, lua: LISTEN });
    pub.defineCommand('mayflyUnlisten', { numberOfKeys: 1, lua: UNLISTEN });
    this.sub.on('error', (err) => log.debug('redis subscriber error', { error: err.message }));
    // Until Redis confirms the subscriptions again, this instance is not known to be listening.
    this.sub.on('close', () => this.confirmed.clear());
    this.sub.on('ready', () => {
      for (const roomId of this.rooms) void this.confirm(roomId);
    });
    this.sub.on(this.cluster ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, message: Buffer) => {
      const roomId = channel.toString().slice(this.prefix.length + 7, -1); // `${prefix}:room:{…}`
      const json = message.toString();
      let event: BrokerEvent;
      try {
        event = withWireJson(JSON.parse(json), json);
      } catch {
        return;
      }
      this.accept(roomId, event);
    });
  }

  private get commands(): ListenCommands {
    return this.pub as unknown as ListenCommands;
  }

  private channel(roomId: string) {
    return roomChannel(roomId, this.prefix);
  }

  onEvent(handler: EventHandler): void {
    this.handlers.push(handler);
  }

  async subscribe(roomId: string): Promise<void> {
    this.rooms.add(roomId);
    try {
      await this.confirm(roomId);
    } catch (err) {
      // ioredis re-subscribes every channel it was asked for when the connection comes back.
      this.log.warn('redis subscribe failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Subscribes, then (once Redis confirms) joins the room's listeners. */
  private async confirm(roomId: string): Promise<void> {
    if (this.cluster) {
      // Every message is published on a Cluster: a `listeners` field could be lost in a failover
      // (replication is asynchronous), and an instance then missing from it would miss messages.
      await this.sub.ssubscribe(this.channel(roomId));
      return;
    }
    await this.sub.subscribe(this.channel(roomId));
    if (!this.rooms.has(roomId)) return;
    const joined = await this.commands.mayflyListen(roomKeys(this.prefix, roomId).state, this.instanceId).catch(() => 0);
    if (joined && this.rooms.has(roomId)) this.confirmed.add(roomId);
  }

  /** Leaves the room's listeners first, then unsubscribes (the reverse order of `confirm`). */
  async unsubscribe(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    const listed = this.confirmed.delete(roomId);
    const order = this.orders.get(roomId);
    if (order?.timer) clearTimeout(order.timer);
    this.orders.delete(roomId);
    if (listed) await this.commands.mayflyUnlisten(roomKeys(this.prefix, roomId).state, this.instanceId).catch(() => {});
    if (this.rooms.has(roomId)) return;
    if (this.cluster) await this.sub.sunsubscribe(this.channel(roomId)).catch(() => {});
    else await this.sub.unsubscribe(this.channel(roomId)).catch(() => {});
  }

  /**
   * True when this instance is subscribed to the room and among its listeners: if it is the only
   * one, the store may deliver the room's messages here directly.
   */
  listening(roomId: string): boolean {
    return this.confirmed.has(roomId);
  }

  /** An own message that no other instance needed: handed on here, without the trip through Redis. */
  deliverOwn(roomId: string, event: BrokerEvent): void {
    this.accept(roomId, event);
  }

  async publish(roomId: string, event: BrokerEvent): Promise<void> {
    try {
      if (this.cluster) await this.pub.spublish(this.channel(roomId), JSON.stringify(event));
      else await this.pub.publish(this.channel(roomId), JSON.stringify(event));
    } catch (err) {
      throw storageError(err);
    }
  }

  async close(): Promise<void> {
    for (const order of this.orders.values()) if (order.timer) clearTimeout(order.timer);
    this.orders.clear();
    // Leave the rooms' listeners (best effort: a crashed instance's entry only makes others publish).
    await Promise.all(
      [...this.confirmed].map((roomId) =>
        this.commands.mayflyUnlisten(roomKeys(this.prefix, roomId).state, this.instanceId).catch(() => {}),
      ),
    );
    this.rooms.clear();
    this.confirmed.clear();
    this.sub.disconnect();
  }

  private emit(roomId: string, event: BrokerEvent): void {
    for (const h of this.handlers) h(roomId, event);
  }

  /**
   * Messages come in two ways (the echo from Redis, or the store's reply for own messages no one
   * else needed), so one can overtake an earlier one still on its way: it waits for it, briefly.
   */
  private accept(roomId: string, event: BrokerEvent): void {
    if (event.type !== 'message' || !this.rooms.has(roomId)) return this.emit(roomId, event);
    let order = this.orders.get(roomId);
    if (!order) this.orders.set(roomId, (order = { next: null, held: new Map(), timer: null }));
    const seq = event.seq;
    if (order.next !== null && seq > order.next) {
      order.held.set(seq, event);
      order.timer ??= setTimeout(() => this.release(roomId), HOLD_MS);
      return;
    }
    this.emit(roomId, event); // in order, or late after a release: better late than lost
    if (order.next === null || seq >= order.next) order.next = seq + 1;
    let next: BrokerEvent | undefined;
    while ((next = order.held.get(order.next))) {
      order.held.delete(order.next);
      this.emit(roomId, next);
      order.next++;
    }
    if (order.held.size === 0 && order.timer) {
      clearTimeout(order.timer);
      order.timer = null;
    }
  }

  /** The missing message did not come in time: what waited goes out, in seq order. */
  private release(roomId: string): void {
    const order = this.orders.get(roomId);
    if (!order) return;
    order.timer = null;
    const seqs = [...order.held.keys()].sort((a, b) => a - b);
    for (const seq of seqs) {
      this.emit(roomId, order.held.get(seq)!);
      order.next = seq + 1;
    }
    order.held.clear();
  }
}
