// The room domain: create, join, post, leave, destroy and expire rooms; every change goes out through the broker.
import { nanoid } from 'nanoid';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Broker } from '../realtime/broker.ts';
import {
  type ApprovalEvent,
  endEvent,
  type ExtendEvent,
  type JoinRequestClosedEvent,
  type JoinRequestEvent,
  type KickEvent,
  type LockEvent,
  memberRemovedEvent,
  messageEvent,
  type OwnerEvent,
  ownerEvent,
  presenceEvent,
  type RemovalReason,
  typingEvent,
} from '../realtime/events.ts';
import type { RoomStore } from '../storage/store.ts';
import { type ErrorCode, limited, RoomError } from './errors.ts';
import { type LimitName, type Limits, PasswordGate } from './limits.ts';
import { nameKey } from './names.ts';
import { RoomTimers } from './timers.ts';
import type { CreateRoomInput, JoinInput } from './schema.ts';
import type { Identity, JoinRequest, Message, Room, SeatClaim } from './types.ts';

const TOO_MANY_JOINS = 'Too many joins from your address; wait a minute.';

/** Requests to join one room that may wait for its owner at once. */
const MAX_PENDING_REQUESTS = 50;

/**
 * Who holds a token in a room: a member, or (identity.request set) someone asking to join, whom the
 * token admits nowhere until the owner approves.
 */
export type Member = { token: string; tokenHash: string; identity: Identity };

/** Who acts as the owner: a member (re-checked in storage: ownership moves), or the API owner token. */
export type Actor = { member?: Member | null; ownerToken?: string | null };

/** Where a request to join stands, as its asker (and the owner) sees it. */
export type RequestStatus = {
  requestId: string;
  username: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  until: number;
};

/** The refusal for a seat claim that failed. `approval` is the caller's to handle (a request instead). */
function claimError(reason: Exclude<SeatClaim, { ok: true }>['reason']): RoomError {
  switch (reason) {
    case 'full':
      return new RoomError('room_full');
    case 'taken':
      return new RoomError('name_taken');
    case 'locked':
      return new RoomError('room_locked');
    case 'banned':
      return new RoomError('name_banned');
    case 'unknown':
      return new RoomError('unauthorized');
    case 'approval':
      return new RoomError('unauthorized', "This room lets people in with its owner's approval: ask to join first.");
    case 'answered':
      return new RoomError('request_not_found', 'That request was already answered.');
    default:
      return new RoomError('not_found');
  }
}

/** How a member is present: a socket renews its seat; HTTP activity holds it a while longer. */
export type Presence = 'socket' | 'page' | 'api';

export type ServiceDeps = {
  store: RoomStore;
  broker: Broker;
  config: Config;
  log: Logger;
  /** Abuse limits (shared by every instance in Redis mode). */
  limits: Limits;
  /** Told of each message accepted (metrics). */
  accepted?: () => void;
  /** Token hashes with a socket on this instance, per room (from the hub). */
  connectedTokens: () => Map<string, string[]>;
  /** Reserved names (registered accounts); null when free. */
  isReservedName?: (username: string) => Promise<boolean>;
};

// Message ids must be unique, not secret: a random prefix per process and a counter.
const ID_PREFIX = nanoid(8);
let idCounter = 0;
const messageId = () => `${ID_PREFIX}${(++idCounter).toString(36)}`;

// Many messages share a millisecond: format its ISO string once.
let isoAt = 0;
let isoText = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoAt) {
    isoAt = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** 21 nanoid characters; never starting with '-', so an id is never mistaken for a command-line option. */
function roomId(): string {
  let id = nanoid(21);
  while (id.startsWith('-')) id = nanoid(21);
  return id;
}

/** sha256 of a token, in hex: one call, no hasher object per token. */
export const hashToken = (token: string) => Bun.CryptoHasher.hash('sha256', token, 'hex');

const GUEST_ADJECTIVES = ['quiet', 'brisk', 'amber', 'lunar', 'mossy', 'swift', 'sunny', 'misty', 'coral', 'velvet'];
const GUEST_NOUNS = ['mayfly', 'heron', 'otter', 'finch', 'lynx', 'comet', 'maple', 'pebble', 'fern', 'wren'];
export function guestName(): string {
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)]!;
  return `${pick(GUEST_ADJECTIVES)}-${pick(GUEST_NOUNS)}-${Math.floor(Math.random() * 900 + 100)}`;
}

