// A bench client process: creates its share of rooms, joins its members over HTTP, holds their
// sockets, sends on a schedule and measures what arrives. Driven over IPC by bench/run.ts.
import { Hist, nowUs, pool, sleep } from './lib/common.ts';
import {
  emptyCounts,
  type Cmd,
  type Counts,
  type RunCmd,
  type RunResult,
  type SetupCmd,
  type SetupResult,
  type StormCmd,
  type StormResult,
  type Target,
} from './lib/protocol.ts';
import { OP_TEXT, WsClient, WsConn } from './lib/ws.ts';

type Room = { id: string; members: Member[]; open: number };
type Member = { room: Room; kind: 'ws' | 'live'; name: string; token: string; conn: WsConn<Member> | null; frame: string };

const TILDE = 0x7e;
const DIGIT_0 = 0x30;
const DIGIT_2 = 0x32;
const DIGIT_4 = 0x34;
/** A sender stops queueing once this much is waiting to be written on its socket. */
const MAX_QUEUED_BYTES = 64 * 1024;

let client: WsClient | null = null;
let rooms: Room[] = [];
let members: Member[] = [];
let epochUs = 0;
let tearingDown = false;
/** The target is the Socket.IO peer: Engine.IO/Socket.IO packets over the WebSocket (set by setup). */
let sio = false;
/** Members whose Socket.IO connect (`40`) the server acknowledged. */
let sioConnected = 0;
/** What a sent frame starts with, up to the `~<µs>~` marker. */
const MAYFLY_PREFIX = '{"type":"message","content":"~';
const SIO_PREFIX = '42["message","~';
let sendPrefix = MAYFLY_PREFIX;

// Per run (reset by resetRun).
let measuring = false;
let winStart = 0;
let winEnd = 0;
let recvWindow = 0;
/** Payload bytes of the frames counted in recvWindow. */
let recvWindowBytes = 0;
let recvTotal = 0;
let otherFrames = 0;
let hist = { ws: new Hist(), live: new Hist() };
/** Worst latency (µs) per 100 ms of the window, by arrival time: shows stalls and their rhythm. */
const SLOT_US = 100_000;
let timeline = new Float64Array(0);
let counts: Counts = emptyCounts();
let firstError: string | undefined;

function noteError(what: string) {
  firstError ??= what.slice(0, 300);
}

const decoder = new TextDecoder();

function onFrame(c: WsConn, opcode: number, buf: Buffer, start: number, end: number, recvUs: number): void {
  if (opcode !== OP_TEXT) return;
  if (sio && sioPacket(c, buf, start, end)) return;
  const p = buf.indexOf(TILDE, start);
  if (p >= 0 && p < end) {
    let v = 0;
    let i = p + 1;
    let x: number;
    while (i < end && (x = buf[i]!) >= 48 && x <= 57) {
      v = v * 10 + (x - 48);
      i++;
    }
    recvTotal++;
    if (measuring && recvUs >= winStart && recvUs < winEnd) {
      recvWindow++;
      recvWindowBytes += end - start;
      const lat = recvUs - epochUs - v;
      (c.tag as Member).kind === 'live' ? hist.live.add(lat) : hist.ws.add(lat);
      const slot = ((recvUs - winStart) / SLOT_US) | 0;
      if (lat > timeline[slot]!) timeline[slot] = lat;
    }
    return;
  }
  otherFrames++;
  const text = decoder.decode(buf.subarray(start, Math.min(end, start + 400)));
  if (text.includes('"type":"error"') || text.includes('chat-error')) {
    counts.errorFrames++;
    noteError(`error frame: ${text}`);
  }
}

/**
 * Socket.IO's own packets: Engine.IO ping `2` (answered with pong `3`, or the server drops the
 * socket after pingInterval + pingTimeout), the connect acknowledgement `40{…}` and the connect
 * error `44{…}`. True when the frame was one of those; events (`42[…]`) go on to onFrame.
 */
