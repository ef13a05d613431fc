// Bun's built-in Redis client against ioredis on mayfly's Redis hot path (issue 18), side by side,
// on a redis-server started here:
//  1. appends: the store's real APPEND_BATCH script (EVALSHA), batches built as appendGroup builds them;
//  2. the subscriber: 500 room channels, a child process has Redis publish N message events;
//  3. the behaviours mayfly depends on, for Bun's client: command timeout, offline, no resend, re-subscribe.
// Prints a markdown table and writes it, with the findings, to bench/results/redis-clients.md.
//   bun bench/micro-redis-clients.ts [messages] [subscriber messages]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { RedisClient } from 'bun';
import Redis from 'ioredis';
import { nanoid } from 'nanoid';
import { createLogger } from '../src/log.ts';
import { messageEventJsonWithoutSeq } from '../src/realtime/events.ts';
import { connectionOptions, openRedis } from '../src/storage/redis.ts';
import { APPEND_BATCH } from '../src/storage/redis-store.ts';
import { cpuSeconds, freePort, pool, sleep } from './lib/common.ts';
import { benchRooms } from './lib/rooms.ts';
import { killAll, portOpen, ROOT, spawnChild, startRedis } from './lib/procs.ts';

const ROOMS = 500;
const ROOM_LIST = 'bench:rooms';
const TIMEOUT_MS = 3000; // openRedis's command timeout in the server

