// RoomStore over a plain unstorage key-value driver (memory, or SQLite through db0) in one process.
// unstorage has no atomic operations, so each room's writes run one at a time behind a per-room lock;
// that is enough because only this process uses the storage.
import type { Storage } from 'unstorage';

/** The part of unstorage's Storage this store uses. */
export type Kv = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'hasItem' | 'getKeys' | 'getItems' | 'dispose'>;

/**
 * The memory driver's own Map (driver.getInstance()), used with objects as values: no JSON round
 * trip per message. Values are shared, not copied: callers never mutate what they read.
 */
export function objectKv(map: Map<string, unknown>): Kv {
  return {
    getItem: (async (key: string) => map.get(key) ?? null) as Kv['getItem'],
    setItem: (async (key: string, value: unknown) => void map.set(key, value)) as Kv['setItem'],
    removeItem: (async (key: string) => void map.delete(key)) as Kv['removeItem'],
    hasItem: (async (key: string) => map.has(key)) as Kv['hasItem'],
    getKeys: (async (base = '') => [...map.keys()].filter((k) => !base || k === base || k.startsWith(`${base}:`))) as Kv['getKeys'],
    getItems: (async (items: Array<string | { key: string }>) =>
      items.map((i) => {
        const key = typeof i === 'string' ? i : i.key;
        return { key, value: map.get(key) ?? null };
      })) as Kv['getItems'],
    dispose: async () => map.clear(),
  };
}
import type { Identity, Message, MessageDraft, Room, Seat, SeatClaim } from '../rooms/types.ts';
import type { HistoryQuery, RoomStore } from './store.ts';

type RoomState = {
  seq: number;
  /** The seq of the oldest message still kept. */
  oldest: number;
  emptySince: number | null;
  seats: Seat[];
  /** Every identity key of the room, so delete knows each key without a scan. */
  tokens: string[];
};

const keys = {
  room: (id: string) => `room:${id}`,
  state: (id: string) => `room:${id}:state`,
  identity: (id: string, tokenHash: string) => `room:${id}:member:${tokenHash}`,
  message: (id: string, seq: number) => `room:${id}:msg:${seq}`,
};

const fold = (name: string) => name.toLowerCase();
const usersOf = (seats: Seat[]) => seats.map((s) => s.username);