export class RoomService {
  private timers: RoomTimers;
  /** Bounds password hashes and checks running at once (accounts use it through passwordWork). */
  private passwordGate: PasswordGate;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  /** Accounts joining a room here now (joinAccount), by room and token. */
  private accountJoins = new Map<string, Promise<Member>>();

  constructor(private deps: ServiceDeps) {
    const { config } = deps;
    this.timers = new RoomTimers((id) => void this.expireIfDue(id).catch((e) => this.warn('expire failed', id, e)));
    this.passwordGate = new PasswordGate(config.PASSWORD_CONCURRENCY);
    // A room that ended on another instance (heard of here when this instance serves sockets in it)
    // is forgotten here too: no timer, no more sweeps.
    deps.broker.onEvent((roomId, event) => {
      if (event.type === 'room_expired' || event.type === 'room_destroyed') this.timers.cancel(roomId);
      // The owner gave the room more time (maybe through another instance): this instance's timer follows.
      if (event.type === 'room_extended') this.timers.move(roomId, Date.parse(event.expires_at));
    });
  }

  /** Schedules expiry of rooms that already exist and starts the presence sweep. */
  async start(): Promise<void> {
    for (const id of await this.deps.store.listRoomIds()) {
      const room = await this.deps.store.getRoom(id);
      if (room) this.timers.schedule(room);
      else await this.deps.store.deleteRoom(id);
    }
    const every = Math.max(1000, Math.min(5000, (this.deps.config.PRESENCE_GRACE_SECONDS * 1000) / 3));
    this.sweeper = setInterval(() => void this.sweep().catch((e) => this.warn('sweep failed', '', e)), every);
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.timers.clear();
  }

  private warn(msg: string, roomId: string, e: unknown) {
    this.deps.log.warn(msg, { room_id: roomId, error: e instanceof Error ? e.message : String(e) });
  }

  private leaseUntil(presence: Presence): number {
    const grace = this.deps.config.PRESENCE_GRACE_SECONDS * 1000;
    return Date.now() + (presence === 'api' ? grace * 4 : grace);
  }

  /**
   * memberToken: the owner's member token when the owner joins, from the new room's id (a dialect derives it);
   * a new random one otherwise. locked: nobody gets in but those let in past the lock (the lounge).
   */
  async create(
    input: CreateRoomInput,
    opts: { ownerJoins: boolean; verifiedAs?: string; address: string; memberToken?: (roomId: string) => string; locked?: boolean },
  ): Promise<{ room: Room; ownerToken: string; owner: Member | null }> {
    const { config } = this.deps;
    await this.limit('create', opts.address, opts.address, 'rate_limited', 'You are creating rooms too fast; wait a minute.');
    const password = input.password;
    const now = Date.now();
    const ownerToken = nanoid(32);
    const expiry = input.expiry_seconds ?? config.DEFAULT_EXPIRY_SECONDS;
    const room: Room = {
      id: roomId(),
      name: input.name,
      ownerName: input.owner_name,
      createdAt: now,
      expiresAt: now + expiry * 1000,
      maxUsers: input.max_users ?? config.DEFAULT_MAX_USERS,
      idleSeconds: input.idle_seconds ?? null,
      passwordHash: password ? await this.passwordWork(opts.address, () => Bun.password.hash(password, { algorithm: 'argon2id' })) : null,
      ownerTokenHash: hashToken(ownerToken),
      locked: opts.locked ?? false,
      approveJoins: input.approve_joins ?? false,
      e2e: input.e2e ?? false,
    };
    const verified = opts.ownerJoins ? await this.checkName(input.owner_name, opts.verifiedAs) : false;
    await this.deps.store.createRoom(room);
    this.timers.schedule(room);
    let owner: Member | null = null;
    if (opts.ownerJoins) {
      owner = await this.admit(room, input.owner_name, { owner: true, verified, guest: false }, 'page', true, opts.memberToken?.(room.id));
    }
    this.deps.log.info('room created', {
      room_id: room.id,
      expiry_seconds: expiry,
      max_users: room.maxUsers,
      password: !!room.passwordHash,
      approve_joins: !!room.approveJoins,
      e2e: !!room.e2e,
    });
    return { room, ownerToken, owner };
  }

  /** The room, or null when it is gone; arms this instance's expiry timer for it. */
  async find(roomId: string): Promise<Room | null> {
    const room = await this.deps.store.getRoom(roomId);
    if (room) this.timers.schedule(room);
    else this.timers.cancel(roomId); // it ended (maybe elsewhere): nothing left here to expire or sweep
    return room;
  }

