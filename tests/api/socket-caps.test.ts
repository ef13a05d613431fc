// Guests and sockets can't sidestep the limits: sockets per member and per address are capped,
// guest sockets count as joins per address, and a reconnecting guest gets no fresh message allowance.
import { afterEach, expect, test } from 'bun:test';
import { createRoom, joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

const servers: TestServer[] = [];
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) if (!s.closed) s.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function server(env: Record<string, string>): Promise<TestServer> {
  // no address is exempt here: 127.0.0.1 counts like anyone
  const s = await startTestServer({ RATE_LIMIT_EXEMPT: '', ...env });
  servers.push(s);
  return s;
}

/** A socket as a browser opens it (with this site's Origin); resolves once open or closed. */
async function open(s: TestServer, path: string): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, { origin: s.origin });
  sockets.push(sock);
  await sock.opened.catch(() => {});
  await Promise.race([sock.type('history', 3000).catch(() => {}), sock.closedWith(3000).catch(() => {})]);
  return sock;
}

test('sockets per member and per address are capped with close code 4429; a closed one frees its place', async () => {
  const s = await server({ MAX_SOCKETS_PER_MEMBER: '2', MAX_SOCKETS_PER_ADDRESS: '3' });
  const room = await createRoom(s.origin, { max_users: 20 });
  const alice = await joinRoom(s.origin, room.room_id, 'alice');
  const mine = `/rooms/${room.room_id}/ws?token=${alice.token}`;
  const [a1, a2] = [await open(s, mine), await open(s, mine)];
  expect([a1.closed, a2.closed]).toEqual([null, null]);
  const a3 = await open(s, mine);
  expect(a3.closed).toEqual({ code: 4429, reason: 'too many sockets' });
  a1.close();
  await a1.closedWith();
  await Bun.sleep(100);
  const a4 = await open(s, mine);
  expect(a4.closed).toBeNull();
  // the address holds 2 (a2, a4): one guest more fits, the next does not
  const g1 = await open(s, `/rooms/${room.room_id}/ws?username=g1`);
  expect(g1.closed).toBeNull();
  const g2 = await open(s, `/rooms/${room.room_id}/ws?username=g2`);
  expect(g2.closed).toEqual({ code: 4429, reason: 'too many sockets' });
});

test('guest sockets count against the per-address join limit', async () => {
  const s = await server({ JOIN_RATE_PER_MINUTE: '2' });
  const room = await createRoom(s.origin, { max_users: 20 });
  const g1 = await open(s, `/rooms/${room.room_id}/ws?username=g1`);
  const g2 = await open(s, `/rooms/${room.room_id}/ws?username=g2`);
  expect([g1.closed, g2.closed]).toEqual([null, null]);
  const g3 = await open(s, `/rooms/${room.room_id}/ws?username=g3`);
  expect(g3.closed?.code).toBe(4429);
  expect(g1.of('user_joined').map((f) => f.username)).not.toContain('g3');
});

test('a reconnecting guest gets no fresh allowance: messages are limited per address too', async () => {
  const s = await server({ MESSAGE_BURST: '100', MESSAGE_RATE: '50', MESSAGE_ADDRESS_BURST: '5' });
  const room = await createRoom(s.origin, { max_users: 20 });
  const first = await open(s, `/rooms/${room.room_id}/ws?username=spammer`);
  for (let i = 0; i < 5; i++) first.send({ type: 'message', content: `m${i}` });
  await first.next((f) => f.type === 'message' && f.content === 'm4');
  first.close();
  await first.closedWith();
  const again = await open(s, `/rooms/${room.room_id}/ws?username=spammer2`);
  again.send({ type: 'message', content: 'one more' });
  const refused = await again.next((f) => f.type === 'error');
  expect(refused.code).toBe('too_many_messages');
});
