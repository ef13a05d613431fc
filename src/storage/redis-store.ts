// RoomStore on Redis: each room in a few keys, changed by Lua scripts, so seat limits, unique names, the
// owner's controls (lock, approval, barred names, a new owner, more time) and message sequence numbers
// hold across every instance.
import type { Cluster, Redis } from 'ioredis';
import type { Storage } from 'unstorage';
import { keySlot } from './slot.ts';
import { nameKey } from '../rooms/names.ts';
import type { Identity, Message, MessageDraft, Room, Seat, SeatClaim } from '../rooms/types.ts';
import {
  type HistoryQuery,
  type PutIdentityOptions,
  type PutIdentityResult,
  type RoomFlags,
  type RoomStore,
  StorageBusyError,
  storageError,
} from './store.ts';
import { messageFromEventJson } from '../realtime/events.ts';

/** Keys outlive the room a little, so the instance that ends it still finds them to announce it. */
const KEY_MARGIN_MS = 60_000;

/**
 * Every key of a room carries the hash tag {roomId}: on a Redis Cluster they all live in one slot (so
 * one script may change them together), and its pub/sub channel (`roomChannel`) hashes there too.
 */
export const roomKeys = (prefix: string, id: string) => ({
  state: `${prefix}:room:{${id}}:state`,
  seats: `${prefix}:room:{${id}}:seats`,
  members: `${prefix}:room:{${id}}:members`,
  msgs: `${prefix}:room:{${id}}:msgs`,
  banned: `${prefix}:room:{${id}}:banned`,
});

/**
 * The state hash holds the room: its record as JSON in `room` (what never changes), and beside it the
 * fields that change or that scripts read (expiresAt, maxUsers, locked, approve, ownerName, ownerTokenHash),
 * with seq, arrivals, emptySince and listeners.
 */
const ROOM_FIELDS = ['room', 'expiresAt', 'locked', 'approve', 'ownerName', 'ownerTokenHash'] as const;

// Shared Lua: the live seats of a room (lease not run out), in order of arrival.
const LIVE_SEATS = `
local function live_seats(seats_key, now, skip)
  local raw = redis.call('HGETALL', seats_key)
  local out = {}
  for i = 1, #raw, 2 do
    if raw[i] ~= skip then
      local s = cjson.decode(raw[i + 1])
      if s.leaseUntil > now then s.token = raw[i]; table.insert(out, s) end
    end
  end
  table.sort(out, function(a, b) return a.since < b.since end)
  return out
end
local function names(list)
  local n = {}
  for _, s in ipairs(list) do table.insert(n, s.username) end
  return table.concat(n, '\\n')
end
`;

// KEYS: state, seats, members, banned. ARGV: token, identity JSON ('' = use the stored one), lease, now,
// key margin ms, folded name, admitted ('1': the owner let them in, past a lock or approval), request id
// ('' or, approving a request: the stored identity must still be that waiting request, else 'answered').
const CLAIM = `${LIVE_SEATS}
local room = redis.call('HMGET', KEYS[1], 'expiresAt', 'locked', 'approve')
local exp = room[1]
local now = tonumber(ARGV[4])
if not exp or tonumber(exp) <= now then return {'gone'} end
if ARGV[8] ~= '' then
  local cur = redis.call('HGET', KEYS[3], ARGV[1])
  local req = cur and cjson.decode(cur).request
  if not req or req.id ~= ARGV[8] or req.status ~= 'pending' then return {'answered'} end
end
local identity = ARGV[2]
if identity == '' then
  identity = redis.call('HGET', KEYS[3], ARGV[1])
  if not identity then return {'unknown'} end
end
local ident = cjson.decode(identity)
if ARGV[2] == '' and ident.request then return {'unknown'} end
if redis.call('SISMEMBER', KEYS[4], ARGV[6]) == 1 then return {'banned'} end
if ARGV[2] ~= '' and ARGV[7] ~= '1' then
  if room[2] == '1' then return {'locked'} end
  if room[3] == '1' then return {'approval'} end
end
local lease = tonumber(ARGV[3])
local others = live_seats(KEYS[2], now, ARGV[1])
local mineRaw = redis.call('HGET', KEYS[2], ARGV[1])
if mineRaw then
  local mine = cjson.decode(mineRaw)
  if mine.leaseUntil > now then
    if lease > mine.leaseUntil then mine.leaseUntil = lease end
    redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(mine))
    mine.token = ARGV[1]
    table.insert(others, mine)
    table.sort(others, function(a, b) return a.since < b.since end)
    return {'ok', '0', names(others)}
  end
end
for _, s in ipairs(others) do
  if s.fold == ARGV[6] then return {'taken'} end
end
if #others >= tonumber(redis.call('HGET', KEYS[1], 'maxUsers')) then return {'full'} end
-- 'since' is an arrival counter, not a clock: two joins in one millisecond keep their order.
local seat = { memberId = ident.memberId, username = ident.username, fold = ARGV[6], leaseUntil = lease, since = redis.call('HINCRBY', KEYS[1], 'arrivals', 1) }
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(seat))
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
redis.call('HDEL', KEYS[1], 'emptySince')
redis.call('PEXPIREAT', KEYS[2], tonumber(exp) + tonumber(ARGV[5]))
redis.call('PEXPIREAT', KEYS[3], tonumber(exp) + tonumber(ARGV[5]))
table.insert(others, seat)
return {'ok', '1', names(others)}
`;

