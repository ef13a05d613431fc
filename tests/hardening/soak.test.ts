// Soak: 10,000 sockets held in one server process for a while, with chat going on, and flat memory.
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { createRoom, spawnServer, waitFor } from '../helpers/server.ts';

const SOCKETS = Number(process.env.SOAK_SOCKETS ?? 10_000);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 90);
const ROOM_SIZE = 20;

const rssOf = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) * 1024;

test(
  `${SOCKETS} sockets held for ${SECONDS}s with chat going on: memory stays flat`,
  async () => {
    const server = await spawnServer({ DEFAULT_MAX_USERS: String(ROOM_SIZE), MESSAGE_RATE: '100', MESSAGE_BURST: '100' });
    const sockets: WebSocket[] = [];
    let received = 0;
    try {
      const rooms: string[] = [];
      for (let i = 0; i < SOCKETS / ROOM_SIZE; i++) {
        rooms.push((await createRoom(server.origin, { name: `soak ${i}`, owner_name: 'o', expiry_seconds: SECONDS + 120 })).room_id);
      }
      let opened = 0;
      for (let i = 0; i < SOCKETS; i++) {
        const ws = new WebSocket(`${server.wsOrigin}/rooms/${rooms[i % rooms.length]}/ws?username=u${i}`);
        ws.onopen = () => opened++;
        ws.onmessage = () => received++;
        sockets.push(ws);
        if (i % 200 === 199) await waitFor(() => opened >= i - 400, 20000, 'sockets opening');
      }
      await waitFor(() => opened === SOCKETS, 60000, `${SOCKETS} sockets open`);
      await Bun.sleep(2000);
      const samples: number[] = [rssOf(server.proc.pid)];
      const end = Date.now() + SECONDS * 1000;
      let turn = 0;
      while (Date.now() < end) {
        // one message per room every second or so
        for (let r = 0; r < rooms.length; r++)
          sockets[r + (turn % ROOM_SIZE) * rooms.length]?.send(JSON.stringify({ type: 'message', content: `tick ${turn}` }));
        turn++;
        await Bun.sleep(1000);
        if (turn % 10 === 0) samples.push(rssOf(server.proc.pid));
      }
      samples.push(rssOf(server.proc.pid));
      const first = samples[0]!;
      const last = samples.at(-1)!;
      console.log(
        `soak: ${SOCKETS} sockets, rss MiB ${samples.map((s) => (s / 2 ** 20).toFixed(0)).join(' → ')}, ${received} frames received`,
      );
      expect(sockets.filter((s) => s.readyState === WebSocket.OPEN).length).toBe(SOCKETS);
      expect(received).toBeGreaterThan(SOCKETS * (turn - 2));
      // Flat: after warm-up, memory grows by less than 25% (+32 MiB of allocator slack).
      expect(last).toBeLessThan(first * 1.25 + 32 * 2 ** 20);
    } finally {
      for (const s of sockets) s.close();
      await server.stop('SIGKILL');
    }
  },
  (SECONDS + 150) * 1000,
);
