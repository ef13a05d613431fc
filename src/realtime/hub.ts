// The Hub: this instance's sockets, grouped by room; renders each event once and fans it out natively.
import type { Server, ServerWebSocket } from 'bun';
import type { Identity } from '../rooms/types.ts';
import type { Broker } from './broker.ts';
import type { MessageEvent, RoomEvent } from './events.ts';

/** How long a message waits for an earlier seq that another instance published a moment later. */
const GAP_WAIT_MS = 250;

/** next: the seq to deliver next; null until the first socket's history tells where the room is. */
type Ordering = { next: number | null; held: Map<number, MessageEvent>; timer: ReturnType<typeof setTimeout> | null };

export type SocketKind = 'live' | 'ws';

export type SocketData = {
  kind: SocketKind;
  roomId: string;
  tokenHash: string;
  identity: Identity;
  /** Seq the client already has: catch-up starts after it. */
  since: number | null;
  /** Set while the socket catches up: live events wait here instead of going out. */
  pending: Array<{ seq: number | null; frame: string }> | null;
  /** Frames refused for rate in a row; too many closes the socket. */
  strikes: number;
  /** When this socket last announced typing (announcements are throttled to one a second). */
  typingAt?: number;
  /** A refusal decided before the upgrade, sent as a close code once open. */
  reject?: { code: number; reason: string };
};

export type Socket = ServerWebSocket<SocketData>;

/** Turns one event into the frame each kind of socket gets; null sends nothing of that kind. */
export type Renderers = Record<SocketKind, (event: RoomEvent) => string | null>;

export const CLOSE = {
  unauthenticated: 4401,
  forbidden: 4403,
  notFound: 4404,
  full: 4409,
  gone: 4410,
  tooMany: 4429,
  restarting: 1012,
} as const;

const topic = (roomId: string, kind: SocketKind) => `${kind}:${roomId}`;

/** A room's sockets here; those still catching up; how many of each kind (only those get rendered). */
type RoomSockets = { all: Set<Socket>; catchingUp: Set<Socket>; live: number; ws: number; topics: Record<SocketKind, string> };

export class Hub {
  private rooms = new Map<string, RoomSockets>();
  private ordering = new Map<string, Ordering>();
  private server: Server<SocketData> | null = null;

  constructor(
    private broker: Broker,
    private render: Renderers,
  ) {
    broker.onEvent((roomId, event) => this.deliver(roomId, event));
  }

  bind(server: Server<SocketData>): void {
    this.server = server;
  }

  /** Registers a socket; its live events are held until `ready` after catch-up. */
  async attach(ws: Socket): Promise<void> {
    const { roomId } = ws.data;
    ws.data.pending = [];
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { all: new Set(), catchingUp: new Set(), live: 0, ws: 0, topics: { live: topic(roomId, 'live'), ws: topic(roomId, 'ws') } };
      this.rooms.set(roomId, room);
      this.ordering.set(roomId, { next: null, held: new Map(), timer: null });
      await this.broker.subscribe(roomId);
    }
    room.all.add(ws);
    room.catchingUp.add(ws);
    room[ws.data.kind]++;
  }

  /** Ends catch-up: sends what arrived meanwhile (minus what history covered) and goes live. */
  ready(ws: Socket, lastSentSeq: number): void {
    const o = this.ordering.get(ws.data.roomId);
    if (o && o.next === null) {
      // The first history read here says where the room stands; what it covered is not sent again.
      o.next = lastSentSeq + 1;
      for (const seq of o.held.keys()) if (seq < o.next) o.held.delete(seq);
      this.release(ws.data.roomId, o);
    }
    const pending = ws.data.pending ?? [];
    ws.data.pending = null;
    this.rooms.get(ws.data.roomId)?.catchingUp.delete(ws);
    for (const p of pending) if (p.seq === null || p.seq > lastSentSeq) ws.send(p.frame);
    if (ws.readyState === 1) ws.subscribe(topic(ws.data.roomId, ws.data.kind));
  }

  detach(ws: Socket): { lastForToken: boolean } {
    const { roomId, tokenHash } = ws.data;
    const room = this.rooms.get(roomId);
    if (!room || !room.all.delete(ws)) return { lastForToken: false };
    room.catchingUp.delete(ws);
    room[ws.data.kind]--;
    const sockets = room.all;
    if (sockets.size === 0) {
      this.rooms.delete(roomId);
      const o = this.ordering.get(roomId);
      if (o?.timer) clearTimeout(o.timer);
      this.ordering.delete(roomId);
      void this.broker.unsubscribe(roomId).catch(() => {});
    }
    for (const other of sockets) if (other.data.tokenHash === tokenHash) return { lastForToken: false };
    return { lastForToken: true };
  }

  /** Token hashes with a socket here, per room: their seats are renewed while connected. */
  connectedTokens(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [roomId, room] of this.rooms) out.set(roomId, [...new Set([...room.all].map((s) => s.data.tokenHash))]);
    return out;
  }

  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  socketCount(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.all.size;
    return n;
  }

  /**
   * Takes an event from the broker. Messages go out in seq order: instances append and publish
   * separately, so seq 6 can reach Redis before seq 5; a gap waits briefly for the missing one.
   */
  deliver(roomId: string, event: RoomEvent): void {
    if (!this.rooms.has(roomId)) return;
    if (event.type !== 'message') return this.fanOut(roomId, event);
    const o = this.ordering.get(roomId)!;
    if (o.next !== null && event.seq === o.next && o.held.size === 0) {
      o.next++; // the usual case: the next message, nothing waiting
      return this.fanOut(roomId, event);
    }
    if (o.next !== null && event.seq < o.next) return this.fanOut(roomId, event); // late after a gap gave up: still delivered
    o.held.set(event.seq, event);
    this.release(roomId, o);
  }

  private release(roomId: string, o: Ordering): void {
    let e: MessageEvent | undefined;
    while (o.next !== null && (e = o.held.get(o.next))) {
      o.held.delete(o.next);
      o.next++;
      this.fanOut(roomId, e);
    }
    if (o.held.size === 0 && o.timer) {
      clearTimeout(o.timer);
      o.timer = null;
    } else if (o.held.size > 0 && !o.timer) {
      o.timer = setTimeout(() => {
        o.timer = null;
        o.next = Math.min(...o.held.keys()); // give up on the gap
        this.release(roomId, o);
      }, GAP_WAIT_MS);
    }
  }

  /** Sends an event to this instance's sockets of the room: rendered once per kind, not per socket. */
  private fanOut(roomId: string, event: RoomEvent): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const seq = event.type === 'message' ? event.seq : null;
    for (const kind of ['live', 'ws'] as const) {
      if (room[kind] === 0) continue;
      const frame = this.render[kind](event);
      if (frame === null) continue;
      for (const ws of room.catchingUp) if (ws.data.kind === kind) ws.data.pending?.push({ seq, frame });
      this.server?.publish(room.topics[kind], frame);
    }
    if (event.type === 'room_expired' || event.type === 'room_destroyed') {
      for (const ws of [...room.all]) ws.close(CLOSE.gone, event.type === 'room_expired' ? 'room expired' : 'room destroyed');
    }
  }

  /** Closes every socket (shutdown): 1012 tells clients to reconnect, possibly elsewhere. */
  closeAll(code: number = CLOSE.restarting, reason = 'server restarting'): void {
    for (const room of this.rooms.values()) for (const ws of [...room.all]) ws.close(code, reason);
  }
}