function sioPacket(c: WsConn, buf: Buffer, start: number, end: number): boolean {
  const b0 = buf[start];
  if (b0 === DIGIT_2 && end - start === 1) {
    client?.sendText(c, '3');
    return true;
  }
  if (b0 === DIGIT_4 && end - start >= 2) {
    const b1 = buf[start + 1];
    if (b1 === DIGIT_0) {
      sioConnected++;
      otherFrames++;
      return true;
    }
    if (b1 === DIGIT_4) {
      otherFrames++;
      counts.errorFrames++;
      noteError(`socket.io connect error: ${decoder.decode(buf.subarray(start, Math.min(end, start + 400)))}`);
      return true;
    }
  }
  return false;
}

function onClose(c: WsConn, code: number, wasOpen: boolean): void {
  const m = c.tag as Member;
  if (wasOpen) m.room.open--;
  if (tearingDown) return;
  counts.closeCodes[code] = (counts.closeCodes[code] ?? 0) + 1;
  if (wasOpen) {
    counts.unexpectedCloses++;
    noteError(`socket closed with ${code}`);
  } else {
    counts.connectFailures++;
    noteError(`connect failed: ${c.status || 'no response'} (${code})`);
  }
}

async function http(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
}

const CONTENT = ' hello from the mayfly bench';

function frameFor(m: Member, target: Target): string {
  // The content is completed per send: `~<µs since epoch>~` + CONTENT. htmx's hx-ws:send adds `headers`.
  if (target.kind === 'socketio') return '"]';
  return m.kind === 'live'
    ? `","headers":{"HX-Request":"true","HX-Trigger":"composer","HX-Target":"composer","HX-Current-URL":"${target.origin}/rooms/${m.room.id}"}}`
    : '"}';
}

async function setup(cmd: SetupCmd): Promise<SetupResult> {
  const t0 = Date.now();
  const deadline = t0 + cmd.deadlineMs;
  epochUs = cmd.epochUs;
  sio = cmd.target.kind === 'socketio';
  sioConnected = 0;
  sendPrefix = sio ? SIO_PREFIX : MAYFLY_PREFIX;
  counts = emptyCounts();
  firstError = undefined;
  tearingDown = false;
  const url = new URL(cmd.target.origin);
  client = new WsClient({ host: url.hostname, port: Number(url.port), now: nowUs, onFrame, onClose });
  rooms = [];
  members = [];
  const created: Array<Room | null> = new Array(cmd.rooms).fill(null);
  await pool(cmd.rooms, cmd.httpConcurrency, async (r) => {
    if (Date.now() > deadline) return;
    try {
      const res = await http(`${cmd.target.origin}/rooms`, { name: `bench room ${r}`, owner_name: 'owner', expiry_seconds: 3600 });
      if (res.status !== 201 || !res.json?.room_id) {
        counts.httpFailures++;
        noteError(`create: ${res.status} ${JSON.stringify(res.json)}`);
        return;
      }
      created[r] = { id: res.json.room_id, members: [], open: 0 };
    } catch (e) {
      counts.httpFailures++;
      noteError(`create: ${e}`);
    }
  });
  rooms = created.filter((r): r is Room => r !== null);
  // Joins interleave rooms, so one room's joins do not queue behind each other.
  const total = rooms.length * cmd.roomSize;
  const joined: Array<Member | null> = new Array(total).fill(null);
  await pool(total, cmd.httpConcurrency, async (i) => {
    if (Date.now() > deadline) return;
    const room = rooms[i % rooms.length]!;
    const j = Math.floor(i / rooms.length);
    const kind = !sio && cmd.liveEvery > 0 && j % cmd.liveEvery === cmd.liveEvery - 1 ? 'live' : 'ws';
    try {
      const res = await http(`${cmd.target.origin}/rooms/${room.id}/join`, { username: `m${j}` });
      if (res.status !== 200 || !res.json?.token) {
        counts.httpFailures++;
        noteError(`join: ${res.status} ${JSON.stringify(res.json)}`);
        return;
      }
      const m: Member = { room, kind, name: `m${j}`, token: res.json.token, conn: null, frame: '' };
      m.frame = frameFor(m, cmd.target);
      joined[i] = m;
    } catch (e) {
      counts.httpFailures++;
      noteError(`join: ${e}`);
    }
  });
  members = joined.filter((m): m is Member => m !== null);
  for (const m of members) m.room.members.push(m);
  let connected = 0;
  await pool(members.length, cmd.connectConcurrency, async (i) => {
    if (Date.now() > deadline) return;
    const m = members[i]!;
    const conn = new WsConn<Member>(m);
    m.conn = conn;
    const token = encodeURIComponent(m.token);
    const path = sio
      ? `/socket.io/?EIO=4&transport=websocket&token=${token}`
      : m.kind === 'live'
        ? `/rooms/${m.room.id}/live`
        : `/rooms/${m.room.id}/ws?token=${token}`;
    const headers = m.kind === 'live' ? `Cookie: mayfly_member=${m.token}\r\n` : '';
    if (await client!.connect(conn, path, headers)) {
      m.room.open++;
      connected++;
      // Connect to the main namespace straight away (no need to wait for the Engine.IO open packet).
      if (sio) client!.sendText(conn, '40');
    }
  });
  // Socket.IO: the member is in its room once the server acknowledged the connect (bounded wait).
  if (sio) {
    const until = Math.min(deadline, Date.now() + 10_000);
    while (sioConnected + counts.errorFrames < connected && Date.now() < until) await sleep(20);
  }
  // Let the server's first frames (history, presence) arrive before anyone measures anything.
  await sleep(200);
  return { ev: 'setup', members: members.length, connected, rooms: rooms.length, ms: Date.now() - t0, counts, firstError };
}

