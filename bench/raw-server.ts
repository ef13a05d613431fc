// The limit for this runtime: a bare Bun.serve pub/sub server. Every socket subscribes to its room
// and every text frame it sends is republished to the room as is (server.publish: the sender gets
// it too, as in mayfly). Same URLs as mayfly for the bench client, no validation, no storage.
// Socket limits match mayfly's (src/web/sockets.ts) so both refuse slow readers the same way.
//   PORT=… bun bench/raw-server.ts
import { nanoid } from 'nanoid';

type Data = { room: string };

const port = Number(process.env.PORT ?? 0);

// RAW_PAD=<bytes> pads every frame to that size (the saturation scenario's second reference:
// frames as large as mayfly's), from a handler that returns a promise (as mayfly's does).
const PAD = Number(process.env.RAW_PAD ?? 0);
async function padded(room: string, message: string | Buffer) {
  let frame = typeof message === 'string' ? message : message.toString();
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
      if (PAD === 0) return void server.publish(ws.data.room, message);
      return padded(ws.data.room, message);
    },
  },
});

console.log(`raw server on ${server.port}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