// KEYS: state, seats, members. ARGV: token, forget (1/0), now.
const RELEASE = `${LIVE_SEATS}
local raw = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[2] == '1' then redis.call('HDEL', KEYS[3], ARGV[1]) end
if not raw then return {} end
local now = tonumber(ARGV[3])
local rest = live_seats(KEYS[2], now, '')
if #rest == 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'emptySince', now) end
return {cjson.decode(raw).username, names(rest)}
`;

// KEYS: state, seats. ARGV: now. A third reply, '1', says the room is gone.
const SWEEP = `${LIVE_SEATS}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'', '', '1'} end
local now = tonumber(ARGV[1])
local raw = redis.call('HGETALL', KEYS[2])
local removed = {}
for i = 1, #raw, 2 do
  local s = cjson.decode(raw[i + 1])
  if s.leaseUntil <= now then
    redis.call('HDEL', KEYS[2], raw[i])
    table.insert(removed, s.username)
  end
end
local rest = live_seats(KEYS[2], now, '')
if #removed > 0 and #rest == 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'emptySince', now) end
return {table.concat(removed, '\\n'), names(rest)}
`;

// KEYS: seats. ARGV: lease, now, tokens...
const RENEW = `
local lease = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
for i = 3, #ARGV do
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local s = cjson.decode(raw)
    if s.leaseUntil > now and s.leaseUntil < lease then
      s.leaseUntil = lease
      redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(s))
    end
  end
end
return 1
`;

// KEYS: seats. ARGV: token, lease, now. Sets a live seat's lease exactly; 0 when there is none.
const SET_LEASE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local s = cjson.decode(raw)
if s.leaseUntil <= tonumber(ARGV[3]) then return 0 end
s.leaseUntil = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(s))
return 1
`;

// KEYS: state, members, banned, seats. ARGV: token, identity JSON, key margin ms, folded name, now, asking
// ('1': a pending request, refused for a barred name, a locked room, a name someone here or another
// waiting request has, or past max waiting), max waiting, request id ('' or, for a denial: the stored
// identity must still be that waiting request). Stores an identity with no seat.
const PUT_IDENTITY = `${LIVE_SEATS}
local room = redis.call('HMGET', KEYS[1], 'expiresAt', 'locked')
local now = tonumber(ARGV[5])
if not room[1] or tonumber(room[1]) <= now then return 'gone' end
if ARGV[8] ~= '' then
  local cur = redis.call('HGET', KEYS[2], ARGV[1])
  local req = cur and cjson.decode(cur).request
  if not req or req.id ~= ARGV[8] or req.status ~= 'pending' then return 'answered' end
