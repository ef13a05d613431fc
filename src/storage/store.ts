// The RoomStore contract: every storage backend (memory, SQLite, Redis) keeps rooms this way.
import type { Identity, Message, MessageDraft, Room, Seat, SeatClaim } from '../rooms/types.ts';

export type HistoryQuery = {
  /** Only messages with a larger seq (catch-up after a reconnect). */
  afterSeq?: number;
  /** Skip this many of the oldest messages kept. */
  offset?: number;
  /** At most this many; with neither afterSeq nor offset, the most recent ones. */
  limit: number;
  /**
   * The room's history limit, as given to appendMessage: only the newest this many messages count
   * (Redis trims its list in steps, so it may hold a few more between trims).
   */
  keep: number;
};

export type SeatChange = { users: string[] };

export type PutIdentityOptions = { maxWaiting?: number; request?: string };
export type PutIdentityResult = 'ok' | 'gone' | 'banned' | 'locked' | 'taken' | 'too_many' | 'answered';

/** The switches an owner flips on a live room. */
export type RoomFlags = { locked?: boolean; approveJoins?: boolean };

/**
 * Guarantees every implementation gives, tested by one contract suite:
 * - join and claimSeat are atomic: max_users and unique names (case-insensitive) hold under races,
 *   across instances where the backend is shared.
 * - appendMessage gives each message of a room the next seq (1, 2, 3 …) exactly once.
 * - deleteRoom removes every key of the room and returns true to exactly one caller.
 * - a room whose expiresAt has passed is gone for getRoom even before its keys are removed.
 */
export interface RoomStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /**
   * True when appendMessage also publishes the message event to every instance (Redis: one script
   * appends and publishes, so each room's messages are published in seq order); the service then
   * does not publish messages through the broker itself.
   */
  readonly publishesMessages?: boolean;
  createRoom(room: Room): Promise<void>;
  getRoom(id: string): Promise<Room | null>;
  deleteRoom(id: string): Promise<boolean>;
  /** Ids of the rooms that exist (used at start to schedule expiry). */
  listRoomIds(): Promise<string[]>;

  /**
   * Creates (or replaces) the identity for tokenHash and gives it a seat. A name the owner barred is
   * refused; so is anyone new in a locked room or one that asks its owner, unless `admitted` (the
   * owner creating the room, or approving a request). With `request`, this approves that request: it
   * must still be waiting under tokenHash, else 'answered' (one answer per request, across instances).
   */
  join(roomId: string, tokenHash: string, identity: Identity, leaseUntil: number, admitted?: boolean, request?: string): Promise<SeatClaim>;
  identity(roomId: string, tokenHash: string): Promise<Identity | null>;
  /** Every identity of the room with its token hash: members, and requests to join (no seat). */
  identities(roomId: string): Promise<Array<{ tokenHash: string; identity: Identity }>>;
  /**
   * Stores an identity without a seat (a request to join, or its refusal), atomically checked. A pending
   * request is refused for a name the owner barred, while the room is locked, for a name someone here
   * or another waiting request has ('taken'), and past `opts.maxWaiting` waiting requests ('too_many').
   * With `opts.request` (a denial), the identity under tokenHash must still be that waiting request, else 'answered'.
   */
  putIdentity(roomId: string, tokenHash: string, identity: Identity, opts?: PutIdentityOptions): Promise<PutIdentityResult>;
  /** Takes (fresh: true) or renews (fresh: false) the seat of an existing member (not a request). */
  claimSeat(roomId: string, tokenHash: string, leaseUntil: number): Promise<SeatClaim>;
  /**
   * Sets the lease of a live seat to exactly leaseUntil, shorter or longer (a socket's lease replaces
   * a longer HTTP one). False when there is no live seat: a lapsed one is not revived.
   */
  setSeatLease(roomId: string, tokenHash: string, leaseUntil: number): Promise<boolean>;
  /** Extends the leases of seats held by connected members; lapsed seats are not revived. */
  renewSeats(roomId: string, tokenHashes: string[], leaseUntil: number): Promise<void>;
  /** Gives up the seat; with forget, the identity too (leave). Null when there was no seat. */
  releaseSeat(roomId: string, tokenHash: string, forget: boolean): Promise<(SeatChange & { username: string }) | null>;
  /** Present members, in order of arrival. */
  seats(roomId: string, now: number): Promise<Seat[]>;
  /**
   * Removes seats whose lease ran out; each removal is returned to exactly one caller. gone: the
   * room's keys are gone (it ended, maybe on another instance).
   */
  sweepSeats(roomId: string, now: number): Promise<SeatChange & { removed: string[]; gone?: boolean }>;
  /** When the room last became empty, or null while someone is in it. */
  emptySince(roomId: string): Promise<number | null>;

  /** Sets the room's switches. False when the room is gone. */
  setRoomFlags(roomId: string, flags: RoomFlags): Promise<boolean>;
  /**
   * Moves the room's end later by `byMs`, to `latest` at most, and every key's lifetime with it.
   * The new expiresAt (unchanged when already at `latest`), or null when the room is gone.
   */
  extendRoom(roomId: string, byMs: number, latest: number): Promise<number | null>;
  /**
   * Makes the member of `toTokenHash` the owner (every other identity not), names them the room's
   * owner, and retires the API owner token: one owner at a time. False when there is no such member.
   * With null, nobody owns the room (ownerName ''): the owner left and nobody else was here.
   */
  transferOwner(roomId: string, toTokenHash: string | null): Promise<boolean>;
  /** Bars a name (its nameKey) from the room for the rest of its life: join and claimSeat refuse it. */
  banName(roomId: string, fold: string): Promise<void>;

  appendMessage(roomId: string, draft: MessageDraft, historyLimit: number): Promise<Message | null>;
  messages(roomId: string, query: HistoryQuery): Promise<Message[]>;

  /** Throws when the backend is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The backend could not be reached or failed; nothing was written. Maps to 503 and a clear error. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'StorageError';
  }
}

/**
 * Storage did not answer in time. A write may still have been saved: a message is reported as
 * "may not have been sent", never as failed, and catch-up (`since`) shows what happened.
 */