// ---------------------------------------------------------------------------------------------
// The publisher child (`--publish <url> <n>`): Redis itself publishes the messages, 1000 per script
// call, two calls in flight, so the publishing costs this process next to nothing and the measuring
// process nothing at all. Each message is a mayfly message event (~234 bytes) on its room's channel.
const PUBLISH_CHUNK = `
local rooms = redis.call('LRANGE', KEYS[1], 0, -1)
local from = tonumber(ARGV[1])
for i = from, from + tonumber(ARGV[2]) - 1 do
  local room = rooms[(i % #rooms) + 1]
  redis.call('PUBLISH', 'mayfly:room:{' .. room .. '}', '{"seq":' .. i .. ',"type":"message","room_id":"' .. room .. ARGV[3] .. i .. ARGV[4])
end
return 1
`;
if (process.argv[2] === '--publish') {
  const [url, n] = [process.argv[3]!, Number(process.argv[4])];
  const redis = new Redis(url);
  // The event around `room_id` and the message number: {"seq":…,"type":…,"room_id":"<room>"<head><i><tail>.
  const head = `","id":"${'I'.repeat(16)}","username":"m1","member_id":"abcdefghijkl","content":"~`;
  const tail = `~ hello from the mayfly bench, a chat message of a usual length","verified":false,"timestamp":"${new Date().toISOString()}"}`;
  const CHUNK = 1000;
  await pool(Math.ceil(n / CHUNK), 2, async (c) => {
    await redis.eval(PUBLISH_CHUNK, 1, ROOM_LIST, String(c * CHUNK), String(Math.min(CHUNK, n - c * CHUNK)), head, tail);
  });
  redis.disconnect();
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
const N = Number(process.argv[2] ?? 40_000);
const SUB_N = Number(process.argv[3] ?? 200_000);

/** mayfly's connection options (src/storage/redis.ts), with the command timeout it gives them. */
const MAYFLY_OPTIONS = connectionOptions(TIMEOUT_MS);

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const kfmt = (v: number) => (v >= 10_000 ? `${Math.round(v / 1000)}k` : String(Math.round(v)));

/** A promise's outcome within ms: 'ok <value>', 'error <code>' or 'pending', and when. */
async function outcome(p: Promise<unknown>, ms: number): Promise<{ text: string; ms: number; settled: boolean }> {
  const t0 = performance.now();
  const r = await Promise.race([
    p.then(
      (v) => `ok ${typeof v === 'object' && v !== null ? '(object)' : String(v)}`,
      (e: { code?: string; message?: string }) => `error ${e?.code ?? e?.message}`,
    ),
    sleep(ms).then(() => null),
  ]);
  return { text: r ?? `still pending after ${ms} ms`, ms: Math.round(performance.now() - t0), settled: r !== null };
}

/** A timer wrapper: what mayfly would put around Bun's client for its command timeout. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('Command timed out'), { code: 'TIMEOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// 1. Appends.
type AppendCall = (text: string) => Promise<string>;
type AppendRow = { scenario: string; client: string; round: number; rate: number; clientUs: number; redisUs: number };

async function appends(url: string, redisPid: number, rooms: string[]): Promise<{ rows: AppendRow[]; buildUs: number }> {
  // The batches, exactly as appendGroup builds them ('p': publish), built once for every client.
  const drafts = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      roomId: rooms[i % ROOMS]!,
      draft: {
        id: nanoid(16),
        username: 'm1',
        memberId: 'abcdefghijkl',
        content: `~${i}~ hello from the mayfly bench, a chat message of a usual length`,
        timestamp: new Date().toISOString(),
        verified: false,
      },
    }));
  const all = drafts(N);
  const texts = (size: number, n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i += size) {
      let text = '';
      for (const a of all.slice(i, Math.min(i + size, n))) text += `p${a.roomId}\t${messageEventJsonWithoutSeq(a.roomId, a.draft)}\n`;
      out.push(text);
    }
    return out;
  };
  const scenarios = [
    { name: 'batch 1, 1 in flight', batches: texts(1, Math.min(N, 8000)), size: 1, inflight: 1 },
    { name: 'batch 16, 1 in flight', batches: texts(16, Math.min(N, 16_000)), size: 16, inflight: 1 },
    { name: 'batch 256, 1 in flight', batches: texts(256, N), size: 256, inflight: 1 },
    { name: 'batch 64, 8 in flight', batches: texts(64, N), size: 64, inflight: 8 },
  ];
  // What building the batches costs (the same whichever the client): once more, measured.
  Bun.gc(true);
  const b0 = process.cpuUsage();
  texts(64, N);
  const b = process.cpuUsage(b0);
  const buildUs = (b.user + b.system) / N;

  // ioredis exactly as mayfly calls it (defineCommand → EVALSHA), plain evalsha, and Bun's client.
  const io = new Redis(url, MAYFLY_OPTIONS);
  await new Promise((r) => io.once('ready', r));
  io.defineCommand('mayflyAppendBatchKeyed', { lua: APPEND_BATCH });
  const ioScripts = io as unknown as { mayflyAppendBatchKeyed(numKeys: number, ...args: string[]): Promise<string> };
  const bun = new RedisClient(url, { enableOfflineQueue: false });
  await bun.connect();
  const sha = (await bun.send('SCRIPT', ['LOAD', APPEND_BATCH])) as string;
  const args = (text: string) => ['200', String(Date.now()), '60000', 'mayfly', text, ''];
  const clients: Array<{ name: string; call: AppendCall }> = [
    { name: 'ioredis (defineCommand, as mayfly)', call: (text) => ioScripts.mayflyAppendBatchKeyed(0, ...args(text), '') },
    { name: 'ioredis (evalsha)', call: (text) => io.evalsha(sha, 0, ...args(text), '') as Promise<string> },
    {
      name: 'Bun RedisClient (send + 3 s timer)',
      call: (text) => withTimeout(bun.send('EVALSHA', [sha, '0', ...args(text), '']), TIMEOUT_MS),
    },
  ];
  // Each client once, so the first measured call finds the script loaded and the connection warm.
  for (const c of clients) await c.call(`p${rooms[0]}\t{"x":1}\n`);

  const rows: AppendRow[] = [];
  for (const s of scenarios) {
    for (const round of [1, 2]) {
      for (const c of clients) {
        Bun.gc(true);
        let bad = 0;
        const n = s.batches.reduce((sum, t) => sum + t.split('\n').length - 1, 0);
        const cpu0 = process.cpuUsage();
        const r0 = cpuSeconds(redisPid) ?? 0;
        const t0 = performance.now();
        await pool(s.batches.length, s.inflight, async (i) => {
          const seqs = (await c.call(s.batches[i]!)).split(',');
          for (const seq of seqs) if (!Number(seq)) bad++;
        });
        const secs = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const redisCpu = (cpuSeconds(redisPid) ?? 0) - r0;
        if (bad) throw new Error(`${c.name}: ${bad} appends found no room`);
        const row = {
          scenario: s.name,
          client: c.name,
          round,
          rate: n / secs,
          clientUs: (cpu.user + cpu.system) / n,
          redisUs: (redisCpu * 1e6) / n,
        };
        rows.push(row);
        console.log(
          `  ${s.name.padEnd(22)} ${c.name.padEnd(36)} #${round} ${kfmt(row.rate).padStart(6)} msg/s  client ${fmt(row.clientUs).padStart(5)} µs/msg  redis ${fmt(row.redisUs).padStart(5)} µs/msg`,
        );
      }
    }
  }
  io.disconnect();
  bun.close();
  return { rows, buildUs };
}

// ---------------------------------------------------------------------------------------------
// 2. The subscriber.
type SubRow = { client: string; round: number; rate: number; clientUs: number; received: number };

async function subscriber(url: string, rooms: string[], admin: Redis): Promise<{ rows: SubRow[]; parseUs: number }> {
  const channels = rooms.map((id) => `mayfly:room:{${id}}`);
  // A slow reader must not be cut off while Redis publishes as fast as it can.
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 0 0 0');
  await admin.del(ROOM_LIST);
  await admin.rpush(ROOM_LIST, ...rooms);
  type Sub = { name: string; start(onMessage: (roomId: string, event: { seq: number }) => void): Promise<() => void> };
  const subs: Sub[] = [
    {
      name: 'ioredis (messageBuffer, as RedisBroker)',
      async start(onMessage) {
        const sub = new Redis(url, { enableOfflineQueue: true, maxRetriesPerRequest: null });
        sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
          const roomId = channel.toString().slice(13, -1); // `mayfly:room:{…}`
          onMessage(roomId, JSON.parse(message.toString()));
        });
        await sub.subscribe(...channels);
        return () => sub.disconnect();
      },
    },
    {
      name: 'Bun RedisClient (subscribe listener)',
      async start(onMessage) {
        const sub = new RedisClient(url);
        await sub.connect();
        await sub.subscribe(channels, (message, channel) => onMessage(channel.slice(13, -1), JSON.parse(message)));
        return () => sub.close();
      },
    },
  ];
  // What JSON.parse alone costs on such messages (in both columns below, whichever the client).
  const sample = Array.from(
    { length: 50_000 },
    (_, i) =>
      `{"seq":${i},"type":"message","room_id":"${rooms[i % ROOMS]}","id":"${'I'.repeat(16)}","username":"m1","member_id":"abcdefghijkl","content":"~${i}~ hello from the mayfly bench, a chat message of a usual length","verified":false,"timestamp":"${new Date().toISOString()}"}`,
  );
  Bun.gc(true);
  const p0 = process.cpuUsage();
  let parsed = 0;
  for (const json of sample) parsed += (JSON.parse(json) as { seq: number }).seq & 1;
  const p = process.cpuUsage(p0);
  if (parsed !== sample.length / 2) throw new Error('JSON.parse sample: unexpected seqs');
  const parseUs = (p.user + p.system) / sample.length;
  const rows: SubRow[] = [];
  for (const round of [1, 2]) {
    for (const s of subs) {
      Bun.gc(true);
      let received = 0;
      let seqSum = 0;
      let first = 0;
      let last = 0;
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      const stop = await s.start((roomId, event) => {
        if (received === 0) first = performance.now();
        received++;
        seqSum += event.seq + roomId.length;
        if (received === SUB_N) {
          last = performance.now();
          done();
        }
      });
      const cpu0 = process.cpuUsage();
      const child = spawnChild([process.execPath, import.meta.path, '--publish', url, String(SUB_N)], {
        stdout: 'inherit',
        stderr: 'inherit',
      });
      // Bounded: every message, or 40 s, or the publisher failing.
      const deadline = sleep(40_000);
      await Promise.race([all, deadline, child.exited.then((code) => (code ? sleep(2000) : deadline))]);
      const cpu = process.cpuUsage(cpu0);
      child.kill('SIGKILL');
      await child.exited;
      stop();
      if (received !== SUB_N) throw new Error(`${s.name}: received ${received} of ${SUB_N} messages (publisher exit ${child.exitCode})`);
      // seq i went to room i % 500: the sum says every message arrived once, parsed.
      const expected = (SUB_N * (SUB_N - 1)) / 2 + SUB_N * 21;
      if (seqSum !== expected) throw new Error(`${s.name}: the messages received are not the ones published`);
      const row = { client: s.name, round, rate: SUB_N / ((last - first) / 1000), clientUs: (cpu.user + cpu.system) / SUB_N, received };
      rows.push(row);
      console.log(
        `  ${s.name.padEnd(40)} #${round} ${kfmt(row.rate).padStart(6)} msg/s received  subscriber CPU ${fmt(row.clientUs, 2).padStart(5)} µs/msg  (${received}/${SUB_N})`,
      );
    }
  }
  await admin.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
  return { rows, parseUs };
}

// ---------------------------------------------------------------------------------------------
// 3. Failure behaviours of Bun's client, each on a redis-server of its own (restartable on its port).
type OwnRedis = { url: string; port: number; pid: () => number; stop(): Promise<void>; start(): Promise<void> };

async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const r: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => proc!.pid,
    async start() {
      proc = spawnChild(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdout: 'ignore',
        stderr: 'ignore',
      });
      if (!(await portOpen(port, 5000))) throw new Error('redis-server did not start');
    },
    async stop() {
      if (!proc) return;
      proc.kill('SIGKILL');
      await proc.exited;
      proc = null;
    },
  };
  await r.start();
  return r;
}

/** A TCP proxy to Redis that can swallow Redis's replies and cut every connection. */
async function replyProxy(target: number) {
  type Pair = { up: Awaited<ReturnType<typeof Bun.connect>> | null; early: Uint8Array[] };
  const state = { swallow: false };
  const clients = new Set<Bun.Socket<Pair>>();
  const server = Bun.listen<Pair>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(client) {
        client.data = { up: null, early: [] };
        clients.add(client);
        void Bun.connect({
          hostname: '127.0.0.1',
          port: target,
          socket: {
            data(_up, d) {
              if (!state.swallow) client.write(d);
            },
            close() {
              client.end();
            },
          },
        }).then((up) => {
          client.data.up = up;
          for (const d of client.data.early) up.write(d);
        });
      },
      data(client, d) {
        if (client.data.up) client.data.up.write(d);
        else client.data.early.push(new Uint8Array(d));
      },
      close(client) {
        clients.delete(client);
        client.data.up?.end();
      },
    },
  });
  return {
    url: `redis://127.0.0.1:${server.port}`,
    state,
    cut() {
      for (const c of clients) {
        c.data.up?.end();
        c.end();
      }
    },
    stop: () => server.stop(true),
  };
}

