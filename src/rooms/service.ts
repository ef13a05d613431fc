// The room domain: create, join, post, leave, destroy and expire rooms; every change goes out through the broker.
import { nanoid } from 'nanoid';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Broker } from '../realtime/broker.ts';
import { endEvent, memberRemovedEvent, messageEvent, presenceEvent, type RemovalReason, typingEvent } from '../realtime/events.ts';
import type { RoomStore } from '../storage/store.ts';
import { type ErrorCode, limited, RoomError } from './errors.ts';
import { type LimitName, type Limits, PasswordGate } from './limits.ts';
import { nameKey } from './names.ts';
import { RoomTimers } from './timers.ts';
import type { CreateRoomInput, JoinInput } from './schema.ts';
import type { Identity, Message, Room } from './types.ts';

const TOO_MANY_JOINS = 'Too many joins from your address; wait a minute.';

export type Member = { token: string; tokenHash: string; identity: Identity };

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

export const hashToken = (token: string) => new Bun.CryptoHasher('sha256').update(token).digest('hex');

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

  constructor(private deps: ServiceDeps) {
    const { config } = deps;
    this.timers = new RoomTimers((id) => void this.expire(id).catch((e) => this.warn('expire failed', id, e)));
    this.passwordGate = new PasswordGate(config.PASSWORD_CONCURRENCY);
    // A room that ended on another instance (heard of here when this instance serves sockets in it)
    // is forgotten here too: no timer, no more sweeps.
    deps.broker.onEvent((roomId, event) => {
      if (event.type === 'room_expired' || event.type === 'room_destroyed') this.timers.cancel(roomId);
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

  async create(
    input: CreateRoomInput,
    opts: { ownerJoins: boolean; verifiedAs?: string; address: string },
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
    };
    const verified = opts.ownerJoins ? await this.checkName(input.owner_name, opts.verifiedAs) : false;
    await this.deps.store.createRoom(room);
    this.timers.schedule(room);
    let owner: Member | null = null;
    if (opts.ownerJoins) owner = await this.admit(room, input.owner_name, { owner: true, verified, guest: false }, 'page');
    this.deps.log.info('room created', {
      room_id: room.id,
      expiry_seconds: expiry,
      max_users: room.maxUsers,
      password: !!room.passwordHash,
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

  async join(
    roomId: string,
    input: JoinInput,
    opts: { verifiedAs?: string; address: string },
    presence: Presence = 'api',
  ): Promise<Member> {
    await this.limit('join', opts.address, opts.address, 'rate_limited', TOO_MANY_JOINS);
    const room = await this.get(roomId);
    await this.checkPassword(room, input.password, opts.address);
    const verified = await this.checkName(input.username, opts.verifiedAs);
    return this.admit(room, input.username, { owner: false, verified, guest: false }, presence);
  }

  /** A WebSocket guest of a passwordless room: a seat while its socket is open. */
  async joinGuest(room: Room, username: string | undefined, address: string): Promise<Member> {
    if (room.passwordHash) throw new RoomError('unauthorized');
    await this.limit('join', address, address, 'rate_limited', TOO_MANY_JOINS);
    const name = username ?? guestName();
    await this.checkName(name);
    return this.admit(room, name, { owner: false, verified: false, guest: true }, 'socket');
  }

  private async admit(room: Room, username: string, flags: Omit<Identity, 'memberId' | 'username'>, presence: Presence): Promise<Member> {
    const token = nanoid(32);
    const tokenHash = hashToken(token);
    const identity: Identity = { memberId: nanoid(12), username, ...flags };
    const claim = await this.deps.store.join(room.id, tokenHash, identity, this.leaseUntil(presence));
    if (!claim.ok) throw new RoomError(claim.reason === 'full' ? 'room_full' : claim.reason === 'taken' ? 'name_taken' : 'not_found');
    if (claim.fresh) await this.publish(room.id, presenceEvent(room.id, 'user_joined', username, claim.users));
    return { token, tokenHash, identity };
  }

  /** The member a token belongs to, or null. */
  async authenticate(roomId: string, token: string | undefined | null): Promise<Member | null> {
    if (!token) return null;
    const tokenHash = hashToken(token);
    const identity = await this.deps.store.identity(roomId, tokenHash);
    return identity ? { token, tokenHash, identity } : null;
  }

  /** True while the token (by its hash) still belongs to a member: not after they left. */
  async isMember(roomId: string, tokenHash: string): Promise<boolean> {
    return (await this.deps.store.identity(roomId, tokenHash)) !== null;
  }

  /** Makes sure the member holds a seat (it may have lapsed while away) and extends it. */
  async present(roomId: string, member: Member, presence: Presence): Promise<void> {
    const claim = await this.deps.store.claimSeat(roomId, member.tokenHash, this.leaseUntil(presence));
    if (!claim.ok) {
      throw new RoomError(
        claim.reason === 'full'
          ? 'room_full'
          : claim.reason === 'taken'
            ? 'name_taken'
            : claim.reason === 'unknown'
              ? 'unauthorized'
              : 'not_found',
      );
    }
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

  async leave(roomId: string, member: Member): Promise<void> {
    await this.removeMember(roomId, member, 'left');
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
    return this.deps.store.messages(roomId, { ...query, limit });
  }

  /** Owner only: the room ends for everyone at once. */
  async destroy(roomId: string, by: { member?: Member | null; ownerToken?: string | null }): Promise<void> {
    const room = await this.get(roomId);
    const isOwner =
      (by.member?.identity.owner ?? false) ||
      (!!by.ownerToken && !!room.ownerTokenHash && hashToken(by.ownerToken) === room.ownerTokenHash);
    if (!isOwner) throw new RoomError('forbidden');
    await this.end(roomId, 'room_destroyed');
  }

  async expire(roomId: string): Promise<void> {
    await this.end(roomId, 'room_expired');
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