export class StorageTimeoutError extends StorageError {
  constructor(cause: unknown) {
    super(cause);
    this.name = 'StorageTimeoutError';
  }
}

/** ioredis' error for a command past its commandTimeout. */
const isTimeout = (err: unknown) => err instanceof Error && /timed out/i.test(err.message);

/** Any backend failure as a StorageError (a timeout as a StorageTimeoutError). */
export function storageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  return isTimeout(err) ? new StorageTimeoutError(err) : new StorageError(err);
}

/**
 * The same object, whose async methods fail with StorageError only (for code that uses unstorage
 * directly, such as accounts): a backend failure is a clear 503, never a 500.
 */
export function withStorageErrors<T extends object>(target: T): T {
  const call = (fn: (...a: unknown[]) => unknown, self: unknown, args: unknown[]) => {
    try {
      const out = fn.apply(self, args);
      return out instanceof Promise
        ? out.catch((err: unknown) => {
            throw storageError(err);
          })
        : out;
    } catch (err) {
      throw storageError(err);
    }
  };
  return new Proxy(target, {
    // a function itself (a callback such as claimKey)
    apply: (fn, self, args) => call(fn as (...a: unknown[]) => unknown, self, args),
    // an object's methods (an unstorage Storage)
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      return typeof value === 'function' ? (...args: unknown[]) => call(value as (...a: unknown[]) => unknown, obj, args) : value;
    },
  });
}

/** What a client is told to wait after a storage failure (Retry-After). */
export const STORAGE_RETRY_AFTER_SECONDS = 2;

/**
 * What a person is told when storage failed. After a timeout a write may have happened, so a
 * message is said to be possibly unsent, never lost: catch-up shows whether it arrived.
 */
export function storageFailureMessage(err: StorageError): string {
  return err instanceof StorageTimeoutError
    ? 'Storage did not answer in time: your last action may not have been saved. If it was a message, it may not have been sent; it shows up in the room if it was. Try again shortly.'
    : 'Storage is unavailable; nothing was saved. Try again shortly.';
}

/** Storage is up but has more waiting than it takes: the message was refused, not queued. */
export class StorageBusyError extends StorageError {
  constructor() {
    super('too many messages waiting for storage');
    this.name = 'StorageBusyError';
  }
}
