// RoomStore over a plain unstorage key-value driver (SQLite through db0, or any other) in one process.
// unstorage has no atomic operations, so each room's writes run one at a time behind a per-room lock;
// that is enough because only this process uses the storage.
import type { Storage } from 'unstorage';
import type { Identity, Message, MessageDraft, Room, Seat, SeatClaim } from '../rooms/types.ts';
import { nameKey } from '../rooms/names.ts';
import {
  askRefusal,
  extendedExpiry,
  liveSeats,
  refusal,
  releaseSeat,
  renewSeats,
  setSeatLease,
  stillWaiting,
  sweepSeats,
  takeSeat,
} from './seats.ts';
import type { HistoryQuery, PutIdentityOptions, PutIdentityResult, RoomFlags, RoomStore } from './store.ts';

/**
 * The part of unstorage's Storage this store uses, and scrub where the backend has it: called after a
 * room's keys are removed, it wipes their old contents from the backend's files (SQLite: the WAL).
 */
export type Kv = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'hasItem' | 'getKeys' | 'getItems' | 'dispose'> & {
  scrub?: () => Promise<void>;
};

type RoomState = {
  seq: number;
  /** The seq of the oldest message still kept. */
  oldest: number;
  emptySince: number | null;
  seats: Seat[];
  /** Every identity key of the room, so delete knows each key without a scan. */
  tokens: string[];
  /** Names (nameKey) the owner barred. */
  banned?: string[];
};

const keys = {
  room: (id: string) => `room:${id}`,
  state: (id: string) => `room:${id}:state`,
  identity: (id: string, tokenHash: string) => `room:${id}:member:${tokenHash}`,
  message: (id: string, seq: number) => `room:${id}:msg:${seq}`,
};

export class KvRoomStore implements RoomStore {
  private locks = new Map<string, Promise<unknown>>();
  private closed = false;

  readonly kind = 'sqlite';