async function run(cmd: RunCmd): Promise<RunResult> {
  counts = emptyCounts();
  firstError = undefined;
  recvWindow = 0;
  recvWindowBytes = 0;
  recvTotal = 0;
  otherFrames = 0;
  hist = { ws: new Hist(), live: new Hist() };
  const sendStart = cmd.startAt;
  winStart = sendStart + cmd.warmupMs * 1000;
  winEnd = winStart + cmd.measureMs * 1000;
  const sendEnd = winEnd;
  timeline = new Float64Array(Math.ceil((cmd.measureMs * 1000) / SLOT_US) + 1);
  measuring = true;

  // Senders in an order that visits every room before the second member of any room.
  const senders: Member[] = [];
  const size = Math.max(0, ...rooms.map((r) => r.members.length));
  for (let j = 0; j < size; j++) for (const r of rooms) if (r.members[j]?.conn?.open) senders.push(r.members[j]!);
  const n = senders.length;
  const perUs = (n * cmd.rate) / 1e6;
  let cursor = 0;
  let sentWindow = 0;
  let sentTotal = 0;
  let skipped = 0;
  let expectedTotal = 0;
  const c = client!;

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowUs();
      if (now < sendStart) return void setTimeout(tick, Math.max(1, Math.min(50, (sendStart - now) / 1000 - 1)));
      if (n === 0) return resolve();
      const due = Math.floor((Math.min(now, sendEnd) - sendStart) * perUs);
      // More than a quarter second behind schedule: the client is overloaded; skip rather than burst.
      const lag = due - cursor;
      const maxLag = Math.max(1, perUs * 250_000);
      if (lag > maxLag) {
        skipped += lag - Math.floor(maxLag);
        cursor = due - Math.floor(maxLag);
      }
      while (cursor < due) {
        const m = senders[cursor % n]!;
        cursor++;
        const conn = m.conn!;
        if (!conn.open || conn.outBytes > MAX_QUEUED_BYTES) {
          skipped++;
          continue;
        }
        const t = nowUs();
        c.sendText(conn, `${sendPrefix}${Math.round(t - epochUs)}~${CONTENT}${m.frame}`);
        sentTotal++;
        if (t >= winStart && t < winEnd) sentWindow++;
        expectedTotal += m.room.open;
      }
      if (now < sendEnd) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Drain: wait for what is still on its way (bounded).
  const drainUntil = Date.now() + cmd.drainMs;
  while (Date.now() < drainUntil && recvTotal < expectedTotal) await sleep(20);
  measuring = false;
  let openAtEnd = 0;
  for (const m of members) if (m.conn?.open) openAtEnd++;
  return {
    ev: 'run',
    sentWindow,
    sentTotal,
    skipped,
    recvWindow,
    recvWindowBytes,
    recvTotal,
    expectedTotal,
    otherFrames,
    hist: { ws: hist.ws.toJSON(), live: hist.live.toJSON() },
    timeline: Array.from(timeline, Math.round),
    counts,
    openAtEnd,
    firstError,
  };
}