  async get(roomId: string): Promise<Room> {
    const room = await this.find(roomId);
    if (!room) throw new RoomError('not_found');
    return room;
  }

  /** True when the name is the signed-in account's own (verified); refuses another account's name. */
  private async checkName(username: string, verifiedAs?: string): Promise<boolean> {
    if (verifiedAs && nameKey(verifiedAs) === nameKey(username)) return true;
    if (this.deps.isReservedName && (await this.deps.isReservedName(username))) throw new RoomError('name_reserved');
    return false;
  }

  /** Counts one try against a limit; refuses with `code` (and when to retry) once it is used up. */
  private async limit(name: LimitName, key: string, address: string, code: ErrorCode, message?: string): Promise<void> {
    const res = await this.deps.limits.consume(name, key, address);
    if (!res.ok) throw limited(code, res.retryAfterMs, message);
  }

  /**
   * Password hashing and checking (argon2, slow on purpose): counted per client address and run
   * a few at a time, so a flood of attempts cannot take every core.
   */
  async passwordWork<T>(address: string, work: () => Promise<T>): Promise<T> {
    await this.limit('passwordChecks', address, address, 'too_many_password_checks');
    const done = await this.passwordGate.run(work);
    if (!done) throw new RoomError('busy');
    return done.value;
  }

  /**
   * Checks a room password. Wrong guesses count per room and client address, so one guesser
   * cannot lock the room for everyone, and per room under a higher ceiling (many guessers).
   */
  async checkPassword(room: Room, password: string | undefined, address: string): Promise<void> {
    if (!room.passwordHash) return;
    const mine = `${room.id}|${address}`;
    for (const [name, key] of [
      ['password', mine],
      ['passwordRoom', room.id],
    ] as const) {
      const res = await this.deps.limits.check(name, key);
      if (!res.ok) throw limited('password_guessing', res.retryAfterMs);
    }
    const hash = room.passwordHash;
    if (!password || !(await this.passwordWork(address, () => Bun.password.verify(password, hash)))) {
      await Promise.all([this.deps.limits.consume('password', mine), this.deps.limits.consume('passwordRoom', room.id)]);
      throw new RoomError('wrong_password');
    }
  }

  /**
   * Joins a room; in a room that asks its owner, asks instead: the member returned then carries
   * identity.request, and its token admits them once the owner approves.
   */
  async join(
    roomId: string,
    input: JoinInput,
    opts: { verifiedAs?: string; address: string; token?: string },
    presence: Presence = 'api',
  ): Promise<Member> {
    await this.limit('join', opts.address, opts.address, 'rate_limited', TOO_MANY_JOINS);
    const room = await this.get(roomId);
    await this.checkPassword(room, input.password, opts.address);
    if (room.locked) throw new RoomError('room_locked');
    const verified = await this.checkName(input.username, opts.verifiedAs);
    const flags = { owner: false, verified, guest: false };
    if (room.approveJoins) return this.ask(room, input.username, flags, opts.token);
    try {
      return await this.admit(room, input.username, flags, presence, flags.owner, opts.token);
    } catch (err) {
      // The owner turned approval on meanwhile: ask, then.
      if (err instanceof RoomError && err.code === 'unauthorized') return this.ask(room, input.username, flags, opts.token);
      throw err;
    }
  }

  /** A request to join: stored (no seat) and shown to the owner, who approves or denies it. */
  private async ask(room: Room, username: string, flags: Omit<Identity, 'memberId' | 'username'>, token = nanoid(32)): Promise<Member> {
    const now = Date.now();
    const tokenHash = hashToken(token);
    // The request's id is the member id the asker gets once approved (so their token can still ask about it).
    const memberId = nanoid(12);
    const request: JoinRequest = { id: memberId, status: 'pending', at: now, until: now + this.deps.config.JOIN_REQUEST_SECONDS * 1000 };
    const identity: Identity = { memberId, username, ...flags, request };
    // The store checks the name (nobody here or waiting has it) and the number waiting, atomically.
    const stored = await this.deps.store.putIdentity(room.id, tokenHash, identity, { maxWaiting: MAX_PENDING_REQUESTS });
    if (stored === 'too_many') throw new RoomError('too_many_requests');
    if (stored !== 'ok') throw claimError(stored);
    await this.publish(
      room.id,
      ownerEvent<JoinRequestEvent>(room.id, {
        type: 'join_request',
        request_id: request.id,
        username,
        expires_at: new Date(request.until).toISOString(),
      }),
    );
    return { token, tokenHash, identity };
  }

