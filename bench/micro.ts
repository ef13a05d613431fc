// Per-message costs of mayfly's message path, piece by piece, in one process (no sockets), wired
// exactly as the server wires it (createDeps, memory storage): what the profile under scenario (2)
// points at, in µs per message, next to cheaper equivalents (the "alternative" rows are sketches of
// suggested changes, not mayfly code).
//   bun bench/micro.ts [messages]
import { nanoid } from 'nanoid';
import { loadConfig } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';
import { createLogger } from '../src/log.ts';
import { messageEvent, type MessageEvent } from '../src/realtime/events.ts';
import { ClientFrame, createRoomSchema } from '../src/rooms/schema.ts';
import type { Member } from '../src/rooms/service.ts';
import type { Message } from '../src/rooms/types.ts';
import { renderLive } from '../src/views/fragments.tsx';

const N = Number(process.argv[2] ?? 30_000);
const ROOM = 20;
const results: Array<[string, number]> = [];

async function time(name: string, fn: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < 3000; i++) await fn(i); // warm up the JIT
  Bun.gc(true);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) await fn(i);
    best = Math.min(best, ((performance.now() - t) * 1000) / N);
  }
  results.push([name, best]);
}

const config = loadConfig({
  LOG_LEVEL: 'silent',
  RATE_LIMIT_EXEMPT: '127.0.0.1',
  MESSAGE_RATE: '1000000',
  MESSAGE_BURST: '10000',
  DEFAULT_MAX_USERS: String(ROOM),
});
const deps = await createDeps(config, createLogger('silent'));
const { rooms, store, hub } = deps;
const { room } = await rooms.create(
  { name: 'bench', owner_name: 'owner', expiry_seconds: 3600 },
  { ownerJoins: false, address: '127.0.0.1' },
);
const members: Member[] = [];
for (let j = 0; j < ROOM; j++) members.push(await rooms.join(room.id, { username: `m${j}` }, { address: '127.0.0.1' }));
// A stand-in /ws socket so the hub serves the room; no server is bound, so server.publish is skipped.
const fake = {
  data: {
    kind: 'ws',
    roomId: room.id,
    address: '127.0.0.1',
    tokenHash: members[0]!.tokenHash,
    identity: members[0]!.identity,
    since: null,
    pending: null,
    strikes: 0,
  },
  readyState: 1,
  subscribe() {},
  send() {},
};
await hub.attach(fake as any);
hub.ready(fake as any, 0);

const draft = (i: number) => ({
  id: nanoid(16),
  username: 'm3',
  memberId: members[3]!.identity.memberId,
  content: `~${i}~ hello from the mayfly bench`,
  timestamp: new Date().toISOString(),
  verified: false,
});

await time('RoomService.post → store → broker → hub (all but the socket writes)', (i) =>
  rooms.post(room.id, members[i % ROOM]!, `~${i}~ hello from the mayfly bench`, '127.0.0.1'),
);
await time(`store.appendMessage (${store.kind}, room of ${ROOM}, history full)`, (i) =>
  store.appendMessage(room.id, draft(i), config.HISTORY_LIMIT),
);
await time('store.getRoom', () => store.getRoom(room.id));
{
  // A memory-only store can append synchronously: no lock chain, no awaits.
  const live = { seq: 0, ring: [] as Message[], expiresAt: room.expiresAt };
  await time('alternative: synchronous append to an in-process ring (incl. draft)', (i) => {
    if (live.expiresAt <= Date.now()) return null;
    const m = { ...draft(i), seq: ++live.seq };
    live.ring.push(m);
    if (live.ring.length > config.HISTORY_LIMIT) live.ring.shift();
    return m;
  });
}
await time('  draft alone: nanoid(16) + new Date().toISOString()', (i) => draft(i));
{
  let counter = 0;
  const prefix = nanoid(8);
  let lastMs = 0;
  let lastIso = '';
  await time('  alternative: counter id + ISO string cached per ms', () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    return { id: `${prefix}${(counter++).toString(36)}`, timestamp: lastIso };
  });
}

const event: MessageEvent = messageEvent(room.id, { ...draft(1), seq: 42 });
await time('renderLive(message): hono/jsx, once per message with /live sockets', () => renderLive(event));
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
await time(
  'alternative: template literal + escape for the same fragment',
  () =>
    `<hx-partial hx-target="#messages" hx-swap="beforeend"><li class="msg" id="msg-${event.seq}" data-seq="${event.seq}" data-member="${esc(event.member_id)}"><div class="msg-head"><span class="who">${esc(event.username)}</span><time datetime="${esc(event.timestamp)}">${esc(event.timestamp.slice(11, 16))}</time></div><p class="body" dir="auto">${esc(event.content)}</p></li></hx-partial>`,
);
await time('JSON.stringify(message event): the /ws frame, once per message', () => JSON.stringify(event));

const frame = '{"type":"message","content":"~123456~ hello from the mayfly bench"}';
await time('JSON.parse + ClientFrame.safeParse (zod), per incoming frame', () => ClientFrame.safeParse(JSON.parse(frame)));
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
await time('alternative: JSON.parse + hand check of {type, content}', () => {
  const j = JSON.parse(frame);
  if (j?.type !== 'message' || typeof j.content !== 'string') return null;
  const c = j.content.trim();
  return c.length >= 1 && c.length <= 2000 && !CONTROL.test(c) ? c : null;
});

// POST /rooms validation: src/web/rooms.tsx builds the schema per request.
const createBody = { name: 'bench room', owner_name: 'owner', expiry_seconds: 3600 };
await time('POST /rooms body: createRoomSchema(…) built per request + safeParse', () =>
  createRoomSchema(config.MAX_EXPIRY_SECONDS, config.DEFAULT_EXPIRY_SECONDS).safeParse(createBody),
);
const prebuilt = createRoomSchema(config.MAX_EXPIRY_SECONDS, config.DEFAULT_EXPIRY_SECONDS);
await time('alternative: schema built once, safeParse per request', () => prebuilt.safeParse(createBody));

rooms.stop();
const w = Math.max(...results.map((r) => r[0].length));
console.log(`\nper message, µs (best of 3 × ${N}; Bun ${Bun.version}; shared machine: compare rows, not runs)\n`);
for (const [name, us] of results) console.log(`${name.padEnd(w)}  ${us.toFixed(2).padStart(7)}`);
process.exit(0);
