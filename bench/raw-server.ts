// The limit for this runtime: a bare Bun.serve pub/sub server. Every socket subscribes to its room
// and every text frame it sends is republished to the room as is (server.publish: the sender gets
// it too, as in mayfly). Same URLs as mayfly for the bench client, no validation, no storage.
// Socket limits match mayfly's (src/web/sockets.ts) so both refuse slow readers the same way.
//   PORT=… bun bench/raw-server.ts
import { nanoid } from 'nanoid';

type Data = { room: string };

const port = Number(process.env.PORT ?? 0);

// Knobs, each adding one ingredient of mayfly's message path to see what it costs on its own.
// RAW_PAD=<bytes> pads every frame (the saturation scenario's second reference: frames as large as
// mayfly's); RAW_EVENT=1 builds a mayfly-like JSON
// event per message (JSON.parse, id, seq, ISO timestamp, JSON.stringify); RAW_ASYNC=<n> publishes
// after n awaits, from a handler that returns a promise (as mayfly's does).
const PAD = Number(process.env.RAW_PAD ?? 0);
const EVENT = process.env.RAW_EVENT === '1';
const ASYNC = Number(process.env.RAW_ASYNC ?? 0);
const EXPERIMENT = PAD > 0 || EVENT || ASYNC > 0;
let seq = 0;
async function experiment(room: string, message: string | Buffer) {
  for (let i = 0; i < ASYNC; i++) await undefined;
  let frame = typeof message === 'string' ? message : message.toString();
  if (EVENT) {
    const m = JSON.parse(frame);
    frame = JSON.stringify({ type: 'message', room_id: room, id: nanoid(16), seq: ++seq, username: 'm3', member_id: 'abcdefghijkl', content: m.content, verified: false, timestamp: new Date().toISOString() });
  }
  if (PAD > frame.length) frame += ' '.repeat(PAD - frame.length);
  server.publish(room, frame);
}
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const server = Bun.serve<Data>({
  port,
  hostname: '127.0.0.1',
  fetch(req, srv) {
    const url = new URL(req.url);
    const parts = url.pathname.split('/'); // ['', 'rooms', id, what]
    if (parts[1] === 'rooms' && parts[2] && (parts[3] === 'ws' || parts[3] === 'live') && req.method === 'GET') {
      if (srv.upgrade(req, { data: { room: parts[2] } })) return undefined as unknown as Response;
      return json({ error: 'upgrade failed' }, 400);
    }
    if (req.method === 'POST' && url.pathname.replace(/\/$/, '') === '/rooms') {
      return req.json().then(() => json({ room_id: nanoid(21), owner_token: nanoid(32) }, 201));
    }
    if (req.method === 'POST' && parts[1] === 'rooms' && parts[2] && parts[3] === 'join') {
      return req.json().then((b: any) => json({ token: nanoid(32), username: String(b?.username ?? 'guest') }));
    }
    if (url.pathname === '/healthz') return json({ status: 'ok' });
    return json({ error: 'not found' }, 404);
  },
  websocket: {
    maxPayloadLength: 16 * 1024,
    idleTimeout: 120,
    sendPings: true,
    backpressureLimit: 1024 * 1024,
    closeOnBackpressureLimit: true,
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    message(ws, message) {
      if (!EXPERIMENT) return void server.publish(ws.data.room, message);
      return experiment(ws.data.room, message); // a promise, like mayfly's async handler
    },
  },
});

console.log(`raw server on ${server.port}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