  /** A WebSocket guest of a passwordless room: a seat while its socket is open. */
  async joinGuest(room: Room, username: string | undefined, address: string): Promise<Member> {
    if (room.passwordHash) throw new RoomError('unauthorized');
    if (room.locked) throw new RoomError('room_locked');
    await this.limit('join', address, address, 'rate_limited', TOO_MANY_JOINS);
    const name = username ?? guestName();
    await this.checkName(name);
    return this.admit(room, name, { owner: false, verified: false, guest: true }, 'socket');
  }

  /**
   * A signed-in account joins a room that admits accounts themselves (the Chatterbox lounge): past its lock,
   * its name verified, under the token the caller derived for that account (so it is the same member on
   * every connection). One join at a time per token here: a second socket opening at once finds the first's.
   */
  async joinAccount(room: Room, username: string, token: string, address: string, presence: Presence = 'socket'): Promise<Member> {
    const key = `${room.id}|${token}`;
    let pending = this.accountJoins.get(key);
    if (!pending) {
      pending = (async () => {
        const held = await this.authenticate(room.id, token);
        if (held) return held;
        await this.limit('join', address, address, 'rate_limited', TOO_MANY_JOINS);
        return this.admit(room, username, { owner: false, verified: true, guest: false }, presence, true, token);
      })().finally(() => this.accountJoins.delete(key));
      this.accountJoins.set(key, pending);
    }
    return pending;
  }

  /**
   * A new member with a seat; `admitted`: let in by the owner (creating the room, or approving), past a lock or approval.
   * token: the member's token when a dialect derives it; a new random one otherwise.
   */
  private async admit(
    room: Room,
    username: string,
    flags: Omit<Identity, 'memberId' | 'username'>,
    presence: Presence,
    admitted = flags.owner,
    token = nanoid(32),
  ): Promise<Member> {
    const tokenHash = hashToken(token);
    // Spelled out, not spread: kept as long as the member, and a spread adds a second allocation.
    const identity: Identity = { memberId: nanoid(12), username, owner: flags.owner, verified: flags.verified, guest: flags.guest };
    const claim = await this.deps.store.join(room.id, tokenHash, identity, this.leaseUntil(presence), admitted);
    if (!claim.ok) throw claimError(claim.reason);
    if (claim.fresh) await this.publish(room.id, presenceEvent(room.id, 'user_joined', username, claim.users));
    const member = { token, tokenHash, identity };
    return (await this.claimVacancy(room, member)) ?? member;
  }

  /**
   * Nobody owns the room (its owner left with nobody else here): the first to join owns it, so a room
   * with people in it always has an owner. Guests, who leave with their socket, do not. The member as
   * owner, or null when nothing changed.
   */
  private async claimVacancy(room: Room, member: Member): Promise<Member | null> {
    if (room.ownerName !== '' || room.ownerTokenHash || member.identity.owner || member.identity.guest) return null;
    const current = await this.deps.store.getRoom(room.id);
    if (current?.ownerName !== '' || !(await this.deps.store.transferOwner(room.id, member.tokenHash))) return null;
    await this.publish(room.id, this.ownerChanged(member.identity.username, member.identity.memberId, null, 'unowned', room.id));
    return { ...member, identity: { ...member.identity, owner: true } };
  }

  /** Whoever holds the token: a member, someone asking to join (identity.request), or null. */
  async holder(roomId: string, token: string | undefined | null): Promise<Member | null> {
    if (!token) return null;
    const tokenHash = hashToken(token);
    const identity = await this.deps.store.identity(roomId, tokenHash);
    return identity ? { token, tokenHash, identity } : null;
  }

  /** The member a token belongs to, or null (also for someone still asking to join). */
  async authenticate(roomId: string, token: string | undefined | null): Promise<Member | null> {
    const holder = await this.holder(roomId, token);
    return holder && !holder.identity.request ? holder : null;
  }

  /** Where the request to join of this token's holder stands; null when they are no asker. */
  requestStatus(holder: Member | null): RequestStatus | null {
    const request = holder?.identity.request;
    if (!holder || !request) return null;
    const status = request.status === 'denied' ? 'denied' : request.until <= Date.now() ? 'expired' : 'pending';
    return { requestId: request.id, username: holder.identity.username, status, until: request.until };
  }

