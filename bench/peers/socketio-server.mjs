// The Socket.IO 4 peer: a chat server as a Socket.IO user would write it, with the same HTTP surface
// as bench/raw-server.ts (POST /rooms, POST /rooms/{id}/join, GET /healthz) so the bench client's
// setup works unchanged. Members connect to /socket.io/?EIO=4&transport=websocket&token=<token>;
// every `message` event (the content string) is validated, stamped {id, seq, room, author, content,
// time}, kept in the room's last 200 and emitted to the room, sender included (as mayfly does).
// REDIS_URL set: @socket.io/redis-adapter over ioredis, history in Redis (RPUSH + LTRIM, pipelined,
// before the emit, as mayfly appends before it publishes). Unset: the in-memory adapter and arrays.
// Plain JS: bench/lib/procs.ts runs it under `node --expose-gc` where node is on PATH, else under bun.
//   PORT=… node bench/peers/socketio-server.mjs
import { createServer } from 'node:http';
import { nanoid } from 'nanoid';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const redisUrl = process.env.REDIS_URL;
const HISTORY = 200;
const MAX_CONTENT = 4000;

/** room id → { seq, history (memory mode only) } */
const rooms = new Map();
/** member token → { room, username } */
const tokens = new Map();

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** Reads a small JSON body (≤ 16 KiB); null when it is not JSON. */
const readJson = (req) =>
  new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
      if (text.length > 16 * 1024) req.destroy();
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(null);
      }
    });
    req.on('error', () => resolve(null));
  });

const httpServer = createServer(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const parts = path.split('/'); // ['', 'rooms', id, 'join']
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'POST' && path.replace(/\/$/, '') === '/rooms') {
    await readJson(req);
    const id = nanoid(21);
    rooms.set(id, { seq: 0, history: redisUrl ? null : [] });
    return send(res, 201, { room_id: id, owner_token: nanoid(32) });
  }
  if (req.method === 'POST' && parts[1] === 'rooms' && parts[2] && parts[3] === 'join' && parts.length === 4) {
    const body = await readJson(req);
    if (!rooms.has(parts[2])) return send(res, 404, { error: 'room not found' });
    const username = String(body?.username ?? 'guest').slice(0, 32);
    const token = nanoid(32);
    tokens.set(token, { room: parts[2], username });
    return send(res, 200, { token, username });
  }
  send(res, 404, { error: 'not found' });
});

const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: 16 * 1024,
  perMessageDeflate: false,
});

let redis = null;
if (redisUrl) {
  const { Redis } = await import('ioredis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  redis = new Redis(redisUrl);
  const sub = redis.duplicate();
  io.adapter(createAdapter(redis, sub));
}

io.use((socket, next) => {
  const member = tokens.get(String(socket.handshake.query.token ?? ''));
  if (!member || !rooms.has(member.room)) return next(new Error('unknown token'));
  socket.data.room = member.room;
  socket.data.username = member.username;
  next();
});

io.on('connection', (socket) => {
  const { room, username } = socket.data;
  socket.join(room);
  socket.on('message', async (content) => {
    if (typeof content !== 'string' || content.length === 0 || content.length > MAX_CONTENT) {
      socket.emit('chat-error', { error: 'invalid message' });
      return;
    }
    const r = rooms.get(room);
    if (!r) return;
    const msg = { id: nanoid(21), seq: ++r.seq, room, author: username, content, time: new Date().toISOString() };
    if (redis) {
      const key = `room:${room}:history`;
      try {
        await redis.pipeline().rpush(key, JSON.stringify(msg)).ltrim(key, -HISTORY, -1).exec();
      } catch {
        socket.emit('chat-error', { error: 'storage unavailable' });
        return;
      }
    } else {
      r.history.push(msg);
      if (r.history.length > HISTORY) r.history.shift();
    }
    io.to(room).emit('message', msg);
  });
});

httpServer.listen(port, '127.0.0.1', () => {
  console.log(`socketio server on ${httpServer.address().port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
// SIGUSR2: a full garbage collection before the bench's idle memory readings (node needs --expose-gc).
process.on('SIGUSR2', () => {
  if (globalThis.Bun) globalThis.Bun.gc(true);
  else globalThis.gc?.();
});
// The bench may die without telling us: leave with it (no orphaned servers).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
