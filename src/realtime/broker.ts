// The Broker contract: fan-out of room events to every instance that serves the room.
import type { BrokerEvent } from './events.ts';

export type EventHandler = (roomId: string, event: BrokerEvent) => void;

/**
 * Delivery guarantee: every event published for a room reaches the handler of every instance
 * subscribed to that room, once, in the order the broker received them. A room's messages are
 * published in seq order: the memory and SQLite stores append one at a time and the service
 * publishes in that order; the Redis store appends and publishes in one script.
 * The memory broker is a loopback; the Redis broker adds the trip between instances. Publishing
 * instances receive their own events through the same handler, so there is one delivery path.
 * (In Redis mode a room no other instance listens to skips the trip: the store hands the broker
 * its own messages from the append script's reply, and the broker keeps their seq order.)
 * Besides the room events clients see, it carries internal ones (member_removed) that only the hub acts on.
 */
export interface Broker {
  readonly kind: 'memory' | 'redis';
  onEvent(handler: EventHandler): void;
  subscribe(roomId: string): Promise<void>;
  unsubscribe(roomId: string): Promise<void>;
  publish(roomId: string, event: BrokerEvent): Promise<void>;
  close(): Promise<void>;
}