  /** Why a token that is not a member's is refused: waiting, denied or lapsed; else `fallback`. */
  refusalFor(holder: Member | null, fallback: RoomError = new RoomError('unauthorized')): RoomError {
    const status = this.requestStatus(holder)?.status;
    if (status === 'pending') return new RoomError('pending_approval');
    if (status === 'denied') return new RoomError('join_denied');
    if (status === 'expired') return new RoomError('request_expired');
    return fallback;
  }

  /** True while the token (by its hash) still belongs to a member: not after they left or were removed. */
  async isMember(roomId: string, tokenHash: string): Promise<boolean> {
    const identity = await this.deps.store.identity(roomId, tokenHash);
    return identity !== null && !identity.request;
  }

  /** Makes sure the member holds a seat (it may have lapsed while away) and extends it. */
  async present(roomId: string, member: Member, presence: Presence): Promise<void> {
    const claim = await this.deps.store.claimSeat(roomId, member.tokenHash, this.leaseUntil(presence));
    if (!claim.ok) throw claimError(claim.reason);
    if (claim.fresh) await this.publish(roomId, presenceEvent(roomId, 'user_joined', member.identity.username, claim.users));
  }

  /**
   * A socket of this member opened: it holds the seat from now, with the socket lease (renewed
   * while connected), shortened from a longer HTTP one so a crash frees the seat after the grace
   * period. A seat that lapsed is taken again (announced as a join).
   */
  async connected(roomId: string, member: Member): Promise<void> {
    if (await this.deps.store.setSeatLease(roomId, member.tokenHash, this.leaseUntil('socket'))) return;
    await this.present(roomId, member, 'socket');
  }

  /** A socket of this member closed; guests leave at once, members keep their seat for the grace period. */
  async disconnected(roomId: string, member: Member): Promise<void> {
    if (member.identity.guest) await this.release(roomId, member);
  }

  /**
   * Leaves the room (someone still asking to join withdraws). An owner who leaves hands the room to the
   * member present longest, so a room with people in it always has an owner.
   */
  async leave(roomId: string, member: Member): Promise<void> {
    const stored = await this.deps.store.identity(roomId, member.tokenHash);
    const wasOwner = stored?.owner === true;
    await this.removeMember(roomId, member, 'left');
    const request = stored?.request;
    if (request?.status === 'pending') {
      const closed = { type: 'join_request_closed', request_id: request.id, username: stored!.username, status: 'withdrawn' } as const;
      await this.publish(roomId, ownerEvent<JoinRequestClosedEvent>(roomId, closed));
    }
    if (!wasOwner) return;
    const next = (await this.deps.store.seats(roomId, Date.now())).find((s) => s.tokenHash !== member.tokenHash);
    if (!next) {
      await this.deps.store.transferOwner(roomId, null); // nobody here: the next to join owns the room
      return;
    }
    if (await this.deps.store.transferOwner(roomId, next.tokenHash)) {
      await this.publish(roomId, this.ownerChanged(next.username, next.memberId, member.identity.username, 'owner_left', roomId));
    }
  }

  private ownerChanged(username: string, memberId: string, previous: string | null, reason: OwnerEvent['reason'], roomId: string) {
    return ownerEvent<OwnerEvent>(roomId, { type: 'owner_changed', username, member_id: memberId, previous, reason });
  }

  /**
   * Ends a member's presence (leave; kick): seat and identity go, everyone is told, and every socket
   * of theirs closes, on every instance (the member_removed event; the hub closes them).
   */
  async removeMember(roomId: string, member: Member, reason: RemovalReason): Promise<void> {
    await this.release(roomId, member, () => this.publish(roomId, memberRemovedEvent(roomId, member.identity.memberId, reason)));
  }

  /** Gives up the seat and the identity; `then` runs once they are gone, before the departure is announced. */
  private async release(roomId: string, member: Member, then?: () => Promise<void>): Promise<void> {
    const left = await this.deps.store.releaseSeat(roomId, member.tokenHash, true);
    if (then) await then();
    if (left) await this.publish(roomId, presenceEvent(roomId, 'user_left', left.username, left.users));
  }

