// The Broker contract: fan-out of room events to every instance that serves the room.
import type { RoomEvent } from './events.ts';

export type EventHandler = (roomId: string, event: RoomEvent) => void;

/**
 * Delivery guarantee: every event published for a room reaches the handler of every instance
 * subscribed to that room, once, in the order the broker received them (per publisher connection).
 * The memory broker is a loopback; the Redis broker adds the trip between instances. Publishing
 * instances receive their own events through the same handler, so there is one delivery path.
 */
export interface Broker {
  readonly kind: 'memory' | 'redis';
  onEvent(handler: EventHandler): void;
  subscribe(roomId: string): Promise<void>;
  unsubscribe(roomId: string): Promise<void>;
  publish(roomId: string, event: RoomEvent): Promise<void>;
  close(): Promise<void>;
}
