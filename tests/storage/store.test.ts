// The RoomStore contract, run against every backend: memory, SQLite (db0) and a real redis-server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createStorage } from 'unstorage';
import memoryDriver from 'unstorage/drivers/memory';
import { createLogger } from '../../src/log.ts';
import type { Identity, Room } from '../../src/rooms/types.ts';
import { KvRoomStore } from '../../src/storage/kv-store.ts';
import { MemoryRoomStore } from '../../src/storage/memory-store.ts';
import { openRedis } from '../../src/storage/redis.ts';
import { openSqliteStorage } from '../../src/storage/sqlite.ts';
import type { RoomStore } from '../../src/storage/store.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
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
      const history = await store.messages(r.id, { limit: 200 });
      expect(history.map((m) => m.seq)).toEqual(seqs);
    });

    test('history keeps the newest messages; offset counts from the oldest kept; afterSeq catches up', async () => {
      const r = room();
      await store.createRoom(r);
      for (let i = 1; i <= 12; i++) await store.appendMessage(r.id, draft(`m${i}`), 5);
      const kept = await store.messages(r.id, { limit: 100 });
      expect(kept.map((m) => m.content)).toEqual(['m8', 'm9', 'm10', 'm11', 'm12']);
      expect((await store.messages(r.id, { limit: 2 })).map((m) => m.seq)).toEqual([11, 12]);
      expect((await store.messages(r.id, { limit: 2, offset: 1 })).map((m) => m.seq)).toEqual([9, 10]);
      expect((await store.messages(r.id, { limit: 100, afterSeq: 10 })).map((m) => m.seq)).toEqual([11, 12]);
      expect((await store.messages(r.id, { limit: 100, afterSeq: 2 })).map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
      expect(await store.messages(r.id, { limit: 100, afterSeq: 12 })).toEqual([]);
      expect(await store.messages(r.id, { limit: 100, offset: 9 })).toEqual([]);
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
    const probe = new Redis(redis!.url);
    const keys = await probe.keys(`*${r.id}*`);
    expect(keys.length).toBe(5);
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

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});