  /** Posts a message; `address` is the sender's client address (messages are limited per member and per address). */
  async post(roomId: string, member: Member, content: string, address: string): Promise<Message> {
    // On every message: an answer that needs no wait (an exempt address) is taken without one.
    const byMember = this.deps.limits.consume('message', member.identity.memberId, address);
    const byAddress = this.deps.limits.consume('messageAddress', address, address);
    for (const answer of [byMember, byAddress]) {
      const res = answer instanceof Promise ? await answer : answer;
      if (!res.ok) throw limited('too_many_messages', res.retryAfterMs);
    }
    const message = await this.deps.store.appendMessage(
      roomId,
      {
        id: messageId(),
        username: member.identity.username,
        memberId: member.identity.memberId,
        content,
        timestamp: isoNow(),
        verified: member.identity.verified,
      },
      this.deps.config.HISTORY_LIMIT,
    );
    if (!message) throw new RoomError('not_found');
    this.deps.accepted?.();
    if (!this.deps.store.publishesMessages) await this.publish(roomId, messageEvent(roomId, message));
    return message;
  }

  async typing(roomId: string, member: Member): Promise<void> {
    await this.publish(roomId, typingEvent(roomId, member.identity.username, member.identity.memberId));
  }

  async users(roomId: string): Promise<string[]> {
    return (await this.deps.store.seats(roomId, Date.now())).map((s) => s.username);
  }

  async history(roomId: string, query: { afterSeq?: number; offset?: number; limit?: number }): Promise<Message[]> {
    const limit = Math.min(query.limit ?? this.deps.config.HISTORY_LIMIT, this.deps.config.HISTORY_LIMIT);
    return this.deps.store.messages(roomId, { ...query, limit, keep: this.deps.config.HISTORY_LIMIT });
  }

  /** Owner only: the room ends for everyone at once. */
  async destroy(roomId: string, by: Actor): Promise<void> {
    await this.requireOwner(await this.get(roomId), by);
    await this.end(roomId, 'room_destroyed');
  }

  async expire(roomId: string): Promise<void> {
    await this.end(roomId, 'room_expired');
  }

  /** The expiry timer fired: the room ends unless the owner gave it more time meanwhile (maybe elsewhere). */
  private async expireIfDue(roomId: string): Promise<void> {
    const room = await this.deps.store.getRoom(roomId);
    if (room) this.timers.schedule(room);
    else await this.expire(roomId);
  }

  // ---- The owner's controls. Each checks ownership in storage (it moves), changes the room
  // atomically there, and tells every instance through the broker.

  /** Checks that `by` owns the room now: a member whose stored identity is the owner's, or the API owner token. */
  async requireOwner(room: Room, by: Actor): Promise<{ member: Member | null }> {
    if (by.member) {
      const identity = await this.deps.store.identity(room.id, by.member.tokenHash);
      if (identity?.owner && !identity.request) return { member: { ...by.member, identity } };
    }
    if (by.ownerToken && room.ownerTokenHash && hashToken(by.ownerToken) === room.ownerTokenHash) return { member: null };
    throw new RoomError('forbidden');
  }

  /**
   * An owner's change to the room (not a read): owned by `by`, and within the owner's rate, which is the
   * message rate (MESSAGE_RATE, MESSAGE_BURST): each change tells everyone, as a message does.
   */
  private async ownerActs(room: Room, by: Actor): Promise<{ member: Member | null }> {
    const owner = await this.requireOwner(room, by);
    const res = await this.deps.limits.consume('message', `owner:${room.id}`);
    if (!res.ok) throw limited('rate_limited', res.retryAfterMs, 'You are changing the room too fast; wait a moment.');
    return owner;
  }

  /** Members (not askers) whose name is `username` by nameKey. */
  private async membersNamed(roomId: string, username: string) {
    const fold = nameKey(username);
    return (await this.deps.store.identities(roomId)).filter((i) => !i.identity.request && nameKey(i.identity.username) === fold);
  }

  /**
   * Removes a member: their sockets close (4403) on every instance, their token stops working, and
   * their name is barred from the room for the rest of its life. Everyone is told.
   */
  async kick(roomId: string, by: Actor, username: string): Promise<{ username: string }> {
    const room = await this.get(roomId);
    const { member: owner } = await this.ownerActs(room, by);
    const targets = await this.membersNamed(roomId, username);
    if (targets.some((t) => t.tokenHash === owner?.tokenHash || t.identity.owner)) {
      throw new RoomError('invalid_target', 'The owner cannot be removed: hand the room over first, or leave it.');
    }
    if (targets.length === 0) throw new RoomError('member_not_found');
    await this.deps.store.banName(roomId, nameKey(username));
    let users: string[] | null = null;
    for (const t of targets) {
      const left = await this.deps.store.releaseSeat(roomId, t.tokenHash, true);
      if (left) users = left.users;
      await this.publish(roomId, memberRemovedEvent(roomId, t.identity.memberId, 'kicked'));
    }
    const name = targets[0]!.identity.username;
    await this.publish(
      roomId,
      ownerEvent<KickEvent>(roomId, { type: 'user_kicked', username: name, users: users ?? (await this.users(roomId)) }),
    );
    this.deps.log.info('member removed by the owner', { room_id: roomId });
    return { username: name };
  }

