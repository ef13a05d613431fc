// The RoomStore contract, run against every backend: memory, SQLite (db0) and a real redis-server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createStorage } from 'unstorage';
import memoryDriver from 'unstorage/drivers/memory';
import { createLogger } from '../../src/log.ts';
import { nameKey } from '../../src/rooms/names.ts';
import type { Identity, JoinRequest, Room } from '../../src/rooms/types.ts';
import { KvRoomStore } from '../../src/storage/kv-store.ts';
import { MemoryRoomStore } from '../../src/storage/memory-store.ts';
import { openRedis } from '../../src/storage/redis.ts';
import { openSqliteStorage } from '../../src/storage/sqlite.ts';
import type { RoomStore } from '../../src/storage/store.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { need } from '../helpers/requirements.ts';

let n = 0;
const room = (over: Partial<Room> = {}): Room => ({
  id: `room${String(++n).padStart(17, '0')}`,
  name: 'r',
  ownerName: 'o',
  createdAt: Date.now(),
  expiresAt: Date.now() + 60_000,
  maxUsers: 5,
  idleSeconds: null,
  passwordHash: null,
  ownerTokenHash: null,
  ...over,
});
const ident = (username: string): Identity => ({ memberId: `m-${username}`, username, owner: false, verified: false, guest: false });
const lease = (ms = 30_000) => Date.now() + ms;
const draft = (content: string) => ({
  id: crypto.randomUUID(),
  username: 'a',
  memberId: 'm',
  content,
  timestamp: new Date().toISOString(),
  verified: false,
});

type Backend = { name: string; open(): Promise<RoomStore>; keysOf(roomId: string): Promise<string[]>; cleanup(): Promise<void> };

