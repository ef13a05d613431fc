// SQLite keeps no deleted text: after a room is destroyed or expires, none of its messages is left in the
// database file's freed pages nor in the WAL (secure_delete, and a WAL checkpoint after each delete).
import { afterAll, describe, expect, test, setDefaultTimeout } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.ts';

setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'mayfly-erase-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Which of the texts still occur in the database file or its WAL, as raw bytes. */
function leftovers(file: string, texts: string[]): string[] {
  const bytes = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f));
  return texts.filter((t) => bytes.some((b) => b.includes(Buffer.from(t))));
}

describe('SQLite erases what it deletes', () => {
  test('destroyed and expired rooms leave none of their texts in the database file or the WAL', async () => {
    const file = join(dir, 'erase.db');
    const s = await startTestServer({ STORAGE_URL: `sqlite:${file}` });
    const texts: string[] = [];
    try {
      const rooms: { id: string; owner: string }[] = [];
      for (let r = 0; r < 40; r++) {
        const res = await fetch(`${s.origin}/rooms`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `erase room ${r}`, owner_name: 'owner' }),
        });
        const room = (await res.json()) as { room_id: string; owner_token: string };
        const member = await fetch(`${s.origin}/rooms/${room.room_id}/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'writer' }),
        });
        const { token } = (await member.json()) as { token: string };
        for (let m = 0; m < 3; m++) {
          const text = `zebra-${r}-${m}-${crypto.randomUUID()}`;
          texts.push(text);
          const sent = await fetch(`${s.origin}/rooms/${room.room_id}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ content: text }),
          });
          expect(sent.status).toBe(201);
        }
        rooms.push({ id: room.room_id, owner: room.owner_token });
      }
      // Written, and readable in the files before the rooms end (the check below can see text).
      expect(leftovers(file, texts).length).toBeGreaterThan(0);
      for (const [i, room] of rooms.entries()) {
        if (i % 2 === 0) {
          const res = await fetch(`${s.origin}/rooms/${room.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${room.owner}` } });
          expect(res.status).toBe(204);
        } else await s.deps.rooms.expire(room.id); // what the expiry timer and the idle sweep call
      }
      expect(await s.deps.store.listRoomIds()).toEqual([]);
      expect(leftovers(file, texts)).toEqual([]);
    } finally {
      await s.stop();
    }
    // Nor after the database is closed.
    expect(leftovers(file, texts)).toEqual([]);
  });
});