  /** Locks (nobody new gets in, members keep chatting) or unlocks the room. */
  async setLocked(roomId: string, by: Actor, locked: boolean): Promise<void> {
    const room = await this.get(roomId);
    await this.ownerActs(room, by);
    if (!(await this.deps.store.setRoomFlags(roomId, { locked }))) throw new RoomError('not_found');
    if (!!room.locked !== locked)
      await this.publish(roomId, ownerEvent<LockEvent>(roomId, { type: locked ? 'room_locked' : 'room_unlocked' }));
  }

  /** Turns approval of each join on or off. Requests already waiting stay for the owner to answer. */
  async setApproval(roomId: string, by: Actor, approveJoins: boolean): Promise<void> {
    const room = await this.get(roomId);
    await this.ownerActs(room, by);
    if (!(await this.deps.store.setRoomFlags(roomId, { approveJoins }))) throw new RoomError('not_found');
    if (!!room.approveJoins !== approveJoins) {
      await this.publish(roomId, ownerEvent<ApprovalEvent>(roomId, { type: 'approval_changed', approve_joins: approveJoins }));
    }
  }

  /** The latest a room may last to: MAX_EXPIRY_SECONDS from its creation. */
  latestExpiry(room: Room): number {
    return room.createdAt + this.deps.config.MAX_EXPIRY_SECONDS * 1000;
  }

  /** Adds time, up to MAX_EXPIRY_SECONDS from creation; every countdown and every instance's timer follows. */
  async extend(roomId: string, by: Actor, seconds: number): Promise<Room> {
    const room = await this.get(roomId);
    await this.ownerActs(room, by);
    const latest = this.latestExpiry(room);
    if (room.expiresAt >= latest) {
      throw new RoomError(
        'extend_limit',
        `This room already lasts as long as a room can: ${this.deps.config.MAX_EXPIRY_SECONDS} seconds from its creation.`,
      );
    }
    const expiresAt = await this.deps.store.extendRoom(roomId, seconds * 1000, latest);
    if (expiresAt === null) throw new RoomError('not_found');
    const extended = { ...room, expiresAt };
    this.timers.schedule(extended);
    await this.publish(roomId, ownerEvent<ExtendEvent>(roomId, { type: 'room_extended', expires_at: new Date(expiresAt).toISOString() }));
    this.deps.log.info('room extended', { room_id: roomId, expires_in_seconds: Math.round((expiresAt - Date.now()) / 1000) });
    return extended;
  }

  /**
   * A room kept alive by the system while in use (the Chatterbox lounge): its end moves to `seconds` from now,
   * never past MAX_EXPIRY_SECONDS from its creation, nor earlier. Everyone (every instance's timer, every
   * countdown) hears of it as `room_extended`. Null when the room is gone.
   */
  async renew(roomId: string, seconds: number): Promise<Room | null> {
    const room = await this.find(roomId);
    if (!room) return null;
    const until = Math.min(Date.now() + seconds * 1000, this.latestExpiry(room));
    if (until <= room.expiresAt) return room;
    const expiresAt = await this.deps.store.extendRoom(roomId, until - room.expiresAt, until);
    if (expiresAt === null) return null;
    const renewed = { ...room, expiresAt };
    this.timers.schedule(renewed);
    await this.publish(roomId, ownerEvent<ExtendEvent>(roomId, { type: 'room_extended', expires_at: new Date(expiresAt).toISOString() }));
    return renewed;
  }

  /** Makes another member the owner; the one who handed it over (and the API owner token) no longer is. */
  async handOver(roomId: string, by: Actor, username: string): Promise<{ username: string }> {
    const room = await this.get(roomId);
    const { member: owner } = await this.ownerActs(room, by);
    const seated = new Set((await this.deps.store.seats(roomId, Date.now())).map((s) => s.tokenHash));
    // A member here now, before one whose seat lapsed (who may share the name).
    const [target] = (await this.membersNamed(roomId, username)).sort(
      (a, b) => Number(seated.has(b.tokenHash)) - Number(seated.has(a.tokenHash)),
    );
    if (!target) throw new RoomError('member_not_found');
    if (target.tokenHash === owner?.tokenHash) throw new RoomError('invalid_target', 'You already own this room.');
    if (!(await this.deps.store.transferOwner(roomId, target.tokenHash))) throw new RoomError('member_not_found');
    await this.publish(
      roomId,
      this.ownerChanged(
        target.identity.username,
        target.identity.memberId,
        owner?.identity.username ?? (room.ownerName || null),
        'handed_over',
        roomId,
      ),
    );
    return { username: target.identity.username };
  }

