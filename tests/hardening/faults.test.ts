// Abuse and faults: a client that stops reading, privacy of logs, security headers, odd Unicode.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { connect as tcpConnect, type Socket } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server.ts';
import { createRoom, joinRoom, startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { connect } from '../helpers/ws.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MESSAGE_RATE: '10000', MESSAGE_BURST: '10000', PRESENCE_GRACE_SECONDS: '3' });
});
afterAll(async () => {
  await server.stop();
});

/** A WebSocket client that completes the handshake and then never reads again. */
function stalledClient(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect(port, '127.0.0.1', () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    sock.once('data', () => {
      sock.pause(); // stop reading: the kernel buffers fill, then the server's
      resolve(sock);
    });
    sock.on('error', () => {});
    setTimeout(() => reject(new Error('no handshake')), 5000);
  });
}

test('a client that stops reading is closed, not buffered without bound; the others keep chatting', async () => {
  const room = await createRoom(server.origin, { max_users: 5 });
  const talker = await joinRoom(server.origin, room.room_id, 'talker');
  const t = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${talker.token}`);
  await t.type('history');
  const slow = await stalledClient(server.server.port!, `/rooms/${room.room_id}/ws?username=sloth`);
  await t.next((f) => f.type === 'user_joined' && f.username === 'sloth');
  const rssBefore = process.memoryUsage().rss;
  const chunk = 'x'.repeat(1900);
  // ~40 MB of messages for the stalled socket, far past its 1 MiB backpressure limit.
  for (let i = 0; i < 20000 && !t.frames.some((f) => f.type === 'user_left'); i++) {
    t.send({ type: 'message', content: `${i} ${chunk}` });
    if (i % 500 === 0) await Bun.sleep(5);
  }
  const left = await t.next((f) => f.type === 'user_left' && f.username === 'sloth', 15000, 'the stalled client to be dropped');
  expect(left.users).toEqual(['talker']);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(300 * 1024 * 1024);
  slow.destroy();
  t.send({ type: 'message', content: 'still here' });
  await t.next((f) => f.type === 'message' && f.content === 'still here');
  t.close();
}, 60000);

test('logs are JSON lines with no message content, passwords or tokens, even at debug level', async () => {
  const lines: string[] = [];
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', RATE_LIMIT_EXEMPT: '127.0.0.1' });
  const running = await startServer(
    config,
    createLogger('debug', (l) => lines.push(l)),
  );
  const origin = `http://127.0.0.1:${running.server.port}`;
  try {
    const room = await createRoom(origin, { password: 'hunter2-secret-pw', name: 'Secret Room Name' });
    const m = await joinRoom(origin, room.room_id, 'logwatcher', 'hunter2-secret-pw');
    await fetch(`${origin}/rooms/${room.room_id}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x', password: 'wrong-guess-pw' }),
    });
    const s = await connect(`${running.server.url.href.replace('http', 'ws')}rooms/${room.room_id}/ws?token=${m.token}`);
    await s.type('history');
    s.send({ type: 'message', content: 'TOP-SECRET-CONTENT-42' });
    s.send('{"type":"message","content":"BROKEN-FRAME-CONTENT');
    await s.type('message');
    await s.type('error');
    await fetch(`${origin}/rooms/${room.room_id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.token}` },
      body: JSON.stringify({ content: 'HTTP-SECRET-CONTENT-43' }),
    });
    await fetch(`${origin}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'acct', password: 'account-secret-pw' }),
    });
    await fetch(`${origin}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'acct', password: 'account-secret-pw' }),
    });
    s.close();
    await Bun.sleep(100);
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const parsed = JSON.parse(line);
      expect(typeof parsed.time).toBe('string');
      expect(typeof parsed.msg).toBe('string');
      for (const secret of [
        'TOP-SECRET',
        'BROKEN-FRAME',
        'HTTP-SECRET',
        'hunter2',
        'wrong-guess',
        'account-secret',
        'Secret Room Name',
        m.token,
        room.owner_token,
      ]) {
        expect(line).not.toContain(secret);
      }
    }
    expect(lines.some((l) => JSON.parse(l).request_id)).toBe(true);
    expect(lines.some((l) => JSON.parse(l).room_id === room.room_id)).toBe(true);
  } finally {
    await running.stop();
  }
});

test('pages carry a strict CSP, frame-ancestors none, nosniff and a referrer policy', async () => {
  const res = await fetch(`${server.origin}/`);
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('same-origin');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
});

test('odd Unicode: control characters and direction overrides in names are refused; long words and RTL text are fine', async () => {
  const room = await createRoom(server.origin);
  for (const username of ['evil\u202Egpj.exe', 'bell\u0007', 'nul\u0000name', '\u2066iso']) {
    const res = await fetch(`${server.origin}/rooms/${room.room_id}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.fields.username).toBeString();
  }
  const m = await joinRoom(server.origin, room.room_id, 'نور');
  const post = (content: string) =>
    fetch(`${server.origin}/rooms/${room.room_id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.token}` },
      body: JSON.stringify({ content }),
    });
  expect((await post('a'.repeat(2000))).status).toBe(201);
  expect((await post('مرحبا بالعالم')).status).toBe(201);
  expect((await post('line one\nline two\ttabbed')).status).toBe(201);
  expect((await post('escape \u001b[2J')).status).toBe(400);
  expect((await post('\u0000')).status).toBe(400);
});

test('oversized frames close the socket (1009) and oversized bodies get 413; the server stays up', async () => {
  const room = await createRoom(server.origin);
  const s = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws`);
  await s.type('history');
  s.send({ type: 'message', content: 'y'.repeat(40 * 1024) });
  expect((await s.closedWith()).code).toBe(1009);
  const big = await fetch(`${server.origin}/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'z'.repeat(200 * 1024), owner_name: 'o' }),
  });
  expect(big.status).toBe(413);
  expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  await waitFor(async () => (await fetch(`${server.origin}/readyz`)).status === 200);
});
