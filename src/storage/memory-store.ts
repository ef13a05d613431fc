// RoomStore in memory: one entry per room in the unstorage memory driver's own Map, kept as live
// objects. Every operation runs to completion without awaiting, so it is atomic with no lock. History
// is packed in a ring per room (no object per message for the garbage collector).
import type { Identity, Message, MessageDraft, Room, Seat, SeatClaim } from '../rooms/types.ts';
import { HistoryRing } from './history-ring.ts';
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

type Entry = {
  room: Room;
  seq: number;
  emptySince: number | null;
  seats: Seat[];
  members: Members;
  /** Names (nameKey) the owner barred. */
  banned: Set<string>;
  /** The newest messages, oldest first; none until the first one. */
  history: HistoryRing | null;
};

/**
 * A room's identities by token hash: two arrays searched in order, not a Map. Rooms are small (20 seats by
 * default, 1000 at most), and a JSC Map of 17–64 entries takes ~2.7 KB where two arrays of 20 take ~0.5 KB.
 */
class Members implements Iterable<[string, Identity]> {
  private tokenHashes: string[] = [];
  private identities: Identity[] = [];

  get(tokenHash: string): Identity | undefined {
    const at = this.tokenHashes.indexOf(tokenHash);
    return at < 0 ? undefined : this.identities[at];
  }

  set(tokenHash: string, identity: Identity): void {
    const at = this.tokenHashes.indexOf(tokenHash);
    if (at >= 0) {
      this.identities[at] = identity;
      return;
    }
    this.tokenHashes.push(tokenHash);
    this.identities.push(identity);
  }

  /** Keeps the caller's copy of an equal token hash in place of ours (one string for the member and its socket). */
  adopt(tokenHash: string): void {
    const at = this.tokenHashes.indexOf(tokenHash);
    if (at >= 0) this.tokenHashes[at] = tokenHash;
  }

  delete(tokenHash: string): void {
    const at = this.tokenHashes.indexOf(tokenHash);
    if (at < 0) return;
    this.tokenHashes.splice(at, 1);
    this.identities.splice(at, 1);
  }

  *[Symbol.iterator](): Iterator<[string, Identity]> {
    for (let k = 0; k < this.tokenHashes.length; k++) yield [this.tokenHashes[k]!, this.identities[k]!];
  }
}

/** Every key a room has: one. */
const key = (id: string) => `room:${id}`;

export class MemoryRoomStore implements RoomStore {
  readonly kind = 'memory';

  /** map: the memory driver's Map (driver.getInstance()), shared with the account store. */
  constructor(private map: Map<string, unknown>) {}

  private entry(id: string): Entry | undefined {
    const e = this.map.get(key(id)) as Entry | undefined;
    return e && e.room.expiresAt > Date.now() ? e : undefined;
  }

  async createRoom(room: Room): Promise<void> {
    this.map.set(key(room.id), {
      room,
      seq: 0,
      emptySince: room.createdAt,
      seats: [],
      members: new Members(),
      banned: new Set(),
      history: null,
    } satisfies Entry);
  }

  async getRoom(id: string): Promise<Room | null> {
    return this.entry(id)?.room ?? null;
  }

  async deleteRoom(id: string): Promise<boolean> {
    return this.map.delete(key(id));
  }