export class KvRoomStore implements RoomStore {
  private locks = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private storage: Kv,
    readonly kind: 'memory' | 'sqlite',
  ) {}

  /** Runs fn after every earlier call for the same room has finished. */
  private withLock<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(roomId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(roomId, tail);
    tail.then(() => {
      if (this.locks.get(roomId) === tail) this.locks.delete(roomId);
    });
    return run;
  }

  private async state(roomId: string): Promise<RoomState | null> {
    return (await this.storage.getItem<RoomState>(keys.state(roomId))) ?? null;
  }

  async createRoom(room: Room): Promise<void> {
    const state: RoomState = { seq: 0, oldest: 1, emptySince: room.createdAt, seats: [], tokens: [] };
    await this.storage.setItem(keys.state(room.id), state);
    await this.storage.setItem(keys.room(room.id), room);
  }

  async getRoom(id: string): Promise<Room | null> {
    const room = await this.storage.getItem<Room>(keys.room(id));
    if (!room || room.expiresAt <= Date.now()) return null;
    return room;
  }

  deleteRoom(id: string): Promise<boolean> {
    return this.withLock(id, async () => {
      const state = await this.state(id);
      const existed = (await this.storage.hasItem(keys.room(id))) || state !== null;
      if (!existed) return false;
      const doomed = [keys.room(id), keys.state(id)];
      if (state) {
        for (const t of state.tokens) doomed.push(keys.identity(id, t));
        for (let seq = state.oldest; seq <= state.seq; seq++) doomed.push(keys.message(id, seq));
      }
      await Promise.all(doomed.map((k) => this.storage.removeItem(k)));
      return true;
    });
  }

  async listRoomIds(): Promise<string[]> {
    const all = await this.storage.getKeys('room');
    return all.filter((k) => k.split(':').length === 2).map((k) => k.split(':')[1]!);
  }

  join(roomId: string, tokenHash: string, identity: Identity, leaseUntil: number): Promise<SeatClaim> {
    return this.withLock(roomId, async () => {
      const room = await this.getRoom(roomId);
      const state = await this.state(roomId);
      if (!room || !state) return { ok: false, reason: 'gone' };
      const claim = this.takeSeat(room, state, tokenHash, identity, leaseUntil);
      if (!claim.ok) return claim;
      if (!state.tokens.includes(tokenHash)) state.tokens.push(tokenHash);
      await this.storage.setItem(keys.identity(roomId, tokenHash), identity);
      await this.storage.setItem(keys.state(roomId), state);
      return claim;
    });
  }

  /** The seat rules shared by join and claimSeat; mutates state on success. Lapsed seats stay until a sweep announces them. */
  private takeSeat(room: Room, state: RoomState, tokenHash: string, identity: Identity, leaseUntil: number): SeatClaim {
    const now = Date.now();
    const live = state.seats.filter((s) => s.leaseUntil > now);
    const mine = state.seats.find((s) => s.tokenHash === tokenHash);
    if (mine && mine.leaseUntil > now) {
      mine.leaseUntil = Math.max(mine.leaseUntil, leaseUntil);
      return { ok: true, fresh: false, users: usersOf(live) };
    }
    const others = live.filter((s) => s !== mine);
    if (others.some((s) => fold(s.username) === fold(identity.username))) return { ok: false, reason: 'taken' };
    if (others.length >= room.maxUsers) return { ok: false, reason: 'full' };
    if (mine) {
      // Back after the seat lapsed: it moves to the end, as a new arrival.
      state.seats = state.seats.filter((s) => s !== mine);
    }
    state.seats.push({ tokenHash, memberId: identity.memberId, username: identity.username, leaseUntil });
    state.emptySince = null;
    return { ok: true, fresh: true, users: usersOf([...others, state.seats[state.seats.length - 1]!]) };
  }

  async identity(roomId: string, tokenHash: string): Promise<Identity | null> {
    return (await this.storage.getItem<Identity>(keys.identity(roomId, tokenHash))) ?? null;
  }

  claimSeat(roomId: string, tokenHash: string, leaseUntil: number): Promise<SeatClaim> {
    return this.withLock(roomId, async () => {
      const room = await this.getRoom(roomId);
      const state = await this.state(roomId);
      if (!room || !state) return { ok: false, reason: 'gone' };
      const identity = await this.identity(roomId, tokenHash);
      if (!identity) return { ok: false, reason: 'unknown' };
      const claim = this.takeSeat(room, state, tokenHash, identity, leaseUntil);
      if (claim.ok) await this.storage.setItem(keys.state(roomId), state);
      return claim;
    });
  }

  renewSeats(roomId: string, tokenHashes: string[], leaseUntil: number): Promise<void> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return;
      const wanted = new Set(tokenHashes);
      const now = Date.now();
      for (const s of state.seats) if (wanted.has(s.tokenHash) && s.leaseUntil > now) s.leaseUntil = leaseUntil;
      await this.storage.setItem(keys.state(roomId), state);
    });
  }

  releaseSeat(roomId: string, tokenHash: string, forget: boolean) {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return null;
      const seat = state.seats.find((s) => s.tokenHash === tokenHash);
      state.seats = state.seats.filter((s) => s !== seat);
      const now = Date.now();
      if (seat && !state.seats.some((s) => s.leaseUntil > now)) state.emptySince = now;
      if (forget) {
        state.tokens = state.tokens.filter((t) => t !== tokenHash);
        await this.storage.removeItem(keys.identity(roomId, tokenHash));
      }
      await this.storage.setItem(keys.state(roomId), state);
      return seat ? { username: seat.username, users: usersOf(state.seats.filter((s) => s.leaseUntil > now)) } : null;
    });
  }

  async seats(roomId: string, now: number): Promise<Seat[]> {
    const state = await this.state(roomId);
    return state ? state.seats.filter((s) => s.leaseUntil > now) : [];
  }

  sweepSeats(roomId: string, now: number) {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return { removed: [], users: [] };
      const lapsed = state.seats.filter((s) => s.leaseUntil <= now);
      if (lapsed.length === 0) return { removed: [], users: usersOf(state.seats) };
      state.seats = state.seats.filter((s) => s.leaseUntil > now);
      if (state.seats.length === 0) state.emptySince = now;
      await this.storage.setItem(keys.state(roomId), state);
      return { removed: usersOf(lapsed), users: usersOf(state.seats) };
    });
  }

  async emptySince(roomId: string): Promise<number | null> {
    return (await this.state(roomId))?.emptySince ?? null;
  }

  appendMessage(roomId: string, draft: MessageDraft, historyLimit: number): Promise<Message | null> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state || !(await this.getRoom(roomId))) return null;
      const message: Message = { ...draft, seq: state.seq + 1 };
      state.seq = message.seq;
      await this.storage.setItem(keys.message(roomId, message.seq), message);
      while (state.seq - state.oldest + 1 > historyLimit) {
        await this.storage.removeItem(keys.message(roomId, state.oldest));
        state.oldest++;
      }
      await this.storage.setItem(keys.state(roomId), state);
      return message;
    });
  }

  async messages(roomId: string, query: HistoryQuery): Promise<Message[]> {
    const state = await this.state(roomId);
    if (!state || state.seq === 0) return [];
    const oldest = state.oldest;
    let from: number;
    if (query.afterSeq !== undefined) from = Math.max(oldest, query.afterSeq + 1);
    else if (query.offset !== undefined) from = oldest + query.offset;
    else from = Math.max(oldest, state.seq - query.limit + 1);
    const to = Math.min(state.seq, from + query.limit - 1);
    const wanted: string[] = [];
    for (let seq = from; seq <= to; seq++) wanted.push(keys.message(roomId, seq));
    if (wanted.length === 0) return [];
    const items = await this.storage.getItems<Message>(wanted);
    return items.map((i) => i.value).filter((m): m is Message => m !== null);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('storage closed');
    await this.storage.hasItem('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.locks.values()]);
    await this.storage.dispose();
  }
}