const backends: Backend[] = [];
{
  let map = new Map<string, unknown>();
  backends.push({
    name: 'memory',
    async open() {
      const driver = memoryDriver();
      createStorage({ driver });
      map = driver.getInstance!() as Map<string, unknown>;
      return new MemoryRoomStore(map);
    },
    async keysOf(id) {
      return [...map.keys()].filter((k) => k.includes(id));
    },
    async cleanup() {},
  });
}
{
  const dir = mkdtempSync(join(tmpdir(), 'mayfly-sqlite-'));
  let storage: Awaited<ReturnType<typeof openSqliteStorage>>;
  backends.push({
    name: 'sqlite',
    async open() {
      storage = await openSqliteStorage(join(dir, `t${++n}.db`));
      return new KvRoomStore(storage);
    },
    async keysOf(id) {
      return (await storage.getKeys()).filter((k) => k.includes(id));
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
let redis: TestRedis | null = null;
const hasRedis = need('redis-server');
if (hasRedis) {
  let probe: Redis;
  backends.push({
    name: 'redis',
    async open() {
      redis ??= await startRedis();
      probe ??= new Redis(redis.url);
      return (await openRedis(redis.url, createLogger('silent'), 3000)).store;
    },
    async keysOf(id) {
      return (await probe.keys(`*${id}*`)) as string[];
    },
    async cleanup() {
      probe?.disconnect();
      await redis?.stop();
    },
  });
}
// Issue 17: the same contract on a Redis Cluster (three masters, three replicas); a room's keys
// are looked for on every node, so "no key left" means no node holds any.
let redisCluster: TestRedisCluster | null = null;
if (hasRedis) {
  let nodes: Redis[] = [];
  backends.push({
    name: 'redis-cluster',
    async open() {
      redisCluster ??= await startRedisCluster();
      if (nodes.length === 0) nodes = redisCluster.nodes.map((n) => new Redis(n.port, '127.0.0.1'));
      return (await openRedis(redisCluster.url, createLogger('silent'), 3000)).store;
    },
    // Every node, masters and replicas: replicas follow asynchronously, so a little patience.
    async keysOf(id) {
      let keys: string[] = [];
      for (const end = Date.now() + 1000; Date.now() < end; await Bun.sleep(20)) {
        keys = [...new Set((await Promise.all(nodes.map((n) => n.keys(`*${id}*`)))).flat())];
        if (keys.length === 0) break;
      }
      return keys;
    },
    async cleanup() {
      for (const n of nodes) n.disconnect();
      await redisCluster?.stop();
    },
  });
}

for (const backend of backends) {
  describe(`RoomStore contract: ${backend.name}`, () => {
    let store: RoomStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    test('creates, reads and deletes a room; delete is true exactly once and leaves no key', async () => {
      const r = room();
      await store.createRoom(r);
      expect((await store.getRoom(r.id))?.name).toBe('r');
      await store.join(r.id, 't1', ident('alice'), lease());
      await store.appendMessage(r.id, draft('hi'), 200);
      const results = await Promise.all([store.deleteRoom(r.id), store.deleteRoom(r.id), store.deleteRoom(r.id)]);
      expect(results.filter(Boolean).length).toBe(1);
      expect(await store.getRoom(r.id)).toBeNull();
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('a room past its expiry is gone for getRoom before its keys are removed', async () => {
      const r = room({ expiresAt: Date.now() + 150 });
      await store.createRoom(r);
      expect(await store.getRoom(r.id)).not.toBeNull();
      await Bun.sleep(200);
      expect(await store.getRoom(r.id)).toBeNull();
      expect(await store.appendMessage(r.id, draft('late'), 200)).toBeNull();
    });

    test('a message for a deleted room does not bring its keys back', async () => {
      const r = room();
      await store.createRoom(r);
      await store.deleteRoom(r.id);
      expect(await store.appendMessage(r.id, draft('ghost'), 200)).toBeNull();
      expect((await store.join(r.id, 't', ident('x'), lease())).ok).toBe(false);
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('seats: unique names case-insensitively, max users, renew, release', async () => {
      const r = room({ maxUsers: 2 });
      await store.createRoom(r);
      expect(await store.join(r.id, 't1', ident('Alice'), lease())).toEqual({ ok: true, fresh: true, users: ['Alice'] });
      expect(await store.join(r.id, 't2', ident('alice'), lease())).toEqual({ ok: false, reason: 'taken' });
      expect(await store.join(r.id, 't3', ident('bob'), lease())).toEqual({ ok: true, fresh: true, users: ['Alice', 'bob'] });
      expect(await store.join(r.id, 't4', ident('carol'), lease())).toEqual({ ok: false, reason: 'full' });
      expect(await store.claimSeat(r.id, 't1', lease())).toEqual({ ok: true, fresh: false, users: ['Alice', 'bob'] });
      expect(await store.claimSeat(r.id, 'nobody', lease())).toEqual({ ok: false, reason: 'unknown' });
      expect((await store.identity(r.id, 't3'))?.username).toBe('bob');
      expect(await store.releaseSeat(r.id, 't3', true)).toEqual({ username: 'bob', users: ['Alice'] });
      expect(await store.identity(r.id, 't3')).toBeNull();
      expect(await store.emptySince(r.id)).toBeNull();
      expect(await store.releaseSeat(r.id, 't1', false)).toEqual({ username: 'Alice', users: [] });
      expect(await store.emptySince(r.id)).not.toBeNull();
      // Alice kept her identity and comes back.
      expect(await store.claimSeat(r.id, 't1', lease())).toEqual({ ok: true, fresh: true, users: ['Alice'] });
      expect(await store.emptySince(r.id)).toBeNull();
    });

    test('seats: lookalike names clash (nameKey), both on join and on a lapsed seat reclaimed', async () => {
      const r = room();
      await store.createRoom(r);
      expect((await store.join(r.id, 't1', ident('paypal'), lease())).ok).toBe(true);
      expect(await store.join(r.id, 't2', ident('pаypal'), lease())).toEqual({ ok: false, reason: 'taken' }); // Cyrillic а
      expect((await store.join(r.id, 't3', ident('сео'), lease(100))).ok).toBe(true); // Cyrillic
      await Bun.sleep(150);
      expect((await store.join(r.id, 't4', ident('CEO'), lease())).ok).toBe(true);
      expect(await store.claimSeat(r.id, 't3', lease())).toEqual({ ok: false, reason: 'taken' });
    });

    test('many joins at the same moment never exceed max users nor share a name', async () => {
      const r = room({ maxUsers: 10 });
      await store.createRoom(r);
      const names = Array.from({ length: 40 }, (_, i) => `user${i % 30}`);
      const claims = await Promise.all(names.map((name, i) => store.join(r.id, `tok${i}`, ident(name), lease())));
      expect(claims.filter((c) => c.ok).length).toBe(10);
      const seats = await store.seats(r.id, Date.now());
      expect(seats.length).toBe(10);
      expect(new Set(seats.map((s) => s.username.toLowerCase())).size).toBe(10);
    });

    test('lapsed seats are swept once and announced to one caller', async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 'a', ident('ann'), lease(100));
      await store.join(r.id, 'b', ident('ben'), lease(60_000));
      await store.join(r.id, 'c', ident('cat'), lease(100));
      await store.renewSeats(r.id, ['c'], lease(60_000));
      await Bun.sleep(150);
      expect((await store.seats(r.id, Date.now())).map((s) => s.username)).toEqual(['ben', 'cat']);
      const sweeps = await Promise.all([store.sweepSeats(r.id, Date.now()), store.sweepSeats(r.id, Date.now())]);
      expect(sweeps.flatMap((s) => s.removed)).toEqual(['ann']);
      // A lapsed seat is not revived by renewal, but its owner can claim it again.
      await store.join(r.id, 'd', ident('dan'), lease(50));
      await Bun.sleep(80);
      await store.renewSeats(r.id, ['d'], lease(60_000));
      expect((await store.seats(r.id, Date.now())).map((s) => s.username)).toEqual(['ben', 'cat']);
      expect(await store.claimSeat(r.id, 'd', lease())).toEqual({ ok: true, fresh: true, users: ['ben', 'cat', 'dan'] });
    });

    test('messages get seq 1, 2, 3… exactly once, even when appended concurrently', async () => {
      const r = room();
      await store.createRoom(r);
      const out = await Promise.all(Array.from({ length: 60 }, (_, i) => store.appendMessage(r.id, draft(`m${i}`), 200)));
      const seqs = out.map((m) => m!.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      const history = await store.messages(r.id, { limit: 200, keep: 200 });
      expect(history.map((m) => m.seq)).toEqual(seqs);
    });

    test('appends to several rooms at once (one of them gone): each room numbers its own in order', async () => {
      const [a, b, c] = [room(), room(), room()];
      for (const r of [a, b, c]) await store.createRoom(r);
      await store.deleteRoom(c.id);
      const sends = Array.from({ length: 30 }, (_, i) => ({ r: [a, b, c][i % 3]!, content: `m${i}` }));
      const out = await Promise.all(sends.map(({ r, content }) => store.appendMessage(r.id, draft(content), 200)));
      for (const r of [a, b]) {
        const mine = out.filter((_, i) => sends[i]!.r === r);
        expect(mine.map((m) => m!.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
        expect(mine.map((m) => m!.content)).toEqual(sends.filter((x) => x.r === r).map((x) => x.content));
        const history = await store.messages(r.id, { limit: 200, keep: 200 });
        expect(history.map((m) => m.content)).toEqual(mine.map((m) => m!.content));
      }
      expect(out.filter((_, i) => sends[i]!.r === c)).toEqual(Array(10).fill(null));
      expect(await store.messages(c.id, { limit: 200, keep: 200 })).toEqual([]);
    });

    test('history keeps the newest messages; offset counts from the oldest kept; afterSeq catches up', async () => {
      const r = room();
      await store.createRoom(r);
      for (let i = 1; i <= 12; i++) await store.appendMessage(r.id, draft(`m${i}`), 5);
      const kept = await store.messages(r.id, { limit: 100, keep: 5 });
      expect(kept.map((m) => m.content)).toEqual(['m8', 'm9', 'm10', 'm11', 'm12']);
      expect((await store.messages(r.id, { limit: 2, keep: 5 })).map((m) => m.seq)).toEqual([11, 12]);
      expect((await store.messages(r.id, { limit: 2, offset: 1, keep: 5 })).map((m) => m.seq)).toEqual([9, 10]);
      expect((await store.messages(r.id, { limit: 100, afterSeq: 10, keep: 5 })).map((m) => m.seq)).toEqual([11, 12]);
      expect((await store.messages(r.id, { limit: 100, afterSeq: 2, keep: 5 })).map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
      expect(await store.messages(r.id, { limit: 100, afterSeq: 12, keep: 5 })).toEqual([]);
      expect(await store.messages(r.id, { limit: 100, offset: 9, keep: 5 })).toEqual([]);
    });

    test('ping answers while the backend is up', async () => {
      await store.ping();
    });
  });
}

if (hasRedis) {
  test('redis: every key of a room carries a TTL', async () => {
    const backend = backends.find((b) => b.name === 'redis')!;
    const store = await backend.open();
    const r = room();
    await store.createRoom(r);
    await store.join(r.id, 't', ident('tia'), lease());
    await store.appendMessage(r.id, draft('x'), 10);
    await store.banName(r.id, 'barred');
    const probe = new Redis(redis!.url);
    const keys = await probe.keys(`*${r.id}*`);
    // Issue 14: the room record lives in the state hash (no separate unstorage key); barred names have their own set.
    expect(keys.map((k) => k.slice(k.lastIndexOf(':') + 1)).sort()).toEqual(['banned', 'members', 'msgs', 'seats', 'state']);
    for (const key of keys) {
      const ttl = await probe.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(r.expiresAt - Date.now() + 61_000);
    }
    probe.disconnect();
    await store.deleteRoom(r.id);
    await store.close();
  });
}

// Issue 19: a socket's lease replaces a longer HTTP one; a sweep tells when the room is gone.
for (const backend of backends) {
  describe(`RoomStore contract: ${backend.name}: seat leases set exactly, gone rooms`, () => {
    let store: RoomStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    test('setSeatLease shortens or extends a live seat; no seat, or a lapsed one, is not revived', async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 'long', ident('lea'), lease(120_000));
      expect(await store.setSeatLease(r.id, 'long', lease(100))).toBe(true);
      const [seat] = await store.seats(r.id, Date.now());
      expect(seat!.leaseUntil).toBeLessThanOrEqual(Date.now() + 100);
      // extended again, exactly
      const until = lease(60_000);
      expect(await store.setSeatLease(r.id, 'long', until)).toBe(true);
      expect((await store.seats(r.id, Date.now()))[0]!.leaseUntil).toBe(until);
      expect(await store.setSeatLease(r.id, 'long', lease(100))).toBe(true);
      await Bun.sleep(150);
      expect(await store.setSeatLease(r.id, 'long', lease(60_000))).toBe(false);
      expect(await store.seats(r.id, Date.now())).toEqual([]);
      expect((await store.sweepSeats(r.id, Date.now())).removed).toEqual(['lea']);
      expect(await store.setSeatLease(r.id, 'nobody', lease())).toBe(false);
      expect(await store.setSeatLease('no-such-room', 'long', lease())).toBe(false);
    });

    test('sweepSeats says when the room is gone, and only then', async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 't', ident('gil'), lease());
      expect((await store.sweepSeats(r.id, Date.now())).gone).toBeFalsy();
      await store.deleteRoom(r.id);
      expect((await store.sweepSeats(r.id, Date.now())).gone).toBe(true);
      expect(await backend.keysOf(r.id)).toEqual([]);
    });
  });
}

// Issue 14: the owner's controls in storage: requests to join (identities without a seat), the room's
// switches, more time, a new owner, barred names, and join's refusals.
const asking = (username: string, over: Partial<JoinRequest> = {}): Identity => ({
  ...ident(username),
  request: { id: `req-${username}`, status: 'pending', at: Date.now(), until: Date.now() + 60_000, ...over },
});

for (const backend of backends) {
  describe(`RoomStore contract: ${backend.name}: owner control`, () => {
    let store: RoomStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store.close();
    });

    test('putIdentity stores a request to join without a seat; identities lists members and requests with their token hashes', async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 'tm', ident('mia'), lease());
      expect(await store.putIdentity(r.id, 'tq', asking('quinn'))).toBe('ok');
      expect((await store.identity(r.id, 'tq'))?.request).toMatchObject({ id: 'req-quinn', status: 'pending' });
      // no seat: not among the users, and the request token cannot take one
      expect((await store.seats(r.id, Date.now())).map((x) => x.username)).toEqual(['mia']);
      expect(await store.claimSeat(r.id, 'tq', lease())).toEqual({ ok: false, reason: 'unknown' });
      const all = (await store.identities(r.id)).map((i) => [i.tokenHash, i.identity.username, !!i.identity.request]).sort();
      expect(all).toEqual([
        ['tm', 'mia', false],
        ['tq', 'quinn', true],
      ]);
      // a denial replaces it (the asker is told)
      const denied = asking('quinn', { status: 'denied' });
      expect(await store.putIdentity(r.id, 'tq', denied)).toBe('ok');
      expect((await store.identity(r.id, 'tq'))?.request?.status).toBe('denied');
      expect((await store.identities(r.id)).length).toBe(2);
      expect(await store.identities('no-such-room')).toEqual([]);
    });

    test('putIdentity: a pending request is refused for a barred name or a locked room; a gone room is gone', async () => {
      const r = room();
      await store.createRoom(r);
      await store.banName(r.id, nameKey('Mallory'));
      expect(await store.putIdentity(r.id, 't1', asking('MALLORY'))).toBe('banned');
      expect(await store.putIdentity(r.id, 't1b', asking('mаllory'))).toBe('banned'); // Cyrillic а
      expect(await store.identity(r.id, 't1')).toBeNull();
      expect(await store.setRoomFlags(r.id, { locked: true })).toBe(true);
      expect(await store.putIdentity(r.id, 't2', asking('nina'))).toBe('locked');
      expect(await store.identity(r.id, 't2')).toBeNull();
      // an answer to a request (not pending) is stored even while locked
      expect(await store.putIdentity(r.id, 't3', asking('otto', { status: 'denied' }))).toBe('ok');
      await store.deleteRoom(r.id);
      expect(await store.putIdentity(r.id, 't4', asking('pia'))).toBe('gone');
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('a request lapsed (until in the past) is kept as it is: the store does not revive it nor seat it', async () => {
      const r = room();
      await store.createRoom(r);
      const past = Date.now() - 1000;
      expect(await store.putIdentity(r.id, 'tl', asking('lapsed', { until: past }))).toBe('ok');
      const stored = await store.identity(r.id, 'tl');
      expect(stored?.request).toMatchObject({ status: 'pending', until: past });
      expect(await store.claimSeat(r.id, 'tl', lease())).toEqual({ ok: false, reason: 'unknown' });
      expect(await store.seats(r.id, Date.now())).toEqual([]);
    });

    test('releaseSeat with forget withdraws a request (no seat): the identity is gone', async () => {
      const r = room();
      await store.createRoom(r);
      await store.putIdentity(r.id, 'tw', asking('wanda'));
      expect(await store.releaseSeat(r.id, 'tw', true)).toBeNull();
      expect(await store.identity(r.id, 'tw')).toBeNull();
      expect(await store.identities(r.id)).toEqual([]);
    });

    test('setRoomFlags sets locked and approveJoins, each alone leaving the other; false for a gone room', async () => {
      const r = room();
      await store.createRoom(r);
      expect(await store.setRoomFlags(r.id, { locked: true })).toBe(true);
      let got = await store.getRoom(r.id);
      expect([!!got?.locked, !!got?.approveJoins]).toEqual([true, false]);
      expect(await store.setRoomFlags(r.id, { approveJoins: true })).toBe(true);
      got = await store.getRoom(r.id);
      expect([!!got?.locked, !!got?.approveJoins]).toEqual([true, true]);
      expect(await store.setRoomFlags(r.id, { locked: false })).toBe(true);
      got = await store.getRoom(r.id);
      expect([!!got?.locked, !!got?.approveJoins]).toEqual([false, true]);
      // the rest of the room is untouched
      expect(got).toMatchObject({ id: r.id, name: r.name, ownerName: r.ownerName, maxUsers: r.maxUsers, expiresAt: r.expiresAt });
      await store.deleteRoom(r.id);
      expect(await store.setRoomFlags(r.id, { locked: true })).toBe(false);
      expect(await store.getRoom(r.id)).toBeNull();
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test("join refuses someone new in a locked room ('locked') or one that asks its owner ('approval'), unless admitted", async () => {
      const r = room({ approveJoins: true });
      await store.createRoom(r);
      expect(await store.join(r.id, 't1', ident('amy'), lease())).toEqual({ ok: false, reason: 'approval' });
      expect(await store.join(r.id, 't1', ident('amy'), lease(), true)).toEqual({ ok: true, fresh: true, users: ['amy'] });
      await store.setRoomFlags(r.id, { locked: true });
      expect(await store.join(r.id, 't2', ident('bo'), lease())).toEqual({ ok: false, reason: 'locked' });
      expect(await store.join(r.id, 't2', ident('bo'), lease(), true)).toEqual({ ok: true, fresh: true, users: ['amy', 'bo'] });
      // members keep their seats: a lapsed one is taken again, locked or not
      await store.join(r.id, 't3', ident('cy'), lease(80), true);
      await Bun.sleep(120);
      expect(await store.claimSeat(r.id, 't3', lease())).toEqual({ ok: true, fresh: true, users: ['amy', 'bo', 'cy'] });
      expect((await store.claimSeat(r.id, 't1', lease())).ok).toBe(true);
      // unlocked, approval off: anyone joins again
      await store.setRoomFlags(r.id, { locked: false, approveJoins: false });
      expect((await store.join(r.id, 't4', ident('dee'), lease())).ok).toBe(true);
      // a room created locked refuses too
      const l = room({ locked: true });
      await store.createRoom(l);
      expect(await store.join(l.id, 't1', ident('eve'), lease())).toEqual({ ok: false, reason: 'locked' });
      expect(await store.seats(l.id, Date.now())).toEqual([]);
      expect(await store.identity(l.id, 't1')).toBeNull();
    });

    test("banName: join refuses the name by nameKey ('banned'), even admitted; claimSeat refuses a member of that name", async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 'tk', ident('Kevin'), lease(80));
      await store.join(r.id, 'to', ident('olga'), lease());
      await store.banName(r.id, nameKey('Kevin'));
      await store.banName(r.id, nameKey('Kevin')); // twice is the same
      for (const name of ['Kevin', 'kevin', 'KEVIN', 'Kеvin' /* Cyrillic е */, 'Ｋｅｖｉｎ' /* fullwidth */]) {
        expect(await store.join(r.id, `t-${name}`, ident(name), lease())).toEqual({ ok: false, reason: 'banned' });
        expect(await store.join(r.id, `t-${name}`, ident(name), lease(), true)).toEqual({ ok: false, reason: 'banned' });
      }
      // the identity still stored under that name cannot take a seat again
      await Bun.sleep(120);
      expect(await store.claimSeat(r.id, 'tk', lease())).toEqual({ ok: false, reason: 'banned' });
      // others are not affected
      expect((await store.claimSeat(r.id, 'to', lease())).ok).toBe(true);
      expect((await store.join(r.id, 'tx', ident('kevin2'), lease())).ok).toBe(true);
      // a ban on a gone room does not bring its keys back
      await store.deleteRoom(r.id);
      await store.banName(r.id, 'someone');
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('extendRoom moves the end later by byMs, never past latest nor earlier; null when the room is gone', async () => {
      const now = Date.now();
      const r = room({ createdAt: now, expiresAt: now + 60_000 });
      await store.createRoom(r);
      expect(await store.extendRoom(r.id, 30_000, now + 120_000)).toBe(now + 90_000);
      expect((await store.getRoom(r.id))?.expiresAt).toBe(now + 90_000);
      // capped at latest
      expect(await store.extendRoom(r.id, 60_000, now + 120_000)).toBe(now + 120_000);
      expect((await store.getRoom(r.id))?.expiresAt).toBe(now + 120_000);
      // already there: unchanged
      expect(await store.extendRoom(r.id, 10_000, now + 120_000)).toBe(now + 120_000);
      // a latest before the end never moves it earlier
      expect(await store.extendRoom(r.id, 10_000, now + 1000)).toBe(now + 120_000);
      expect((await store.getRoom(r.id))?.expiresAt).toBe(now + 120_000);
      await store.deleteRoom(r.id);
      expect(await store.extendRoom(r.id, 10_000, now + 200_000)).toBeNull();
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('an extended room lives past its original end: getRoom, seats, messages and joins still work', async () => {
      const now = Date.now();
      const r = room({ createdAt: now, expiresAt: now + 300 });
      await store.createRoom(r);
      await store.join(r.id, 't1', ident('ivy'), lease());
      await store.appendMessage(r.id, draft('before'), 50);
      expect(await store.extendRoom(r.id, 1500, now + 10_000)).toBe(now + 1800);
      await Bun.sleep(450); // past the original end
      expect((await store.getRoom(r.id))?.expiresAt).toBe(now + 1800);
      expect((await store.identity(r.id, 't1'))?.username).toBe('ivy');
      expect((await store.seats(r.id, Date.now())).map((x) => x.username)).toEqual(['ivy']);
      expect((await store.appendMessage(r.id, draft('after'), 50))?.seq).toBe(2);
      expect((await store.messages(r.id, { limit: 10, keep: 50 })).map((m) => m.content)).toEqual(['before', 'after']);
      expect((await store.join(r.id, 't2', ident('jo'), lease())).ok).toBe(true);
      // and it does end at the new end
      await Bun.sleep(now + 1800 - Date.now() + 100);
      expect(await store.getRoom(r.id)).toBeNull();
      expect(await store.extendRoom(r.id, 10_000, now + 10_000)).toBeNull();
      await store.deleteRoom(r.id);
    });

    test('transferOwner makes one member the owner, names them, and retires the API owner token; refuses unknown tokens and requests', async () => {
      const r = room({ ownerName: 'olive', ownerTokenHash: 'api-owner-hash' });
      await store.createRoom(r);
      await store.join(r.id, 'to', { ...ident('olive'), owner: true }, lease(), true);
      await store.join(r.id, 'tp', ident('pat'), lease());
      await store.putIdentity(r.id, 'tq', asking('quin'));
      expect(await store.transferOwner(r.id, 'nobody')).toBe(false);
      expect(await store.transferOwner(r.id, 'tq')).toBe(false); // someone still asking is not a member
      expect((await store.getRoom(r.id))?.ownerTokenHash).toBe('api-owner-hash');
      expect((await store.identity(r.id, 'to'))?.owner).toBe(true);

      expect(await store.transferOwner(r.id, 'tp')).toBe(true);
      expect((await store.identity(r.id, 'tp'))?.owner).toBe(true);
      expect((await store.identity(r.id, 'to'))?.owner).toBe(false);
      expect((await store.identity(r.id, 'tq'))?.owner).toBe(false);
      expect((await store.identity(r.id, 'tq'))?.request?.status).toBe('pending'); // the request is kept as it was
      const after = await store.getRoom(r.id);
      expect(after?.ownerName).toBe('pat');
      expect(after?.ownerTokenHash).toBeNull();
      // the rest of each identity is kept
      expect(await store.identity(r.id, 'tp')).toEqual({ ...ident('pat'), owner: true });
      // one owner at a time
      expect((await store.identities(r.id)).filter((i) => i.identity.owner).map((i) => i.tokenHash)).toEqual(['tp']);
      // and back
      expect(await store.transferOwner(r.id, 'to')).toBe(true);
      expect((await store.identities(r.id)).filter((i) => i.identity.owner).map((i) => i.tokenHash)).toEqual(['to']);
      expect((await store.getRoom(r.id))?.ownerName).toBe('olive');
      await store.deleteRoom(r.id);
      expect(await store.transferOwner(r.id, 'to')).toBe(false);
    });

    test('a room with barred names, requests and switches leaves no key once deleted', async () => {
      const r = room();
      await store.createRoom(r);
      await store.join(r.id, 't1', ident('a1'), lease());
      await store.putIdentity(r.id, 't2', asking('a2'));
      await store.banName(r.id, 'a3');
      await store.setRoomFlags(r.id, { locked: true, approveJoins: true });
      await store.extendRoom(r.id, 1000, Date.now() + 120_000);
      await store.transferOwner(r.id, 't1');
      expect(await store.deleteRoom(r.id)).toBe(true);
      expect(await backend.keysOf(r.id)).toEqual([]);
    });

    test('concurrent joins while the room is being locked: each join either lands before the lock or is refused', async () => {
      const r = room({ maxUsers: 100 });
      await store.createRoom(r);
      const joins = Array.from({ length: 20 }, (_, i) => store.join(r.id, `c${i}`, ident(`c${i}`), lease()));
      const lock = store.setRoomFlags(r.id, { locked: true });
      const claims = await Promise.all(joins);
      await lock;
      for (const c of claims) expect(c.ok || (!c.ok && c.reason === 'locked')).toBe(true);
      expect((await store.seats(r.id, Date.now())).length).toBe(claims.filter((c) => c.ok).length);
      expect(await store.join(r.id, 'late', ident('late'), lease())).toEqual({ ok: false, reason: 'locked' });
    });
  });
}

if (hasRedis) {
  test('redis: extendRoom moves every key’s lifetime with the room', async () => {
    const backend = backends.find((b) => b.name === 'redis')!;
    const store = await backend.open();
    const now = Date.now();
    const r = room({ createdAt: now, expiresAt: now + 5_000 });
    await store.createRoom(r);
    await store.join(r.id, 't', ident('tia'), lease());
    await store.putIdentity(r.id, 'q', asking('quin'));
    await store.appendMessage(r.id, draft('x'), 10);
    await store.banName(r.id, 'barred');
    const probe = new Redis(redis!.url);
    const keys = await probe.keys(`*${r.id}*`);
    expect(keys.length).toBe(5);
    const before = await Promise.all(keys.map((k) => probe.pexpiretime(k)));
    expect(await store.extendRoom(r.id, 100_000, now + 200_000)).toBe(now + 105_000);
    const after = await Promise.all(keys.map((k) => probe.pexpiretime(k)));
    for (let i = 0; i < keys.length; i++) {
      expect(before[i]).toBeGreaterThan(0);
      expect(after[i]! - before[i]!).toBe(100_000);
    }
    probe.disconnect();
    await store.deleteRoom(r.id);
    await store.close();
  });
}

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});
