// Redis pub/sub Broker: one channel per room; an instance subscribes to the rooms it has sockets in.
import type Redis from 'ioredis';
import type { Logger } from '../log.ts';
import { StorageError } from '../storage/store.ts';
import type { Broker, EventHandler } from './broker.ts';
import { withWireJson, type RoomEvent } from './events.ts';

/** The pub/sub channel of a room (the Redis store publishes messages on it too). */
export const roomChannel = (roomId: string, prefix = 'mayfly') => `${prefix}:room:${roomId}`;

export class RedisBroker implements Broker {
  readonly kind = 'redis';
  private handlers: EventHandler[] = [];
  private sub: Redis;
  private rooms = new Set<string>();

  constructor(
    private pub: Redis,
    private log: Logger,
    private prefix = 'mayfly',
  ) {
    // A subscribed connection can do nothing else, so it is a second connection. Its subscribe
    // calls may wait for the connection (offline queue); ioredis re-subscribes after a reconnect.
    this.sub = pub.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.sub.on('error', (err) => log.debug('redis subscriber error', { error: err.message }));
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const roomId = channel.toString().slice(this.prefix.length + 6); // `${prefix}:room:`
      const json = message.toString();
      let event: RoomEvent;
      try {
        event = withWireJson(JSON.parse(json), json);
      } catch {
        return;
      }
      for (const h of this.handlers) h(roomId, event);
    });
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
      await this.sub.subscribe(this.channel(roomId));
    } catch (err) {
      // ioredis re-subscribes every channel it was asked for when the connection comes back.
      this.log.warn('redis subscribe failed', { room_id: roomId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  async unsubscribe(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
    await this.sub.unsubscribe(this.channel(roomId)).catch(() => {});
  }

  async publish(roomId: string, event: RoomEvent): Promise<void> {
    try {
      await this.pub.publish(this.channel(roomId), JSON.stringify(event));
    } catch (err) {
      throw new StorageError(err);
    }
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.sub.disconnect();
  }
}