  async listRoomIds(): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith('room:')).map((k) => k.slice(5));
  }

  async join(
    roomId: string,
    tokenHash: string,
    identity: Identity,
    leaseUntil: number,
    admitted = false,
    request?: string,
  ): Promise<SeatClaim> {
    const e = this.entry(roomId);
    if (!e) return { ok: false, reason: 'gone' };
    if (!stillWaiting(e.members.get(tokenHash), request)) return { ok: false, reason: 'answered' };
    const refused = refusal(e.room, e.banned.has(nameKey(identity.username)), admitted);
    if (refused) return refused;
    const claim = takeSeat(e, e.room.maxUsers, tokenHash, identity, leaseUntil, Date.now());
    if (claim.ok) e.members.set(tokenHash, identity);
    return claim;
  }

  async identity(roomId: string, tokenHash: string): Promise<Identity | null> {
    return this.entry(roomId)?.members.get(tokenHash) ?? null;
  }

  async claimSeat(roomId: string, tokenHash: string, leaseUntil: number): Promise<SeatClaim> {
    const e = this.entry(roomId);
    if (!e) return { ok: false, reason: 'gone' };
    const identity = e.members.get(tokenHash);
    if (!identity || identity.request) return { ok: false, reason: 'unknown' };
    if (e.banned.has(nameKey(identity.username))) return { ok: false, reason: 'banned' };
    return takeSeat(e, e.room.maxUsers, tokenHash, identity, leaseUntil, Date.now());
  }

  async identities(roomId: string) {
    const e = this.entry(roomId);
    return e ? [...e.members].map(([tokenHash, identity]) => ({ tokenHash, identity })) : [];
  }

  async putIdentity(roomId: string, tokenHash: string, identity: Identity, opts: PutIdentityOptions = {}): Promise<PutIdentityResult> {
    const e = this.entry(roomId);
    if (!e) return 'gone';
    if (!stillWaiting(e.members.get(tokenHash), opts.request)) return 'answered';
    if (identity.request?.status === 'pending') {
      const banned = e.banned.has(nameKey(identity.username));
      const refused = askRefusal(e.room, banned, e.seats, e.members, tokenHash, identity, Date.now(), opts.maxWaiting ?? Infinity);
      if (refused) return refused;
    }
    e.members.set(tokenHash, identity);
    return 'ok';
  }

  async setRoomFlags(roomId: string, flags: RoomFlags): Promise<boolean> {
    const e = this.entry(roomId);
    if (!e) return false;
    e.room = { ...e.room, ...flags };
    return true;
  }

  async extendRoom(roomId: string, byMs: number, latest: number): Promise<number | null> {
    const e = this.entry(roomId);
    if (!e) return null;
    e.room = { ...e.room, expiresAt: extendedExpiry(e.room.expiresAt, byMs, latest) };
    return e.room.expiresAt;
  }

  async transferOwner(roomId: string, toTokenHash: string | null): Promise<boolean> {
    const e = this.entry(roomId);
    const to = toTokenHash === null ? null : e?.members.get(toTokenHash);
    if (!e || to === undefined || to?.request) return false;
    // New objects, not changed ones: a socket keeps the identity it was admitted with until told.
    for (const [tokenHash, identity] of e.members) {
      const owner = tokenHash === toTokenHash;
      if (identity.owner !== owner) e.members.set(tokenHash, { ...identity, owner });
    }
    e.room = { ...e.room, ownerName: to?.username ?? '', ownerTokenHash: null };
    return true;
  }

  async banName(roomId: string, fold: string): Promise<void> {
    this.entry(roomId)?.banned.add(fold);
  }

  async setSeatLease(roomId: string, tokenHash: string, leaseUntil: number): Promise<boolean> {
    const e = this.entry(roomId);
    if (!e || !setSeatLease(e, tokenHash, leaseUntil, Date.now())) return false;
    e.members.adopt(tokenHash); // as the seat did: a socket's lease, and its copy of the hash serves both
    return true;
  }

  async renewSeats(roomId: string, tokenHashes: string[], leaseUntil: number): Promise<void> {
    const e = this.entry(roomId);
    if (e) renewSeats(e, tokenHashes, leaseUntil, Date.now());
  }

  async releaseSeat(roomId: string, tokenHash: string, forget: boolean) {
    const e = this.map.get(key(roomId)) as Entry | undefined;
    if (!e) return null;
    if (forget) e.members.delete(tokenHash);
    return releaseSeat(e, tokenHash, Date.now());
  }

  async seats(roomId: string, now: number): Promise<Seat[]> {
    const e = this.entry(roomId);
    return e ? liveSeats(e.seats, now) : [];
  }

  async sweepSeats(roomId: string, now: number) {
    const e = this.map.get(key(roomId)) as Entry | undefined;
    return e ? sweepSeats(e, now) : { removed: [], users: [], gone: true };
  }

  async emptySince(roomId: string): Promise<number | null> {
    return (this.map.get(key(roomId)) as Entry | undefined)?.emptySince ?? null;
  }

  async appendMessage(roomId: string, draft: MessageDraft, historyLimit: number): Promise<Message | null> {
    const e = this.entry(roomId);
    if (!e) return null;
    const message = draft as Message; // the draft becomes the message: no copy per message
    message.seq = ++e.seq;
    if (e.history?.limit !== historyLimit) e.history = resized(e.history, historyLimit);
    e.history.push(message);
    return message;
  }

  async messages(roomId: string, query: HistoryQuery): Promise<Message[]> {
    const history = this.entry(roomId)?.history;
    if (!history) return [];
    let from: number;
    if (query.afterSeq !== undefined) {
      from = 0;
      while (from < history.size && history.seq(from) <= query.afterSeq) from++;
    } else if (query.offset !== undefined) from = query.offset;
    else from = Math.max(0, history.size - query.limit);
    const out: Message[] = [];
    for (let k = from; k < Math.min(history.size, from + query.limit); k++) out.push(history.get(k));
    return out;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const k of [...this.map.keys()]) if (k.startsWith('room:')) this.map.delete(k);
  }
}

/** A history ring for another limit, with the newest entries of the old one. */
function resized(old: HistoryRing | null, limit: number): HistoryRing {
  const ring = new HistoryRing(limit);
  if (old) for (let k = Math.max(0, old.size - limit); k < old.size; k++) ring.push(old.get(k));
  return ring;
}