  /** Requests to join still waiting for the owner, oldest first. */
  async requests(roomId: string, by: Actor): Promise<RequestStatus[]> {
    await this.requireOwner(await this.get(roomId), by);
    return (await this.deps.store.identities(roomId))
      .map(({ tokenHash, identity }) => this.requestStatus({ token: '', tokenHash, identity }))
      .filter((r): r is RequestStatus => r?.status === 'pending')
      .sort((a, b) => a.until - b.until);
  }

  /** Approves (the asker becomes a member, past a lock) or denies a request to join. */
  async decide(roomId: string, by: Actor, requestId: string, approve: boolean): Promise<RequestStatus> {
    await this.ownerActs(await this.get(roomId), by);
    const found = (await this.deps.store.identities(roomId)).find((i) => i.identity.request?.id === requestId);
    const request = found?.identity.request;
    if (!found || !request || request.status !== 'pending') throw new RoomError('request_not_found');
    if (request.until <= Date.now()) throw new RoomError('request_not_found', 'That request lapsed unanswered; they can ask again.');
    const { request: _, ...member } = found.identity;
    const username = member.username;
    if (approve) {
      // A seat now, held a while: they arrive when their waiting page notices.
      // Atomically: only while the request is still waiting (one answer, whichever instance gives it).
      const claim = await this.deps.store.join(roomId, found.tokenHash, member, this.leaseUntil('api'), true, requestId);
      if (!claim.ok) throw claimError(claim.reason);
      if (claim.fresh) await this.publish(roomId, presenceEvent(roomId, 'user_joined', username, claim.users));
    } else {
      const denied = { ...found.identity, request: { ...request, status: 'denied' as const } };
      const stored = await this.deps.store.putIdentity(roomId, found.tokenHash, denied, { request: requestId });
      if (stored !== 'ok') throw stored === 'answered' ? claimError('answered') : new RoomError('not_found');
    }
    const status = approve ? 'approved' : 'denied';
    await this.publish(
      roomId,
      ownerEvent<JoinRequestClosedEvent>(roomId, { type: 'join_request_closed', request_id: requestId, username, status }),
    );
    return { requestId, username, status, until: request.until };
  }

  /** Deletes the room; only the caller whose delete removed it announces the end (exactly once). */
  private async end(roomId: string, type: 'room_expired' | 'room_destroyed'): Promise<void> {
    this.timers.cancel(roomId);
    if (await this.deps.store.deleteRoom(roomId)) {
      this.deps.log.info(type === 'room_expired' ? 'room expired' : 'room destroyed', { room_id: roomId });
      await this.publish(roomId, endEvent(roomId, type));
    }
  }

  private publish(roomId: string, event: Parameters<Broker['publish']>[1]) {
    return this.deps.broker.publish(roomId, event);
  }

  /** How many rooms this instance keeps an expiry timer for (and sweeps). */
  trackedRoomCount(): number {
    return this.timers.roomIds().length;
  }

  /** Renews seats of connected members, removes lapsed ones, and ends rooms empty for too long. */
  async sweep(): Promise<void> {
    const now = Date.now();
    const connected = this.deps.connectedTokens();
    const until = this.leaseUntil('socket');
    for (const [roomId, tokens] of connected) await this.deps.store.renewSeats(roomId, tokens, until);
    const roomIds = new Set([...this.timers.roomIds(), ...connected.keys()]);
    for (const roomId of roomIds) {
      const { removed, users, gone } = await this.deps.store.sweepSeats(roomId, now);
      if (gone) {
        this.timers.cancel(roomId); // ended elsewhere: swept no more here
        continue;
      }
      for (const name of removed) await this.publish(roomId, presenceEvent(roomId, 'user_left', name, users));
      const idle = this.timers.idleSeconds(roomId);
      if (idle !== null && users.length === 0) {
        const since = await this.deps.store.emptySince(roomId);
        if (since !== null && now - since >= idle * 1000) await this.expire(roomId);
      }
    }
  }
}
