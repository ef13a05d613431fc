// In-process Broker: a loopback that hands each event straight back to this instance's handler.
import type { Broker, EventHandler } from './broker.ts';
import type { BrokerEvent } from './events.ts';

export class MemoryBroker implements Broker {
  readonly kind = 'memory';
  private handlers: EventHandler[] = [];
  private rooms = new Set<string>();

  onEvent(handler: EventHandler): void {
    this.handlers.push(handler);
  }

  async subscribe(roomId: string): Promise<void> {
    this.rooms.add(roomId);
  }

  async unsubscribe(roomId: string): Promise<void> {
    this.rooms.delete(roomId);
  }

  async publish(roomId: string, event: BrokerEvent): Promise<void> {
    if (!this.rooms.has(roomId)) return;
    for (const h of this.handlers) h(roomId, event);
  }

  async close(): Promise<void> {
    this.rooms.clear();
  }
}
