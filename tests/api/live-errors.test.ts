// /live refusals read as plain language (and mark a refused message for app.js); /ws keeps its codes.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { createRoom, joinRoom, startTestServer, type TestServer, waitFor } from '../helpers/server.ts';
import { TestSocket } from '../helpers/ws.ts';

setDefaultTimeout(20_000);

let s: TestServer;
const open: TestSocket[] = [];
beforeAll(async () => {
  s = await startTestServer({ MESSAGE_RATE: '1', MESSAGE_BURST: '2' });
});
afterEach(() => {
  for (const ws of open.splice(0)) if (!ws.closed) ws.close();
});
afterAll(async () => {
  await s?.stop();
});

async function ws(path: string, headers?: Record<string, string>): Promise<TestSocket> {
  const sock = new TestSocket(`${s.wsOrigin}${path}`, headers);
  open.push(sock);
  await sock.opened;
  return sock;
}

/** The n-th error fragment (1-based) the socket got. */
async function errorHtml(live: TestSocket, n: number): Promise<string> {
  const errors = () => live.frames.filter((f) => f.type === '__html' && String(f.html).includes('#chat-error'));
  await waitFor(() => errors().length >= n, 5000, `error fragment ${n}`);
  return String(errors()[n - 1]!.html);
}

test('/live: no protocol words in refusals; a refused message is marked data-refused, a bad frame of another kind is not', async () => {
  const room = await createRoom(s.origin);
  const alice = await joinRoom(s.origin, room.room_id, 'alice');
  const live = await ws(`/rooms/${room.room_id}/live`, { Cookie: `mayfly_member=${alice.token}` });

  live.send({ type: 'message', content: '   ' });
  let html = await errorHtml(live, 1);
  expect(html).toContain('Write something before sending.');
  expect(html).toContain('data-refused');
  expect(html).not.toContain('frame');

  live.send({ type: 'message', content: 'x'.repeat(2001) });
  html = await errorHtml(live, 2);
  expect(html).toContain('That message is too long (at most 2000 characters).');

  live.send({ type: 'nonsense' });
  html = await errorHtml(live, 3);
  expect(html).toContain('That could not be sent. Reload the page and try again.');
  expect(html).not.toContain('data-refused');

  // Past the burst: too fast, in words.
  for (let i = 0; i < 3; i++) live.send({ type: 'message', content: `quick ${i}` });
  html = await errorHtml(live, 4);
  expect(html).toContain('You are sending messages too fast; wait a moment.');
  expect(html).toContain('data-refused');
});

test('/ws keeps its codes and technical messages', async () => {
  const room = await createRoom(s.origin);
  const sock = await ws(`/rooms/${room.room_id}/ws?username=api`);
  await sock.type('history');
  sock.send({ type: 'message', content: '   ' });
  const e = await sock.type('error');
  expect(e.code).toBe('invalid_frame');
  expect(e.message).toBe('Invalid frame (content: must not be empty).');
});
