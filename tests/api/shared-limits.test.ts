// Abuse limits: room passwords per room and address under a per-room ceiling, password work per
// address, Retry-After from the limit itself, and (Redis mode) every limit shared by two instances.
import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { HOT_FLUSH_MS } from '../../src/rooms/limits.ts';
import { type TestRedis, startRedis } from '../helpers/redis.ts';
import { need } from '../helpers/requirements.ts';
import { type ChildServer, createRoom, spawnServer, startTestServer, type TestServer } from '../helpers/server.ts';

setDefaultTimeout(30_000);

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer({ TRUST_PROXY: 'true', ...env });
  servers.push(s);
  return s;
}

/** A JSON POST as if from `address` (behind a trusted balancer). */
const post = (url: string, body: unknown, address: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify(body) });

describe('room passwords', () => {
  test('a guesser is limited per address: guests from elsewhere with the right password still get in', async () => {
    const s = await server({ PASSWORD_TRIES_PER_MINUTE: '3' });
    const room = await createRoom(s.origin, { password: 'correct horse', max_users: 10 });
    const join = (username: string, password: string, address: string) =>
      post(`${s.origin}/rooms/${room.room_id}/join`, { username, password }, address);
    for (let i = 0; i < 3; i++) expect((await join(`g${i}`, `guess ${i}`, '203.0.113.9')).status).toBe(401);
    const blocked = await join('g3', 'guess 3', '203.0.113.9');
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as any).error.code).toBe('password_guessing');
    // the guesser's own right password waits too, but nobody else is locked out
    expect((await join('g4', 'correct horse', '203.0.113.9')).status).toBe(429);
    expect((await join('guest', 'correct horse', '198.51.100.7')).status).toBe(200);
  });

  test('a per-room ceiling stops many guessers together', async () => {
    const s = await server({ PASSWORD_TRIES_PER_MINUTE: '3', PASSWORD_TRIES_PER_ROOM_PER_MINUTE: '4' });
    const room = await createRoom(s.origin, { password: 'pw', max_users: 10 });
    const join = (username: string, password: string, address: string) =>
      post(`${s.origin}/rooms/${room.room_id}/join`, { username, password }, address);
    for (let i = 0; i < 4; i++) expect((await join(`g${i}`, 'wrong', `203.0.113.${i + 1}`)).status).toBe(401);
    const res = await join('fresh', 'wrong', '203.0.113.50');
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('password work per address', () => {
  test('logins under ever new usernames hit the per-address ceiling on password checks', async () => {
    const s = await server({ PASSWORD_CHECKS_PER_MINUTE: '3' });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(`${s.origin}/login`, { username: `nobody${i}`, password: 'not it at all' }, '203.0.113.77');
      codes.push(res.status === 429 ? ((await res.json()) as any).error.code : String(res.status));
    }
    expect(codes).toEqual(['401', '401', '401', 'too_many_password_checks', 'too_many_password_checks']);
    // another address is not affected
    expect((await post(`${s.origin}/login`, { username: 'nobody', password: 'not it at all' }, '198.51.100.1')).status).toBe(401);
  });
});

describe('Retry-After', () => {
  test('a message-rate 429 says how long the window has left, not a minute', async () => {
    const s = await server({ MESSAGE_RATE: '2', MESSAGE_BURST: '2' });
    const room = await createRoom(s.origin);
    const alice = (await (await post(`${s.origin}/rooms/${room.room_id}/join`, { username: 'alice' }, '127.0.0.1')).json()) as any;
    let last: Response | null = null;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${s.origin}/rooms/${room.room_id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ content: `m${i}` }),
      });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBe(1);
  });
});

const hasRedis = need('redis-server');
describe.skipIf(!hasRedis)('two instances on one Redis share every limit', () => {
  let redis: TestRedis;
  let a: ChildServer;
  let b: ChildServer;
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test('room passwords, logins and joins hold across instances', async () => {
    redis = await startRedis();
    const env = {
      STORAGE_URL: redis.url,
      TRUST_PROXY: 'true',
      RATE_LIMIT_EXEMPT: '',
      PASSWORD_TRIES_PER_MINUTE: '3',
      LOGIN_TRIES_PER_MINUTE: '2',
      JOIN_RATE_PER_MINUTE: '3',
      // 4 messages in a window of 8 s (long enough for the six sends below, a flush apart)
      MESSAGE_RATE: '0.5',
      MESSAGE_BURST: '4',
    };
    [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    const room = await post(
      `${a.origin}/rooms`,
      { name: 'shared', owner_name: 'owner', password: 'right one', max_users: 10 },
      '192.0.2.1',
    );
    expect(room.status).toBe(201);
    const { room_id } = (await room.json()) as any;

    // room passwords: three wrong tries spread over both instances, the fourth is refused on either
    const guess = (on: ChildServer, n: number) =>
      post(`${on.origin}/rooms/${room_id}/join`, { username: `g${n}`, password: 'wrong' }, '203.0.113.5');
    expect([(await guess(a, 1)).status, (await guess(b, 2)).status, (await guess(a, 3)).status]).toEqual([401, 401, 401]);
    expect((await guess(b, 4)).status).toBe(429);

    // logins: two wrong on A, the third on B is refused
    expect((await post(`${a.origin}/register`, { username: 'carol', password: 'carols password' }, '192.0.2.2')).status).toBe(201);
    const login = (on: ChildServer) => post(`${on.origin}/login`, { username: 'carol', password: 'not hers' }, '203.0.113.6');
    expect([(await login(a)).status, (await login(a)).status]).toEqual([401, 401]);
    const refused = await login(b);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.code).toBe('too_many_attempts');

    // joins per address: three allowed in all, wherever they land
    const free = (await (await post(`${a.origin}/rooms`, { name: 'open', owner_name: 'o', max_users: 10 }, '192.0.2.3')).json()) as any;
    const join = (on: ChildServer, name: string) => post(`${on.origin}/rooms/${free.room_id}/join`, { username: name }, '203.0.113.7');
    expect([(await join(a, 'j1')).status, (await join(b, 'j2')).status, (await join(a, 'j3')).status]).toEqual([200, 200, 200]);
    expect((await join(b, 'j4')).status).toBe(429);

    // messages per member: counted here at once, in Redis right after; a member over the limit on
    // both instances together is refused from the next message on
    const member = (await (await post(`${a.origin}/rooms/${free.room_id}/join`, { username: 'talker' }, '203.0.113.8')).json()) as any;
    const say = (on: ChildServer, i: number) =>
      fetch(`${on.origin}/rooms/${free.room_id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${member.token}`, 'x-forwarded-for': '203.0.113.8' },
        body: JSON.stringify({ content: `m${i}` }),
      });
    const statuses: number[] = [];
    for (const [i, on] of [a, a, a, b, b, b].entries()) {
      statuses.push((await say(on, i)).status);
      await Bun.sleep(HOT_FLUSH_MS + 150); // the count reaches Redis
    }
    // a burst of 4 (MESSAGE_BURST): B's own count allows 3, but the shared count stops the last
    expect(statuses.slice(0, 4)).toEqual([201, 201, 201, 201]);
    expect(statuses[5]).toBe(429);
  });
});
