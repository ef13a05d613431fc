// Redis mode's per-message cost without sockets: what RoomService.post does with the store and
// broker that openRedis wires (append to the history + publish the event), with many messages in
// flight as when thousands of sockets send, on a redis-server started here.
//   bun bench/micro-redis.ts [messages] [in-flight]
import { nanoid } from 'nanoid';
import { createLogger } from '../src/log.ts';
import { messageEvent } from '../src/realtime/events.ts';
import { openRedis } from '../src/storage/redis.ts';
import { cpuSeconds, pool } from './lib/common.ts';
import { benchRooms } from './lib/rooms.ts';
import { killAll, startRedis } from './lib/procs.ts';

const N = Number(process.argv[2] ?? 40_000);
const INFLIGHT = Number(process.argv[3] ?? 1000);
const ROOMS = 500;

const redisProc = await startRedis();
try {
  const { store, broker } = await openRedis(redisProc.url, createLogger('silent'), 3000);
  const rooms = await benchRooms(store, ROOMS);
  // As RoomService.post, minus the rate limit: append, then publish unless the store already did.
  const post = async (i: number) => {
    const roomId = rooms[i % ROOMS]!;
    const draft = {
      id: nanoid(16),
      username: 'm1',
      memberId: 'abcdefghijkl',
      content: `~${i}~ hello from the mayfly bench`,
      timestamp: new Date().toISOString(),
      verified: false,
    };
    const m = await store.appendMessage(roomId, draft, 200);
    if (m && !store.publishesMessages) await broker.publish(roomId, messageEvent(roomId, m));
  };
  for (const inflight of [1, 100, INFLIGHT]) {
    const n = inflight === 1 ? Math.min(N, 5000) : N;
    const cpu0 = process.cpuUsage();
    const r0 = cpuSeconds(redisProc.pid) ?? 0;
    const t0 = performance.now();
    await pool(n, inflight, post);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const redisCpu = (cpuSeconds(redisProc.pid) ?? 0) - r0;
    console.log(
      `${String(inflight).padStart(5)} in flight: ${Math.round(n / secs)
        .toString()
        .padStart(
          7,
        )} msg/s   mayfly-side CPU ${((cpu.user + cpu.system) / n).toFixed(1).padStart(6)} µs/msg   redis-server CPU ${((redisCpu * 1e6) / n).toFixed(1).padStart(5)} µs/msg`,
    );
  }
  await broker.close();
  await store.close();
} finally {
  await redisProc.stop();
  killAll();
}
process.exit(0);