end
if ARGV[6] == '1' then
  if redis.call('SISMEMBER', KEYS[3], ARGV[4]) == 1 then return 'banned' end
  if room[2] == '1' then return 'locked' end
  for _, s in ipairs(live_seats(KEYS[4], now, ARGV[1])) do
    if s.fold == ARGV[4] then return 'taken' end
  end
  local all = redis.call('HGETALL', KEYS[2])
  local waiting = 0
  for i = 1, #all, 2 do
    if all[i] ~= ARGV[1] then
      local req = cjson.decode(all[i + 1]).request
      if req and req.status == 'pending' and req['until'] > now then
        if req.fold == ARGV[4] then return 'taken' end
        waiting = waiting + 1
      end
    end
  end
  if waiting >= tonumber(ARGV[7]) then return 'too_many' end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], tonumber(room[1]) + tonumber(ARGV[3]))
return 'ok'
`;

// KEYS: state. ARGV: now, then field/value pairs. Sets fields of a live room; 0 when it is gone.
const SET_FIELDS = `
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if not exp or tonumber(exp) <= tonumber(ARGV[1]) then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

// KEYS: state, then the room's other keys. ARGV: by ms, latest, now, key margin ms. Moves the end later
// (never past latest) and every key's lifetime with it. Replies the new end, or 0 when the room is gone.
const EXTEND = `
local exp = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
if not exp or exp <= tonumber(ARGV[3]) then return 0 end
local new_exp = math.max(exp, math.min(exp + tonumber(ARGV[1]), tonumber(ARGV[2])))
if new_exp == exp then return tostring(exp) end
redis.call('HSET', KEYS[1], 'expiresAt', tostring(new_exp))
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIREAT', KEYS[i], new_exp + tonumber(ARGV[4])) end
end
return tostring(new_exp)
`;

// KEYS: state, members. ARGV: token ('' = nobody), now. The member of token becomes the owner and every
// other identity not; the room names them owner and forgets its API owner token. 0 when there is no such member.
const TRANSFER = `
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if not exp or tonumber(exp) <= tonumber(ARGV[2]) then return 0 end
local to = { username = '' }
if ARGV[1] ~= '' then
  local raw = redis.call('HGET', KEYS[2], ARGV[1])
  if not raw then return 0 end
  to = cjson.decode(raw)
  if to.request then return 0 end
end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local ident = cjson.decode(all[i + 1])
  local owner = all[i] == ARGV[1]
  if ident.owner ~= owner then
    ident.owner = owner
    redis.call('HSET', KEYS[2], all[i], cjson.encode(ident))
  end
end
redis.call('HSET', KEYS[1], 'ownerName', to.username, 'ownerTokenHash', '')
return 1
`;

// KEYS: state, banned. ARGV: folded name, key margin ms. Bars the name for the rest of the room's life.
const BAN = `
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if not exp then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[2], tonumber(exp) + tonumber(ARGV[2]))
return 1
`;