async function checks(): Promise<string[]> {
  const out: string[] = [];
  const say = (line: string) => {
    out.push(line);
    console.log(`  ${line}`);
  };
  const r = await ownRedis();
  // It sees Redis go down on purpose here: no complaints on stderr.
  const admin = new Redis(r.url).on('error', () => {});
  try {
    // Command timeout: Redis up but silent (SIGSTOP), 3 s.
    {
      const variants: Array<{ name: string; opts: ConstructorParameters<typeof RedisClient>[1]; wrap: boolean }> = [
        { name: 'defaults', opts: {}, wrap: false },
        { name: '`idleTimeout: 1000`', opts: { idleTimeout: 1000 }, wrap: false },
        { name: 'defaults + 1 s timer wrapper', opts: {}, wrap: true },
      ];
      for (const v of variants) {
        await admin.set('k', '0');
        const c = new RedisClient(r.url, v.opts);
        await c.connect();
        process.kill(r.pid(), 'SIGSTOP');
        const sent = c.send('INCR', ['k']);
        const p = v.wrap ? withTimeout(sent, 1000) : sent;
        const during = await outcome(p, 3000);
        process.kill(r.pid(), 'SIGCONT');
        const after = await outcome(sent, 2000);
        await sleep(200);
        const next = await outcome(c.send('PING', []), 2000);
        say(
          `Redis silent (SIGSTOP) for 3 s, ${v.name}: INCR ${during.settled ? `${during.text} after ${during.ms} ms` : during.text}; ` +
            `after SIGCONT the command itself: ${after.text}; k = ${await admin.get('k')}; a next PING: ${next.text}, connected ${c.connected}.`,
        );
        c.close();
      }
      // idleTimeout counts from the server's last data: an idle, healthy connection is closed too.
      const c = new RedisClient(r.url, { idleTimeout: 500 });
      await c.connect();
      await c.send('PING', []);
      await sleep(1200);
      const ping = await outcome(c.send('PING', []), 1000);
      say(
        `Healthy but idle for 1.2 s with \`idleTimeout: 500\`: connected ${c.connected}; a PING: ${ping.text} (it does not reconnect by itself).`,
      );
      c.close();
    }
    // Offline: Redis down, then back on the same port.
    for (const enableOfflineQueue of [false, true]) {
      await admin.set('k', '0');
      const c = new RedisClient(r.url, { enableOfflineQueue });
      const events: string[] = [];
      let t0 = performance.now();
      c.onclose = (e) => events.push(`onclose(${e?.message}) at ${Math.round(performance.now() - t0)} ms`);
      c.onconnect = () => events.push(`onconnect at ${Math.round(performance.now() - t0)} ms`);
      await c.connect();
      events.length = 0;
      t0 = performance.now();
      await r.stop();
      await sleep(100);
      const p = c.send('INCR', ['k']);
      const down = await outcome(p, 2000);
      await r.start();
      const back = await outcome(p, 4000);
      const until = performance.now() + 4000;
      while (!c.connected && performance.now() < until) await sleep(20);
      const next = await outcome(c.send('INCR', ['k']), 2000);
      await sleep(100);
      say(
        `Redis down (killed, restarted after 2 s), \`enableOfflineQueue: ${enableOfflineQueue}\`: INCR while down: ${down.text}${down.settled ? ` after ${down.ms} ms` : ''}; ` +
          `${down.settled ? '' : `once Redis is back, that INCR: ${back.text}; `}connected again ${c.connected}; a new INCR: ${next.text}. Events: ${events.join(', ') || 'none'}.`,
      );
      c.close();
    }
    {
      const c = new RedisClient(r.url, { enableOfflineQueue: false });
      await c.connect();
      c.close();
      const first = await outcome(new RedisClient(r.url, { enableOfflineQueue: false }).send('PING', []), 1000);
      say(`\`enableOfflineQueue: false\`, a command before the first connection is up: ${first.text} (call \`connect()\` first).`);
    }
    {
      const c = new RedisClient(r.url, { maxRetries: 3, enableOfflineQueue: false });
      const events: string[] = [];
      const t0 = performance.now();
      c.onclose = (e) => events.push(`onclose(${e?.message}) at ${Math.round(performance.now() - t0)} ms`);
      await c.connect();
      await r.stop();
      await sleep(1500);
      await r.start();
      await sleep(2500);
      const connected = c.connected;
      const ping = await outcome(c.send('PING', []), 1000);
      const again = await outcome(
        c.connect().then(() => c.send('PING', [])),
        2000,
      );
      say(
        `\`maxRetries: 3\`, Redis down 1.5 s: ${events.join(', ') || 'no event'}; 2.5 s after Redis is back: connected ${connected}, a PING: ${ping.text}; after \`connect()\`: ${again.text}.`,
      );
      c.close();
    }
    // No resend: a command Redis ran whose reply was lost, then the connection is cut.
    {
      const proxy = await replyProxy(r.port);
      const variants: Array<{ name: string; make(): Promise<{ send(): Promise<unknown>; connected(): boolean; close(): void }> }> = [
        ...[false, true].map((enableOfflineQueue) => ({
          name: `Bun, \`enableOfflineQueue: ${enableOfflineQueue}\``,
          async make() {
            const c = new RedisClient(proxy.url, { enableOfflineQueue });
            await c.connect();
            return { send: () => c.send('INCR', ['k']), connected: () => c.connected, close: () => c.close() };
          },
        })),
        ...[false, true].map((resend) => ({
          name: `ioredis, \`autoResendUnfulfilledCommands: ${resend}\`${resend ? ' (its default; the control)' : ' (as mayfly)'}`,
          async make() {
            const c = new Redis(proxy.url, { ...MAYFLY_OPTIONS, autoResendUnfulfilledCommands: resend }).on('error', () => {});
            await new Promise((ok) => c.once('ready', ok));
            return { send: () => c.incr('k'), connected: () => c.status === 'ready', close: () => c.disconnect() };
          },
        })),
      ];
      for (const v of variants) {
        await admin.set('k', '0');
        const c = await v.make();
        proxy.state.swallow = true;
        const p = c.send();
        await sleep(200);
        const ran = await admin.get('k');
        proxy.cut();
        proxy.state.swallow = false;
        const res = await outcome(p, 3000);
        const until = performance.now() + 4000;
        while (!c.connected() && performance.now() < until) await sleep(20);
        await sleep(500);
        const k = await admin.get('k');
        say(
          `Reply lost, connection cut — ${v.name}: k = ${ran} before the cut, ${k} after the reconnect (${k === ran ? 'not sent again' : 'SENT AGAIN'}); the command: ${res.text}${res.settled ? ` ${res.ms} ms after the cut` : ''}; reconnected ${c.connected()}.`,
        );
        c.close();
      }
      proxy.stop();
    }
    // Re-subscribe after a reconnect (the subscriber's connection killed, then Redis restarted): as it
    // is, subscribing again in onconnect, and subscribing again with a throwaway listener then removing it.
    const CH = 'mayfly:room:{x}';
    const remedies = {
      'nothing done': null,
      '`subscribe(ch, listener)` again in onconnect': async (sub: RedisClient, listener: () => void) => {
        await sub.subscribe(CH, listener);
      },
      '`subscribe(ch, noop)` then `unsubscribe(ch, noop)` in onconnect': async (sub: RedisClient) => {
        const noop = () => {};
        await sub.subscribe(CH, noop);
        await sub.unsubscribe(CH, noop);
      },
    };
    for (const [remedy, again] of Object.entries(remedies)) {
      const sub = new RedisClient(r.url);
      const events: string[] = [];
      let t0 = performance.now();
      let got = 0;
      const listener = () => got++;
      let connects = 0;
      sub.onclose = (e) => events.push(`onclose(${e?.message}) at ${Math.round(performance.now() - t0)} ms`);
      sub.onconnect = () => {
        events.push(`onconnect at ${Math.round(performance.now() - t0)} ms`);
        if (++connects > 1 && again) void again(sub, listener).catch((e) => events.push(`re-subscribe failed: ${e?.code ?? e}`));
      };
      await sub.connect();
      await sub.subscribe(CH, listener);
      const pub = new Redis(r.url).on('error', () => {});
      for (const how of ['CLIENT KILL TYPE pubsub', 'redis-server killed and restarted'] as const) {
        events.length = 0;
        t0 = performance.now();
        if (how === 'CLIENT KILL TYPE pubsub') await admin.client('KILL', 'TYPE', 'pubsub');
        else {
          await r.stop();
          await sleep(300);
          await r.start();
        }
        got = 0;
        let after = -1;
        for (let i = 0; i < 30 && got === 0; i++) {
          await pub.publish(CH, '{}').catch(() => {});
          await sleep(100);
          if (got) after = Math.round(performance.now() - t0);
        }
        // Then exactly one message: how many times does the listener get it?
        await sleep(100);
        got = 0;
        await pub.publish(CH, '{}').catch(() => {});
        await sleep(100);
        const numsub = (await pub.pubsub('NUMSUB', CH).catch(() => [CH, -1])) as [string, number];
        say(
          `Subscriber, ${how}, ${remedy}: ${after >= 0 ? `messages arrive again ${after} ms later, one message reaches the listener ${got}×` : 'NO message within 3 s'}; ` +
            `PUBSUB NUMSUB = ${numsub[1]}; events: ${events.join(', ') || 'none'}.`,
        );
      }
      pub.disconnect();
      sub.close();
    }
  } finally {
    try {
      process.kill(r.pid(), 'SIGCONT');
    } catch {}
    admin.disconnect();
    await r.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
const redisProc = await startRedis();
const started = new Date();
try {
  const { store, broker } = await openRedis(redisProc.url, createLogger('silent'), TIMEOUT_MS);
  const rooms = await benchRooms(store, ROOMS);
  await broker.close();
  await store.close();

  console.log(`appends (${N} messages; the APPEND_BATCH script, EVALSHA, mode 'p'):`);
  const { rows: appendRows, buildUs } = await appends(redisProc.url, redisProc.pid, rooms);
  console.log(`subscriber (${SUB_N} messages on ${ROOMS} channels):`);
  const admin = new Redis(redisProc.url);
  const { rows: subRows, parseUs } = await subscriber(redisProc.url, rooms, admin);
  admin.disconnect();
  console.log("Bun's client, failure behaviours:");
  const found = await checks();

  // The markdown: one line per scenario and client, rounds side by side (A B A B: the noise).
  const pair = (a: number | undefined, b: number | undefined, f: (v: number) => string) => `${f(a ?? Number.NaN)} / ${f(b ?? Number.NaN)}`;
  const lines: string[] = [];
  lines.push('| appends | client | msg/s (#1 / #2) | client CPU µs/msg | redis-server CPU µs/msg |', '|---|---|---|---|---|');
  const keyOf = (r: { scenario?: string; client: string }) => `${r.scenario ?? ''}|${r.client}`;
  for (const k of [...new Set(appendRows.map(keyOf))]) {
    const [a, b] = appendRows.filter((r) => keyOf(r) === k);
    lines.push(
      `| ${a!.scenario} | ${a!.client} | ${pair(a?.rate, b?.rate, kfmt)} | ${pair(a?.clientUs, b?.clientUs, (v) => fmt(v))} | ${pair(a?.redisUs, b?.redisUs, (v) => fmt(v))} |`,
    );
  }
  lines.push('', `| subscriber (${SUB_N} msgs, ${ROOMS} channels) | received/s (#1 / #2) | subscriber CPU µs/msg |`, '|---|---|---|');
  for (const k of [...new Set(subRows.map(keyOf))]) {
    const [a, b] = subRows.filter((r) => keyOf(r) === k);
    lines.push(`| ${a!.client} | ${pair(a?.rate, b?.rate, kfmt)} | ${pair(a?.clientUs, b?.clientUs, (v) => fmt(v, 2))} |`);
  }
  const table = lines.join('\n');
  console.log(`\n${table}\n`);

  const ioredisVersion = JSON.parse(readFileSync(`${ROOT}node_modules/ioredis/package.json`, 'utf8')).version;
  const redisVersion = /v=(\S+)/.exec(Bun.spawnSync(['redis-server', '--version']).stdout.toString())?.[1];
  const md = `# Bun's Redis client vs ioredis on the Redis hot path

\`bun bench/micro-redis-clients.ts ${N} ${SUB_N}\` — ${started.toISOString()}, Bun ${Bun.version}, ioredis ${ioredisVersion},
redis-server ${redisVersion}, ${cpus().length} cores (shared with other work: compare rows of one run, and the two rounds show the noise).

Appends: the store's APPEND_BATCH script by EVALSHA on 500 rooms, batches built as appendGroup builds them (mode 'p': every
message published), built beforehand (building costs ${fmt(buildUs, 2)} µs/msg whichever the client); clients in turn, A B A B.
ioredis with mayfly's options (auto-pipelining, 3 s commandTimeout); Bun's client with a 3 s timer around each call (what
mayfly would need for its command timeout). Subscriber: redis-server publishes (a Lua loop, driven by a child process) ${SUB_N}
message events of ~234 bytes over ${ROOMS} channels as fast as it can; the measuring process parses each (JSON.parse), as
RedisBroker does (JSON.parse alone: ${fmt(parseUs, 2)} µs/msg, in both); every message is counted and checked. CPU: user + system of the measuring process (process.cpuUsage) and
of redis-server (/proc, 10 ms ticks).

${table}

## Bun's client (${Bun.version}): the behaviours mayfly depends on

Observed here:

${found.map((l) => `- ${l}`).join('\n')}

From its types and docs (bun-types ${Bun.version}): \`RedisOptions\` has connectionTimeout, idleTimeout, autoReconnect, maxRetries
(default 20, at most 2^32-1), enableOfflineQueue, enableAutoPipelining, tls — no command timeout (an unknown \`commandTimeout\`
option is accepted silently and does nothing). Reconnects back off from 50 ms, doubling, to 2 s; after maxRetries it gives up
for good (onclose), and only \`connect()\` brings it back.

What matching mayfly's behaviours with Bun's client would take:
- command timeout: no option (idleTimeout is not one: it counts from the server's last data, so it also closes a healthy idle
  connection, and then stays closed); a timer around each call does it, with ioredis's semantics (the command may still run).
- offline: \`enableOfflineQueue: false\` fails fast while Redis is down and reconnects in the background; \`connect()\` must be
  awaited first; \`maxRetries: 2 ** 32 - 1\` for ioredis's retry-forever.
- no resend: an unanswered command is rejected on a drop and not sent again, with or without the offline queue.
- subscriber: subscriptions are NOT restored after a reconnect; \`onclose\` does not fire on a drop (only \`onconnect\` after it),
  and subscribing again with the same listener doubles its deliveries: re-subscribe in \`onconnect\` with a throwaway listener
  and remove it (or start a new client), then re-confirm the rooms as RedisBroker does on 'ready'.
`;
  writeFileSync(`${ROOT}bench/results/redis-clients.md`, md);
  console.log('written to bench/results/redis-clients.md');
} finally {
  await redisProc.stop();
  killAll();
}
process.exit(0);
