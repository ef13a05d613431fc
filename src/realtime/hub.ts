// The Hub: this instance's sockets, grouped by room; renders each event once and fans it out natively.
import type { Server, ServerWebSocket } from 'bun';
import type { Member } from '../rooms/service.ts';
import type { Identity } from '../rooms/types.ts';
import type { Broker } from './broker.ts';
import { type BrokerEvent, isOwnerOnly, type MemberRemovedEvent, type OwnerEvent, type OwnerOnlyEvent, type RoomEvent } from './events.ts';

/** live: the browser page (HTML); ws: the JSON protocol; disposable: DisposableChat's JSON (src/dialects). */
export type SocketKind = 'live' | 'ws' | 'disposable';

export type SocketData = {
  kind: SocketKind;
  roomId: string;
  /** The client's address (limits count per address). */
  address: string;
  tokenHash: string;
  identity: Identity;
  /** Seq the client already has: catch-up starts after it. */
  since: number | null;
  /** Set while the socket catches up (from `attach` to `ready`): live events wait here instead of going out. */
  pending: Array<{ seq: number | null; frame: string }> | null;
  /** Frames refused for rate in a row; too many closes the socket. */
  strikes: number;
  /** When this socket last announced typing (announcements are throttled to one a second). */
  typingAt?: number;
  /** The member as the room service takes it, made on the first frame. */
  member?: Member;
  /** When this socket was last told storage was busy, and how many messages were refused since. */
  notices?: Partial<Record<'storage_busy' | 'storage_unavailable', { at: number; count: number }>>;
  /** Counted by the socket caps (given back on close). */
  capped?: boolean;
  /** A refusal decided before the upgrade, sent as a close code once open. */
  reject?: { code: number; reason: string };
  /**
   * Who the socket admits once open: a guest, or a signed-in account under the token derived for it (the
   * Chatterbox lounge), who take their seat only then; unset for a member (by token hash), most sockets.
   */
  admission?: { guest: false; account?: { username: string; token: string } } | { guest: true; username?: string };
  /** Called once the socket closed (a dialect's own bookkeeping: DisposableChat renews its session). */
  onClose?: () => void;
  /** The socket holds its seat (taken when it opened): its frames are taken from then on. */
  seated?: boolean;
  /** Settles once the seat is taken (true) or refused (false). */
  seating?: Promise<boolean>;
  /** The room is end-to-end encrypted: message frames carry envelopes. */
  e2e?: boolean;
  /** The member's presence ended (left or removed): the socket is closing and its frames are refused. */
  removed?: boolean;
  /** The socket has closed (its close handler ran). */
  closed?: boolean;
};

export type Socket = ServerWebSocket<SocketData>;

/** What a renderer knows of the room besides the event. */
export type RoomTraits = { e2e: boolean };

/** Turns one event into the frame each kind of socket gets; null sends nothing of that kind. */
export type Renderers = Record<SocketKind, (event: RoomEvent, room: RoomTraits) => string | null>;

export const CLOSE = {
  unauthenticated: 4401,
  /**
   * The member left (or was removed): their token no longer admits them, which is what 4401 says,
   * so removal reuses it (clients already stop on it and ask to join again; the reason says why).
   * Any 4xxx code stops htmx's hx-ws from reconnecting (it retries only 1001, 1005, 1006, 1011–1014).
   */
  removed: 4401,
  /** Removed by the owner (kicked), refused by the owner (a denied or pending request), or a barred name. */
  forbidden: 4403,
  /** The room is locked: nobody new gets in. */
  locked: 4423,
  notFound: 4404,
  full: 4409,
  gone: 4410,
  tooMany: 4429,
  restarting: 1012,
} as const;

const topic = (roomId: string, kind: SocketKind) => `${kind}:${roomId}`;
export const SOCKET_KINDS: readonly SocketKind[] = ['live', 'ws', 'disposable'];
const noSockets = (): Record<SocketKind, number> => ({ live: 0, ws: 0, disposable: 0 });

/**
 * A room's sockets here; how many still catch up; how many of each kind (only those get rendered).
 * An array, not a Set: a JSC Set of 17–64 entries takes ~2.7 KB, an array of 20 sockets ~0.25 KB.
 */
type RoomSockets = RoomTraits & {
  all: Socket[];
  /** Sockets attached but not yet `ready`: their live events wait in `data.pending`. */
  catchingUp: number;
  count: Record<SocketKind, number>;
  /** The pub/sub topic of each kind with a socket here (made on its first socket). */
  topics: Partial<Record<SocketKind, string>>;
};

export class Hub {
  private rooms = new Map<string, RoomSockets>();
  private server: Server<SocketData> | null = null;