// Appends a batch of messages (any rooms) and publishes each one's event, in one round trip.
// ARGV: history limit, now, key margin ms, key prefix, and the batch as one string (one argument,
// not four per message: encoding thousands of arguments was the client's biggest cost). Each line
// is `<mode><room id>\t<event JSON without seq>\n` (JSON never holds a raw tab or newline); the
// script splices the seq in and history keeps that JSON. Modes: 'p' publish on the room's channel;
// 'l' the caller listens on the channel: if no other instance does, nothing is published and the
// seq comes back negative, for the caller to deliver the message itself (sparing Redis and every
// instance the trip). Who listens is read from the room's `listeners` field (instance ids, comma-
// separated), which instances join after their subscription is confirmed and leave before they
// unsubscribe, over this same connection: so it never misses a listener for a script that runs
// after it. ARGV[6] is the caller's instance id. Replies with the seqs joined by commas (in the
// batch's order), 0 for a room that is gone.
// The lines are grouped by room first: a room with k messages in the batch costs one HMGET, one
// HINCRBY by k and one RPUSH of k values, not k of each (under load a batch holds several of a
// busy room's messages). A room's messages keep their order, so every instance receives them in
// seq order. Each room's existence is checked: a message for an expired room must not recreate its keys.
// History is trimmed once it holds a quarter more than its limit, not on every message: dropping
// the oldest entry costs about as much as the append itself. Reads take only the newest `limit`.
// The keys are built here from the room ids. On standalone Redis a batch spans any rooms; on a
// Redis Cluster every room of one call shares a slot, the call declares their keys (KEYS: each
// room's state and msgs, for routing and Redis's same-slot check) and ARGV[7] = 's' publishes with
// SPUBLISH on the room's shard channel.
export const APPEND_BATCH = `
local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local margin = tonumber(ARGV[3])
local prefix = ARGV[4]
local batch = ARGV[5]
local me = ARGV[6]
local slack = math.floor(limit / 4)
-- On a Redis Cluster: sharded pub/sub, on the room's own slot (every room of one call shares it).
local pubcmd = 'PUBLISH'
if ARGV[7] == 's' then pubcmd = 'SPUBLISH' end
-- Each room's lines, in the order rooms first appear: flat triples (line number, mode, body).
local rooms = {}
local lines = {}
local count = 0
local pos = 1
while pos < #batch do
  local tab = string.find(batch, '\\t', pos, true)
  local nl = string.find(batch, '\\n', tab, true)
  count = count + 1
  local id = string.sub(batch, pos + 1, tab - 1)
  local group = lines[id]
  if not group then
    group = {}
    lines[id] = group
    rooms[#rooms + 1] = id
  end
  local g = #group
  group[g + 1] = count
  group[g + 2] = string.sub(batch, pos, pos)
  group[g + 3] = string.sub(batch, tab + 2, nl - 1)
  pos = nl + 1
end
local out = {}
for _, id in ipairs(rooms) do
  local group = lines[id]
  local k = #group / 3
  local room = prefix .. ':room:{' .. id .. '}'
  local state = room .. ':state'
  local fields = redis.call('HMGET', state, 'expiresAt', 'listeners')
  local exp = fields[1]
  if not exp or tonumber(exp) <= now then
    for j = 1, #group, 3 do out[group[j]] = 0 end
  else
    local seq = redis.call('HINCRBY', state, 'seq', k) - k
    local alone = fields[2] == me
    local jsons = {}
    for j = 1, #group, 3 do
      seq = seq + 1
      local json = '{"seq":' .. seq .. ',' .. group[j + 2]
      jsons[#jsons + 1] = json
      if group[j + 1] == 'p' or not alone then
        redis.call(pubcmd, room, json)
        out[group[j]] = seq
      else
        out[group[j]] = -seq
      end
    end
    local msgs = room .. ':msgs'
    local n = redis.call('RPUSH', msgs, unpack(jsons))
    if n == k then redis.call('PEXPIREAT', msgs, tonumber(exp) + margin) end
    if n > limit + slack then redis.call('LTRIM', msgs, -limit, -1) end
  end
end
return table.concat(out, ',')
`;

type Scripts = {
  mayflyClaim(state: string, seats: string, members: string, banned: string, ...args: string[]): Promise<string[]>;
  mayflyPutIdentity(state: string, members: string, banned: string, seats: string, ...args: string[]): Promise<PutIdentityResult>;
  mayflySetFields(state: string, now: string, ...pairs: string[]): Promise<number>;
  mayflyExtend(...keysAndArgs: string[]): Promise<string | number>;
  mayflyTransfer(state: string, members: string, token: string, now: string): Promise<number>;
  mayflyBan(state: string, banned: string, fold: string, margin: string): Promise<number>;
  mayflyRelease(state: string, seats: string, members: string, ...args: string[]): Promise<string[]>;
  mayflySweep(state: string, seats: string, ...args: string[]): Promise<string[]>;
  mayflyRenew(seats: string, ...args: string[]): Promise<number>;
  mayflySetLease(seats: string, token: string, lease: string, now: string): Promise<number>;
  /** The same script with its keys declared (Redis Cluster): numKeys, keys…, then the ARGV above and 's'. */
  mayflyAppendBatchKeyed(numKeys: number, ...keysAndArgs: string[]): Promise<string>;
};

/** A plain client (redis://) or a Redis Cluster (redis-cluster://): the store and broker work on both. */
export type RedisClient = Redis | Cluster;

const lines = (s: string | undefined) => (s ? s.split('\n') : []);