  constructor(private storage: Kv) {}

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
      await this.storage.scrub?.();
      return true;
    });
  }

  async listRoomIds(): Promise<string[]> {
    const all = await this.storage.getKeys('room');
    return all.filter((k) => k.split(':').length === 2).map((k) => k.split(':')[1]!);
  }

  join(roomId: string, tokenHash: string, identity: Identity, leaseUntil: number, admitted = false, request?: string): Promise<SeatClaim> {
    return this.withLock(roomId, async () => {
      const room = await this.getRoom(roomId);
      const state = await this.state(roomId);
      if (!room || !state) return { ok: false, reason: 'gone' };
      if (request !== undefined && !stillWaiting(await this.identity(roomId, tokenHash), request)) return { ok: false, reason: 'answered' };
      const refused = refusal(room, !!state.banned?.includes(nameKey(identity.username)), admitted);
      if (refused) return refused;
      const claim = takeSeat(state, room.maxUsers, tokenHash, identity, leaseUntil, Date.now());
      if (!claim.ok) return claim;
      if (!state.tokens.includes(tokenHash)) state.tokens.push(tokenHash);
      await this.storage.setItem(keys.identity(roomId, tokenHash), identity);
      await this.storage.setItem(keys.state(roomId), state);
      return claim;
    });
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
      if (!identity || identity.request) return { ok: false, reason: 'unknown' };
      if (state.banned?.includes(nameKey(identity.username))) return { ok: false, reason: 'banned' };
      const claim = takeSeat(state, room.maxUsers, tokenHash, identity, leaseUntil, Date.now());
      if (claim.ok) await this.storage.setItem(keys.state(roomId), state);
      return claim;
    });
  }

  async identities(roomId: string) {
    const state = await this.state(roomId);
    if (!state || state.tokens.length === 0) return [];
    const items = await this.storage.getItems<Identity>(state.tokens.map((t) => keys.identity(roomId, t)));
    return items.flatMap((item, i) => (item.value ? [{ tokenHash: state.tokens[i]!, identity: item.value }] : []));
  }

  putIdentity(roomId: string, tokenHash: string, identity: Identity, opts: PutIdentityOptions = {}): Promise<PutIdentityResult> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      const room = await this.getRoom(roomId);
      if (!state || !room) return 'gone' as const;
      if (opts.request !== undefined && !stillWaiting(await this.identity(roomId, tokenHash), opts.request)) return 'answered';
      if (identity.request?.status === 'pending') {
        const banned = !!state.banned?.includes(nameKey(identity.username));
        const others = (await this.identities(roomId)).map((i) => [i.tokenHash, i.identity] as [string, Identity]);
        const refused = askRefusal(room, banned, state.seats, others, tokenHash, identity, Date.now(), opts.maxWaiting ?? Infinity);
        if (refused) return refused;
      }
      if (!state.tokens.includes(tokenHash)) {
        state.tokens.push(tokenHash);
        await this.storage.setItem(keys.state(roomId), state);
      }
      await this.storage.setItem(keys.identity(roomId, tokenHash), identity);
      return 'ok' as const;
    });
  }

  /** Changes the room record under the room's lock; null when it is gone. */
  private changeRoom(roomId: string, change: (room: Room) => Room): Promise<Room | null> {
    return this.withLock(roomId, async () => {
      const room = await this.getRoom(roomId);
      if (!room) return null;
      const changed = change(room);
      await this.storage.setItem(keys.room(roomId), changed);
      return changed;
    });
  }

  async setRoomFlags(roomId: string, flags: RoomFlags): Promise<boolean> {
    return (await this.changeRoom(roomId, (room) => ({ ...room, ...flags }))) !== null;
  }

  async extendRoom(roomId: string, byMs: number, latest: number): Promise<number | null> {
    const room = await this.changeRoom(roomId, (r) => ({ ...r, expiresAt: extendedExpiry(r.expiresAt, byMs, latest) }));
    return room?.expiresAt ?? null;
  }

  transferOwner(roomId: string, toTokenHash: string | null): Promise<boolean> {
    return this.withLock(roomId, async () => {
      const room = await this.getRoom(roomId);
      const to = toTokenHash === null ? null : await this.identity(roomId, toTokenHash);
      if (!room || (toTokenHash !== null && (!to || to.request))) return false;
      for (const { tokenHash, identity } of await this.identities(roomId)) {
        const owner = tokenHash === toTokenHash;
        if (identity.owner !== owner) await this.storage.setItem(keys.identity(roomId, tokenHash), { ...identity, owner });
      }
      await this.storage.setItem(keys.room(roomId), { ...room, ownerName: to?.username ?? '', ownerTokenHash: null });
      return true;
    });
  }

  banName(roomId: string, fold: string): Promise<void> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return;
      state.banned = [...new Set([...(state.banned ?? []), fold])];
      await this.storage.setItem(keys.state(roomId), state);
    });
  }

  setSeatLease(roomId: string, tokenHash: string, leaseUntil: number): Promise<boolean> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state || !setSeatLease(state, tokenHash, leaseUntil, Date.now())) return false;
      await this.storage.setItem(keys.state(roomId), state);
      return true;
    });
  }

  renewSeats(roomId: string, tokenHashes: string[], leaseUntil: number): Promise<void> {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return;
      renewSeats(state, tokenHashes, leaseUntil, Date.now());
      await this.storage.setItem(keys.state(roomId), state);
    });
  }

  releaseSeat(roomId: string, tokenHash: string, forget: boolean) {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return null;
      const left = releaseSeat(state, tokenHash, Date.now());
      if (forget) {
        state.tokens = state.tokens.filter((t) => t !== tokenHash);
        await this.storage.removeItem(keys.identity(roomId, tokenHash));
      }
      await this.storage.setItem(keys.state(roomId), state);
      return left;
    });
  }

  async seats(roomId: string, now: number): Promise<Seat[]> {
    const state = await this.state(roomId);
    return state ? liveSeats(state.seats, now) : [];
  }

  sweepSeats(roomId: string, now: number) {
    return this.withLock(roomId, async () => {
      const state = await this.state(roomId);
      if (!state) return { removed: [], users: [], gone: true };
      const swept = sweepSeats(state, now);
      if (swept.removed.length > 0) await this.storage.setItem(keys.state(roomId), state);
      return swept;
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
