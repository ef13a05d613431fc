// The seat rules every single-process store shares: max users, unique names (by nameKey), leases that lapse.
import { nameKey } from '../rooms/names.ts';
import type { Identity, Room, Seat, SeatClaim } from '../rooms/types.ts';

/** What the rules work on: a room's seats and when it last became empty. */
export type SeatHolder = { seats: Seat[]; emptySince: number | null };

export const usersOf = (seats: Seat[]) => seats.map((s) => s.username);
export const liveSeats = (seats: Seat[], now: number) => seats.filter((s) => s.leaseUntil > now);

/** Takes or renews a seat; lapsed seats stay until a sweep announces them. Mutates on success. */
export function takeSeat(
  h: SeatHolder,
  maxUsers: number,
  tokenHash: string,
  identity: Identity,
  leaseUntil: number,
  now: number,
): SeatClaim {
  const live = liveSeats(h.seats, now);
  const mine = h.seats.find((s) => s.tokenHash === tokenHash);
  if (mine && mine.leaseUntil > now) {
    mine.leaseUntil = Math.max(mine.leaseUntil, leaseUntil);
    return { ok: true, fresh: false, users: usersOf(live) };
  }
  const others = live.filter((s) => s !== mine);
  const key = nameKey(identity.username);
  if (others.some((s) => nameKey(s.username) === key)) return { ok: false, reason: 'taken' };
  if (others.length >= maxUsers) return { ok: false, reason: 'full' };
  // Back after the seat lapsed: it moves to the end, as a new arrival.
  if (mine) h.seats = h.seats.filter((s) => s !== mine);
  const seat: Seat = { tokenHash, memberId: identity.memberId, username: identity.username, leaseUntil };
  h.seats.push(seat);
  h.emptySince = null;
  return { ok: true, fresh: true, users: usersOf([...others, seat]) };
}

/** Gives up a seat; the room is empty from now if it was the last live one. */
export function releaseSeat(h: SeatHolder, tokenHash: string, now: number): { username: string; users: string[] } | null {
  const seat = h.seats.find((s) => s.tokenHash === tokenHash);
  if (!seat) return null;
  h.seats = h.seats.filter((s) => s !== seat);
  const live = liveSeats(h.seats, now);
  if (live.length === 0) h.emptySince = now;
  return { username: seat.username, users: usersOf(live) };
}

/** Extends live leases; a lapsed seat is not revived (its owner claims it again). */
export function renewSeats(h: SeatHolder, tokenHashes: string[], leaseUntil: number, now: number): void {
  const wanted = new Set(tokenHashes);
  for (const s of h.seats) if (wanted.has(s.tokenHash) && s.leaseUntil > now && s.leaseUntil < leaseUntil) s.leaseUntil = leaseUntil;
}

/** Sets a live seat's lease exactly (shortened or extended); false when there is none. */
export function setSeatLease(h: SeatHolder, tokenHash: string, leaseUntil: number, now: number): boolean {
  const seat = h.seats.find((s) => s.tokenHash === tokenHash);
  if (!seat || seat.leaseUntil <= now) return false;
  seat.leaseUntil = leaseUntil;
  seat.tokenHash = tokenHash; // the caller's copy of the same text (a socket's, kept for its life): held once, not twice
  return true;
}

/** Removes lapsed seats and says whose they were. */
export function sweepSeats(h: SeatHolder, now: number): { removed: string[]; users: string[] } {
  const lapsed = h.seats.filter((s) => s.leaseUntil <= now);
  if (lapsed.length === 0) return { removed: [], users: usersOf(h.seats) };
  h.seats = liveSeats(h.seats, now);
  if (h.seats.length === 0) h.emptySince = now;
  return { removed: usersOf(lapsed), users: usersOf(h.seats) };
}

/**
 * Why someone may not take a seat before any seat rule: a name the owner barred; or, for someone new
 * (not `admitted` by the owner), a locked room or one that asks its owner first. Null when nothing stops them.
 */
export function refusal(room: Room, banned: boolean, admitted: boolean): SeatClaim | null {
  if (banned) return { ok: false, reason: 'banned' };
  if (admitted) return null;
  if (room.locked) return { ok: false, reason: 'locked' };
  if (room.approveJoins) return { ok: false, reason: 'approval' };
  return null;
}

/** The room's end moved later by byMs, but never past latest nor earlier than it was. */
export const extendedExpiry = (expiresAt: number, byMs: number, latest: number) => Math.max(expiresAt, Math.min(expiresAt + byMs, latest));

/** True while an identity is a request to join still waiting for the owner. */
const isWaiting = (identity: Identity | null | undefined, now: number) =>
  identity?.request?.status === 'pending' && identity.request.until > now;

/** The identity under a token is still the waiting request `id` (an answer may be given), else 'answered'. */
export const stillWaiting = (identity: Identity | null | undefined, id: string | undefined): boolean =>
  id === undefined || (identity?.request?.status === 'pending' && identity.request.id === id);

/**
 * Why a new request to join may not be stored: a barred name, a locked room, a name someone here or
 * another waiting asker has, or too many waiting. Null when it may.
 */
export function askRefusal(
  room: Room,
  banned: boolean,
  seats: Seat[],
  others: Iterable<[string, Identity]>,
  tokenHash: string,
  identity: Identity,
  now: number,
  maxWaiting: number,
): 'banned' | 'locked' | 'taken' | 'too_many' | null {
  if (banned) return 'banned';
  if (room.locked) return 'locked';
  const key = nameKey(identity.username);
  if (liveSeats(seats, now).some((s) => s.tokenHash !== tokenHash && nameKey(s.username) === key)) return 'taken';
  let waiting = 0;
  for (const [token, other] of others) {
    if (token === tokenHash || !isWaiting(other, now)) continue;
    if (nameKey(other.username) === key) return 'taken';
    waiting++;
  }
  return waiting >= maxWaiting ? 'too_many' : null;
}
