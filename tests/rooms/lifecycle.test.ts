// Room lifecycles with a real server: idle rooms vanish early; SQLite keeps rooms across a restart.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoom, joinRoom, spawnServer, startTestServer, waitFor } from '../helpers/server.ts';
import { connect } from '../helpers/ws.ts';

const dir = mkdtempSync(join(tmpdir(), 'mayfly-life-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a room with idle_seconds vanishes once nobody has been in it that long, and not while someone is', async () => {
  const server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3' });
  try {
    const idle = await createRoom(server.origin, { idle_seconds: 30, expiry_seconds: 600 });
    const busy = await createRoom(server.origin, { idle_seconds: 30, expiry_seconds: 600 });
    const m = await joinRoom(server.origin, busy.room_id, 'stayer');
    const s = await connect(`${server.wsOrigin}/rooms/${busy.room_id}/ws?token=${m.token}`);
    await s.type('history');
    const status = (id: string) => fetch(`${server.origin}/rooms/${id}`, { headers: { accept: 'application/json' } }).then((r) => r.status);
    await Bun.sleep(20_000);
    expect(await status(idle.room_id)).toBe(200);
    await waitFor(async () => (await status(idle.room_id)) === 404, 20_000, 'the idle room to vanish');
    expect(await status(busy.room_id)).toBe(200);
    expect(s.closed).toBeNull();
    s.close();
  } finally {
    await server.stop();
  }
}, 60_000);

test('SQLite storage keeps rooms, members and history across a restart; rooms that expired while down are gone', async () => {
  const env = { STORAGE_URL: `sqlite:${join(dir, 'mayfly.db')}` };
  let server = await spawnServer(env);
  const room = await createRoom(server.origin, { expiry_seconds: 600 });
  const short = await createRoom(server.origin, { expiry_seconds: 5 });
  const m = await joinRoom(server.origin, room.room_id, 'keeper');
  const post = (origin: string, content: string) =>
    fetch(`${origin}/rooms/${room.room_id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.token}` },
      body: JSON.stringify({ content }),
    });
  expect((await post(server.origin, 'before restart')).status).toBe(201);
  await server.stop('SIGTERM');
  await Bun.sleep(5500); // the short room expires while the server is down

  server = await spawnServer(env);
  try {
    const s = await connect(`${server.wsOrigin}/rooms/${room.room_id}/ws?token=${m.token}`);
    const history = await s.type('history');
    expect(history.messages.map((x: { content: string }) => x.content)).toEqual(['before restart']);
    expect((await post(server.origin, 'after restart')).status).toBe(201);
    expect((await s.next((f) => f.type === 'message')).seq).toBe(2);
    s.close();
    expect((await fetch(`${server.origin}/rooms/${short.room_id}`, { headers: { accept: 'application/json' } })).status).toBe(404);
  } finally {
    await server.stop('SIGTERM');
  }
}, 40_000);