/** Messages in one script call at most: a batch that reaches it goes at once. */
const MAX_BATCH = 1024;
/** Messages waiting for Redis at most (sent or not, unanswered): past it, new ones are refused. */
export const MAX_APPENDING = 20_000;

/** One shared refusal: under overload, making a new error (and its stack) per message costs too much. */
const BUSY = new StorageBusyError();

type PendingAppend = {
  roomId: string;
  draft: MessageDraft;
  historyLimit: number;
  resolve: (m: Message | null) => void;
  reject: (e: unknown) => void;
};

export class RedisRoomStore implements RoomStore {
  readonly kind = 'redis';
  private redis: Redis & Scripts;
  /** On a Redis Cluster: appends are batched per slot, and published with SPUBLISH. */
  private readonly cluster: boolean;

  /** Messages not yet sent to Redis. */
  private appends: PendingAppend[] = [];
  /** Messages sent or waiting, not yet answered (admission control). */
  private appending = 0;
  readonly publishesMessages = true;

  /**
   * Appending a message also publishes its event on the room's channel (`roomChannel`), in the
   * same script, so the service does not publish messages itself.
   * codec.event: a message's event as JSON without seq (history keeps that JSON too).
   * codec.own: this instance (as the broker knows it): when it listens on a room's channel and no
   * other instance does, the message is not published but handed to `own.deliver` with its JSON.
   */
  constructor(
    private storage: Storage,
    redis: RedisClient,
    private codec: {
      event: (roomId: string, draft: MessageDraft) => string;
      own?: { instance: string; listening: (roomId: string) => boolean; deliver: (roomId: string, message: Message, json: string) => void };
      /** Told the size of each append batch and how long its script call took (metrics). */
      batched?: (size: number, seconds: number) => void;
    },
    private prefix = 'mayfly',
  ) {
    redis.defineCommand('mayflyClaim', { numberOfKeys: 4, lua: CLAIM });
    redis.defineCommand('mayflyPutIdentity', { numberOfKeys: 4, lua: PUT_IDENTITY });
    redis.defineCommand('mayflySetFields', { numberOfKeys: 1, lua: SET_FIELDS });
    redis.defineCommand('mayflyExtend', { numberOfKeys: 5, lua: EXTEND });
    redis.defineCommand('mayflyTransfer', { numberOfKeys: 2, lua: TRANSFER });
    redis.defineCommand('mayflyBan', { numberOfKeys: 2, lua: BAN });
    redis.defineCommand('mayflyRelease', { numberOfKeys: 3, lua: RELEASE });
    redis.defineCommand('mayflySweep', { numberOfKeys: 2, lua: SWEEP });
    redis.defineCommand('mayflyRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('mayflySetLease', { numberOfKeys: 1, lua: SET_LEASE });
    redis.defineCommand('mayflyAppendBatchKeyed', { lua: APPEND_BATCH });
    this.cluster = 'isCluster' in redis && redis.isCluster === true;
    // Both clients have the same commands for what the store uses; one type keeps the code one.
    this.redis = redis as Redis & Scripts;
  }

  private keys(id: string) {
    return roomKeys(this.prefix, id);
  }

  /** Every failure of the backend becomes a StorageError: a clear 503 or error event upstream. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storageError(err);
    }
  }

  createRoom(room: Room): Promise<void> {
    return this.guard(async () => {
      const key = this.keys(room.id);
      const { locked, approveJoins, ownerName, ownerTokenHash, expiresAt, ...fixed } = room;
      await this.redis
        .multi()
        .hset(key.state, {
          seq: 0,
          maxUsers: room.maxUsers,
          emptySince: room.createdAt,
          room: JSON.stringify(fixed),
          expiresAt,
          locked: locked ? '1' : '0',
          approve: approveJoins ? '1' : '0',
          ownerName,
          ownerTokenHash: ownerTokenHash ?? '',
        })
        .pexpireat(key.state, expiresAt + KEY_MARGIN_MS)
        .exec();
    });
  }

  getRoom(id: string): Promise<Room | null> {
    return this.guard(async () => {
      const [json, expiresAt, locked, approve, ownerName, ownerTokenHash] = await this.redis.hmget(this.keys(id).state, ...ROOM_FIELDS);
      if (!json || Number(expiresAt) <= Date.now()) return null;
      return {
        ...(JSON.parse(json) as Omit<Room, 'expiresAt' | 'locked' | 'approveJoins' | 'ownerName' | 'ownerTokenHash'>),
        expiresAt: Number(expiresAt),
        locked: locked === '1',
        approveJoins: approve === '1',
        ownerName: ownerName ?? '',
        ownerTokenHash: ownerTokenHash || null,
      };
    });
  }

  deleteRoom(id: string): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys(id);
      const removed = await this.redis.del(key.state, key.seats, key.members, key.msgs, key.banned);
      return removed > 0;
    });
  }

  async listRoomIds(): Promise<string[]> {
    // Rooms in Redis end by their own TTL; instances arm timers for the rooms they touch.
    return [];
  }

  private async claim(
    roomId: string,
    tokenHash: string,
    identity: Identity | null,
    username: string | null,
    leaseUntil: number,
    admitted: boolean,
    request?: string,
  ): Promise<SeatClaim> {
    const key = this.keys(roomId);
    let fold = username === null ? '' : nameKey(username);
    if (!identity) {
      const stored = await this.identity(roomId, tokenHash);
      if (!stored) return { ok: false, reason: 'unknown' };
      fold = nameKey(stored.username);
    }
    const [status, fresh, users] = await this.redis.mayflyClaim(
      key.state,
      key.seats,
      key.members,
      key.banned,
      tokenHash,
      identity ? JSON.stringify(identity) : '',
      String(leaseUntil),
      String(Date.now()),
      String(KEY_MARGIN_MS),
      fold,
      admitted ? '1' : '0',
      request ?? '',
    );
    if (status === 'ok') return { ok: true, fresh: fresh === '1', users: lines(users) };
    return { ok: false, reason: status as Exclude<SeatClaim, { ok: true }>['reason'] };
  }

  join(roomId: string, tokenHash: string, identity: Identity, leaseUntil: number, admitted = false, request?: string): Promise<SeatClaim> {
    return this.guard(() => this.claim(roomId, tokenHash, identity, identity.username, leaseUntil, admitted, request));
  }

  claimSeat(roomId: string, tokenHash: string, leaseUntil: number): Promise<SeatClaim> {
    return this.guard(() => this.claim(roomId, tokenHash, null, null, leaseUntil, false));
  }

  identities(roomId: string): Promise<Array<{ tokenHash: string; identity: Identity }>> {
    return this.guard(async () =>
      Object.entries(await this.redis.hgetall(this.keys(roomId).members)).map(([tokenHash, json]) => ({
        tokenHash,
        identity: JSON.parse(json) as Identity,
      })),
    );
  }

  putIdentity(roomId: string, tokenHash: string, identity: Identity, opts: PutIdentityOptions = {}): Promise<PutIdentityResult> {
    return this.guard(async () => {
      const key = this.keys(roomId);
      const fold = nameKey(identity.username);
      // A request keeps its name's nameKey, for the script to compare waiting names.
      const stored = identity.request ? { ...identity, request: { ...identity.request, fold } } : identity;
      return this.redis.mayflyPutIdentity(
        key.state,
        key.members,
        key.banned,
        key.seats,
        tokenHash,
        JSON.stringify(stored),
        String(KEY_MARGIN_MS),
        fold,
        String(Date.now()),
        identity.request?.status === 'pending' ? '1' : '0',
        String(opts.maxWaiting ?? 1_000_000),
        opts.request ?? '',
      );
    });
  }

  setRoomFlags(roomId: string, flags: RoomFlags): Promise<boolean> {
    return this.guard(async () => {
      const pairs: string[] = [];
      if (flags.locked !== undefined) pairs.push('locked', flags.locked ? '1' : '0');
      if (flags.approveJoins !== undefined) pairs.push('approve', flags.approveJoins ? '1' : '0');
      return (await this.redis.mayflySetFields(this.keys(roomId).state, String(Date.now()), ...pairs)) === 1;
    });
  }

  extendRoom(roomId: string, byMs: number, latest: number): Promise<number | null> {
    return this.guard(async () => {
      const key = this.keys(roomId);
      const until = Number(
        await this.redis.mayflyExtend(
          key.state,
          key.seats,
          key.members,
          key.msgs,
          key.banned,
          String(byMs),
          String(latest),
          String(Date.now()),
          String(KEY_MARGIN_MS),
        ),
      );
      return until > 0 ? until : null;
    });
  }

  transferOwner(roomId: string, toTokenHash: string | null): Promise<boolean> {
    return this.guard(async () => {
      const key = this.keys(roomId);
      return (await this.redis.mayflyTransfer(key.state, key.members, toTokenHash ?? '', String(Date.now()))) === 1;
    });
  }

  banName(roomId: string, fold: string): Promise<void> {
    return this.guard(async () => {
      const key = this.keys(roomId);
      await this.redis.mayflyBan(key.state, key.banned, fold, String(KEY_MARGIN_MS));
    });
  }

  identity(roomId: string, tokenHash: string): Promise<Identity | null> {
    return this.guard(async () => {
      const raw = await this.redis.hget(this.keys(roomId).members, tokenHash);
      return raw ? (JSON.parse(raw) as Identity) : null;
    });
  }

  setSeatLease(roomId: string, tokenHash: string, leaseUntil: number): Promise<boolean> {
    return this.guard(
      async () => (await this.redis.mayflySetLease(this.keys(roomId).seats, tokenHash, String(leaseUntil), String(Date.now()))) === 1,
    );
  }

  renewSeats(roomId: string, tokenHashes: string[], leaseUntil: number): Promise<void> {
    return this.guard(async () => {
      if (tokenHashes.length === 0) return;
      await this.redis.mayflyRenew(this.keys(roomId).seats, String(leaseUntil), String(Date.now()), ...tokenHashes);
    });
  }

  releaseSeat(roomId: string, tokenHash: string, forget: boolean) {
    return this.guard(async () => {
      const key = this.keys(roomId);
      const res = await this.redis.mayflyRelease(key.state, key.seats, key.members, tokenHash, forget ? '1' : '0', String(Date.now()));
      if (!res || res.length === 0) return null;
      return { username: res[0]!, users: lines(res[1]) };
    });
  }

  seats(roomId: string, now: number): Promise<Seat[]> {
    return this.guard(async () => {
      const raw = await this.redis.hgetall(this.keys(roomId).seats);
      return Object.entries(raw)
        .map(([tokenHash, json]) => ({ tokenHash, ...(JSON.parse(json) as Omit<Seat, 'tokenHash'> & { since: number }) }))
        .filter((s) => s.leaseUntil > now)
        .sort((a, b) => a.since - b.since)
        .map(({ tokenHash, memberId, username, leaseUntil }) => ({ tokenHash, memberId, username, leaseUntil }));
    });
  }

  sweepSeats(roomId: string, now: number) {
    return this.guard(async () => {
      const key = this.keys(roomId);
      const [removed, users, gone] = await this.redis.mayflySweep(key.state, key.seats, String(now));
      return { removed: lines(removed), users: lines(users), gone: gone === '1' };
    });
  }

  emptySince(roomId: string): Promise<number | null> {
    return this.guard(async () => {
      const v = await this.redis.hget(this.keys(roomId).state, 'emptySince');
      return v ? Number(v) : null;
    });
  }

  appendMessage(roomId: string, draft: MessageDraft, historyLimit: number): Promise<Message | null> {
    // Admission control: past this many messages waiting for Redis, refuse (a clear error upstream)
    // rather than queue without bound.
    if (this.appending >= MAX_APPENDING) return Promise.reject(BUSY);
    // The batch is tab- and newline-separated; no room has either in its id.
    if (roomId.includes('\t') || roomId.includes('\n')) return Promise.resolve(null);
    this.appending++;
    return new Promise((resolve, reject) => {
      this.appends.push({ roomId, draft, historyLimit, resolve, reject });
      // Messages that arrive in the same turn of the event loop share one script call, sent at once
      // even while earlier ones are unanswered (the append is left out of ioredis' auto-pipelining,
      // which lets one pipeline be on its way at a time). A full batch goes at once: under load a turn
      // can take long (timers and immediates wait for the sockets' I/O), and waiting for it would add
      // that time to every message.
      if (this.appends.length >= MAX_BATCH) this.sendBatch();
      else if (this.appends.length === 1) setImmediate(() => this.sendBatch());
    });
  }

  /** Sends the waiting messages: never more than a batch, since a full one goes as it fills. */
  private sendBatch(): void {
    if (this.appends.length > 0) void this.appendBatch(this.appends.splice(0));
  }

  private async appendBatch(batch: PendingAppend[]): Promise<void> {
    // One script call per history limit (in practice there is one, from the config).
    const calls: Array<Promise<void>> = [];
    for (const limit of new Set(batch.map((a) => a.historyLimit))) {
      const group = batch.filter((a) => a.historyLimit === limit);
      if (!this.cluster) {
        calls.push(this.appendGroup(group, limit));
        continue;
      }
      // Redis Cluster: a script may only touch one slot, so one call per slot (the rooms of a slot
      // still share it); the calls to different shards run side by side.
      const bySlot = new Map<number, PendingAppend[]>();
      for (const a of group) {
        const slot = keySlot(`{${a.roomId}}`); // every key of a room has this hash tag
        let list = bySlot.get(slot);
        if (!list) bySlot.set(slot, (list = []));
        list.push(a);
      }
      for (const list of bySlot.values()) calls.push(this.appendGroup(list, limit));
    }
    await Promise.all(calls);
  }

  private async appendGroup(group: PendingAppend[], limit: number): Promise<void> {
    const { event, own, batched } = this.codec;
    const started = performance.now();
    const jsons: string[] = [];
    try {
      let text = '';
      for (const a of group) {
        const json = event(a.roomId, a.draft);
        jsons.push(json);
        text += `${own?.listening(a.roomId) ? 'l' : 'p'}${a.roomId}\t${json}\n`;
      }
      const args = [String(limit), String(Date.now()), String(KEY_MARGIN_MS), this.prefix, text, own?.instance ?? ''] as const;
      // On a Cluster the keys are declared (routing, same-slot check) and 's' publishes with SPUBLISH.
      const keys = this.cluster ? [...new Set(group.map((a) => a.roomId))].flatMap((id) => [this.keys(id).state, this.keys(id).msgs]) : [];
      const reply = await this.redis.mayflyAppendBatchKeyed(keys.length, ...keys, ...args, this.cluster ? 's' : '');
      const seqs = reply.split(',');
      batched?.(group.length, (performance.now() - started) / 1000);
      group.forEach((a, i) => {
        const seq = Number(seqs[i]);
        if (!seq) {
          a.resolve(null);
          return;
        }
        const message = a.draft as Message; // the draft becomes the message: no copy per message
        message.seq = Math.abs(seq);
        // Not published (no other instance listens): delivered here, with the JSON history keeps.
        if (seq < 0) own!.deliver(a.roomId, message, `{"seq":${message.seq},${jsons[i]!.slice(1)}`);
        a.resolve(message);
      });
    } catch (err) {
      for (const a of group) a.reject(storageError(err));
    } finally {
      this.appending -= group.length;
    }
  }

  messages(roomId: string, query: HistoryQuery): Promise<Message[]> {
    return this.guard(async () => {
      // The list may hold up to a quarter more than the history limit between trims (APPEND_BATCH).
      const all = (await this.redis.lrange(this.keys(roomId).msgs, -query.keep, -1)).map(messageFromEventJson);
      if (all.length === 0) return [];
      let from: number;
      if (query.afterSeq !== undefined) from = all.findIndex((m) => m.seq > query.afterSeq!);
      else if (query.offset !== undefined) from = query.offset;
      else from = Math.max(0, all.length - query.limit);
      if (from < 0) return [];
      return all.slice(from, from + query.limit);
    });
  }

  ping(): Promise<void> {
    return this.guard(async () => {
      await this.redis.ping();
    });
  }

  async close(): Promise<void> {
    await this.storage.dispose().catch(() => {});
  }
}