  constructor(
    private broker: Broker,
    private render: Renderers,
    /** Told how many sockets of a kind each event went to (metrics). */
    private delivered: (kind: SocketKind, count: number) => void = () => {},
    /** A kind's own close codes for mayfly's (DisposableChat closes every refusal with 1008). */
    private closeCodes: Partial<Record<SocketKind, (code: number) => number>> = {},
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
      room = {
        all: [],
        catchingUp: 0,
        count: noSockets(),
        topics: {},
        e2e: !!ws.data.e2e,
      };
      this.rooms.set(roomId, room);
      await this.broker.subscribe(roomId);
    }
    room.all.push(ws);
    room.catchingUp++;
    room.count[ws.data.kind]++;
    room.topics[ws.data.kind] ??= topic(roomId, ws.data.kind);
  }

  /** Ends catch-up: sends what arrived meanwhile (minus what history covered) and goes live. */
  ready(ws: Socket, lastSentSeq: number): void {
    const room = this.rooms.get(ws.data.roomId);
    const pending = ws.data.pending;
    ws.data.pending = null;
    if (pending && room) room.catchingUp--;
    for (const p of pending ?? []) if (p.seq === null || p.seq > lastSentSeq) ws.send(p.frame);
    if (room && ws.readyState === 1 && !ws.data.removed) ws.subscribe(room.topics[ws.data.kind]!);
  }

  /**
   * Unregisters a socket (safe to call for one never attached, or twice). lastForToken: no other
   * socket of its token is left here.
   */
  detach(ws: Socket): { lastForToken: boolean } {
    const { roomId, tokenHash } = ws.data;
    const room = this.rooms.get(roomId);
    if (!room) return { lastForToken: true };
    const at = room.all.indexOf(ws);
    if (at >= 0) {
      room.all.splice(at, 1);
      if (ws.data.pending) room.catchingUp--;
      ws.data.pending = null; // no longer catching up here (a late `ready` finds nothing to count down)
      room.count[ws.data.kind]--;
      if (room.all.length === 0) {
        this.rooms.delete(roomId);
        void this.broker.unsubscribe(roomId).catch(() => {});
      }
    }
    for (const other of room.all) if (other.data.tokenHash === tokenHash) return { lastForToken: false };
    return { lastForToken: true };
  }

  /** Token hashes with a socket here, per room: their seats are renewed while connected. */
  connectedTokens(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [roomId, room] of this.rooms) {
      const tokens = new Set<string>();
      for (const s of room.all) if (s.data.tokenHash && !s.data.removed) tokens.add(s.data.tokenHash);
      out.set(roomId, [...tokens]);
    }
    return out;
  }

  /** Open sockets here, by kind. */
  socketCounts(): Record<SocketKind, number> {
    const counts = noSockets();
    for (const r of this.rooms.values()) for (const kind of SOCKET_KINDS) counts[kind] += r.count[kind];
    return counts;
  }

  /** Members with a socket here (each counted once, however many sockets they have). */
  memberCount(): number {
    let n = 0;
    for (const tokens of this.connectedTokens().values()) n += tokens.length;
    return n;
  }

  socketCount(): number {
    const counts = this.socketCounts();
    return SOCKET_KINDS.reduce((n, kind) => n + counts[kind], 0);
  }

  /** Closes a socket with mayfly's code, or the one its kind speaks instead. */
  close(ws: Socket, code: number, reason: string): void {
    ws.close(this.closeCodes[ws.data.kind]?.(code) ?? code, reason);
  }

  /**
   * Sends an event from the broker to this instance's sockets of the room: rendered once per kind,
   * not per socket. Messages arrive in seq order (the Broker contract), so they go out as they come.
   */
  deliver(roomId: string, event: BrokerEvent): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    if (event.type === 'member_removed') return this.removeMember(room, event); // internal: never rendered
    if (event.type === 'owner_changed') this.ownerChanged(room, event);
    if (isOwnerOnly(event)) return this.toOwner(room, event);
    const seq = event.type === 'message' ? event.seq : null;
    for (const kind of SOCKET_KINDS) {
      if (room.count[kind] === 0) continue;
      const frame = this.render[kind](event, room);
      if (frame === null) continue;
      if (room.catchingUp > 0) for (const ws of room.all) if (ws.data.kind === kind) ws.data.pending?.push({ seq, frame });
      this.server?.publish(room.topics[kind]!, frame);
      this.delivered(kind, room.count[kind]);
    }
    if (event.type === 'room_expired' || event.type === 'room_destroyed') {
      for (const ws of [...room.all]) this.close(ws, CLOSE.gone, event.type === 'room_expired' ? 'room expired' : 'room destroyed');
    }
  }

  /** Closes every socket of a member whose presence ended; frames still arriving on them are refused. */
  private removeMember(room: RoomSockets, event: MemberRemovedEvent): void {
    const kicked = event.reason === 'kicked';
    for (const ws of [...room.all]) {
      if (ws.data.identity?.memberId !== event.member_id) continue;
      ws.data.removed = true;
      this.close(ws, kicked ? CLOSE.forbidden : CLOSE.removed, kicked ? 'removed by the owner' : 'left the room');
    }
  }

  /** The sockets here learn who owns the room now (owner-only events follow the new owner). */
  private ownerChanged(room: RoomSockets, event: OwnerEvent): void {
    for (const ws of room.all) {
      const identity = ws.data.identity;
      if (!identity) continue;
      const owner = identity.memberId === event.member_id;
      if (identity.owner === owner) continue;
      ws.data.identity = { ...identity, owner };
      ws.data.member = undefined; // made again from the new identity
    }
  }

  /** An event for the owner's sockets only, rendered once per kind. */
  private toOwner(room: RoomSockets, event: OwnerOnlyEvent): void {
    const frames: Partial<Record<SocketKind, string | null>> = {};
    for (const ws of room.all) {
      if (!ws.data.identity?.owner || ws.data.removed) continue;
      const kind = ws.data.kind;
      if (!(kind in frames)) frames[kind] = this.render[kind](event, room);
      const frame = frames[kind];
      if (frame === null || frame === undefined) continue;
      if (ws.data.pending) ws.data.pending.push({ seq: null, frame });
      else ws.send(frame);
    }
  }

  /** Closes every socket (shutdown): 1012 tells clients to reconnect, possibly elsewhere. */
  closeAll(code: number = CLOSE.restarting, reason = 'server restarting'): void {
    for (const room of this.rooms.values()) for (const ws of [...room.all]) this.close(ws, code, reason);
  }
}