let stormRooms: string[] = [];
let stormJoins = 0;

async function storm(cmd: StormCmd): Promise<StormResult> {
  const h = new Hist();
  let ok = 0;
  let failed = 0;
  const statuses: Record<string, number> = {};
  let stormError: string | undefined;
  if (cmd.phase === 'create') {
    stormRooms = [];
    stormJoins = 0;
  }
  const startMs = cmd.startAt / 1000 - performance.timeOrigin;
  await sleep(startMs - performance.now());
  const endMs = startMs + cmd.durationMs;
  const lanes = Array.from({ length: cmd.concurrency }, async () => {
    while (performance.now() < endMs) {
      let url: string;
      let body: unknown;
      if (cmd.phase === 'create') {
        url = `${cmd.target.origin}/rooms`;
        body = { name: 'storm room', owner_name: 'owner', expiry_seconds: 3600 };
      } else {
        const k = stormJoins++;
        const room = stormRooms[Math.floor(k / cmd.roomSize)];
        if (!room) return; // every room this process created is full
        url = `${cmd.target.origin}/rooms/${room}/join`;
        body = { username: `s${k % cmd.roomSize}` };
      }
      const t = performance.now();
      try {
        const res = await http(url, body);
        h.add((performance.now() - t) * 1000);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const good = cmd.phase === 'create' ? res.status === 201 && res.json?.room_id : res.status === 200 && res.json?.token;
        if (good) {
          ok++;
          if (cmd.phase === 'create') stormRooms.push(res.json.room_id);
        } else {
          failed++;
          stormError ??= `${cmd.phase}: ${res.status} ${JSON.stringify(res.json)?.slice(0, 200)}`;
        }
      } catch (e) {
        failed++;
        statuses.network = (statuses.network ?? 0) + 1;
        stormError ??= `${cmd.phase}: ${e}`;
      }
    }
  });
  await Promise.all(lanes);
  return { ev: 'storm', ok, failed, hist: h.toJSON(), statuses, firstError: stormError };
}

async function teardown(): Promise<number> {
  tearingDown = true;
  measuring = false;
  let closed = 0;
  if (client) {
    for (const m of members) {
      if (m.conn) {
        client.close(m.conn);
        closed++;
      }
    }
  }
  const until = Date.now() + 5000;
  while (Date.now() < until && members.some((m) => m.conn?.open)) await sleep(20);
  members = [];
  rooms = [];
  client = null;
  return closed;
}

async function handle(cmd: Cmd): Promise<void> {
  try {
    switch (cmd.cmd) {
      case 'setup':
        return void process.send!(await setup(cmd));
      case 'run':
        return void process.send!(await run(cmd));
      case 'storm':
        return void process.send!(await storm(cmd));
      case 'teardown':
        return void process.send!({ ev: 'teardown', closed: await teardown() });
      case 'exit':
        await teardown();
        process.exit(0);
    }
  } catch (e) {
    process.send!({ ev: 'error', message: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) });
  }
}

process.on('message', (m) => void handle(m as Cmd));
process.on('disconnect', () => process.exit(0));
// The orchestrator may die without telling us: leave with it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
process.send!({ ev: 'hello' });
