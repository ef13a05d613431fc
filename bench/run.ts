// mayfly benchmark: how many people one instance holds and how fast messages arrive, measured side
// by side with a raw Bun.serve pub/sub server sending frames as heavy as mayfly's ("same-bytes raw",
// bench/raw-server.ts with RAW_PAD: the limit for mayfly's protocol on this runtime), the unpadded raw
// server (a reference row) and Socket.IO 4 (bench/peers/socketio-server.mjs: what people would pick
// instead; its Redis adapter in Redis mode).
//
//   bun run bench                  full run (~10 min), writes bench/results/latest.{md,svg,json}
//   bun run bench --quick          short sanity pass (small counts, about a minute at most)
//   options: --out <dir>  --only moderate,heavy,…  --clients <n>  --no-redis  --no-peers  --measure <ms>
//            --profile <dir>: run mayfly under `bun --cpu-prof` in the load scenarios and write
//            <dir>/<scenario>/profile.md (where the CPU goes inside the measurement window)
//
// Everything runs on 127.0.0.1. Each scenario starts a fresh server, measures it, stops it, then does
// the same for the reference servers under the same load; ratios between them are what count on a
// shared, noisy machine, and server CPU per delivery most of all (it does not depend on the clients
// sharing the cores). The load comes from a few client processes (bench/client.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSeconds, cpuSplit, fdCount, Hist, nowUs, rssBytes, sleep } from './lib/common.ts';
import { ClientProc, ROOT, killAll, startRedis, startServer, type RedisProc, type ServerKind, type ServerProc } from './lib/procs.ts';
import { emptyCounts, type Counts, type RunResult, type SetupResult, type StormResult } from './lib/protocol.ts';
import { newestProfile, summarize, summaryMarkdown } from './profile.ts';
import { markdown, svg, type ChartPoint, type Report, type Row, type TargetCheck } from './lib/report.ts';

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const OUT = resolve(option('--out') ?? join(ROOT, 'bench/results'));
const ONLY = option('--only')
  ?.split(',')
  .map((s) => s.trim());
const CLIENTS = Number(option('--clients') ?? 3);
const NO_REDIS = flag('--no-redis');
/** Socket.IO rows: on unless --no-peers (its packages are dev dependencies of the project). */
const PEERS = !flag('--no-peers');
const PROFILE_DIR = option('--profile') ? resolve(option('--profile')!) : undefined;
/** Overrides every load scenario's measurement window (ms), for quick experiments. */
const MEASURE_MS = option('--measure') ? Number(option('--measure')) : undefined;

const ROOM = 20;
/** What every mayfly instance of the run is configured with (reported with the results). */
const LIMITS: Record<string, string> = {
  RATE_LIMIT_EXEMPT: '127.0.0.1',
  MESSAGE_RATE: '1000',
  MESSAGE_BURST: '10000',
  DEFAULT_MAX_USERS: String(ROOM),
  JOIN_RATE_PER_MINUTE: '1000000',
  CREATE_RATE_PER_MINUTE: '1000000',
};

type LoadSpec = { members: number; rate: number; liveEvery: number; warmupMs: number; measureMs: number; drainMs: number };

const S = QUICK
  ? {
      moderate: { members: 200, rate: 1, liveEvery: 0, warmupMs: 300, measureMs: 1200, drainMs: 500 },
      heavy: { members: 600, rate: 4, liveEvery: 0, warmupMs: 300, measureMs: 1200, drainMs: 500 },
      saturation: { members: 200, startOffered: 20_000, factor: 2, maxSteps: 2, warmupMs: 200, measureMs: 800, drainMs: 500 },
      idle: { members: 600 },
      storm: { durationMs: 800, concurrency: 4 },
      mixed: { members: 200, rate: 1, liveEvery: 2, warmupMs: 300, measureMs: 1200, drainMs: 500 },
    }
  : {
      moderate: { members: 2000, rate: 1, liveEvery: 0, warmupMs: 2000, measureMs: 12_000, drainMs: 2000 },
      heavy: { members: 10_000, rate: 4, liveEvery: 0, warmupMs: 3000, measureMs: 12_000, drainMs: 3000 },
      saturation: { members: 2000, startOffered: 200_000, factor: 1.5, maxSteps: 9, warmupMs: 1500, measureMs: 4000, drainMs: 2000 },
      idle: { members: 19_000 },
      storm: { durationMs: 5000, concurrency: 12 },
      mixed: { members: 2000, rate: 1, liveEvery: 2, warmupMs: 2000, measureMs: 12_000, drainMs: 2000 },
    };

const SCENARIOS = ['moderate', 'heavy', 'saturation', 'idle', 'storm', 'redis', 'mixed'] as const;
type Scenario = (typeof SCENARIOS)[number];
const TITLES: Record<Scenario, string> = {
  moderate: '(1) moderate',
  heavy: '(2) heavy',
  saturation: '(3) saturation',
  idle: '(4) idle',
  storm: '(5) join storm',
  redis: '(6) Redis mode',
  mixed: '(7) browser mix',
};

// ---------------------------------------------------------------- helpers

const epochUs = Math.floor(nowUs());
let clients: ClientProc[] = [];

async function ensureClients(): Promise<void> {
  clients = clients.filter((c) => c.alive);
  while (clients.length < CLIENTS) clients.push(new ClientProc(clients.length));
  await Promise.race([
    Promise.all(clients.map((c) => c.ready)),
    sleep(20_000).then(() => Promise.reject(new Error('client processes did not start'))),
  ]);
}

/** Splits n rooms over the clients as evenly as possible. */
const split = (n: number) => clients.map((_, i) => Math.floor(n / clients.length) + (i < n % clients.length ? 1 : 0));

const sleepUntilUs = (t: number) => sleep((t - nowUs()) / 1000);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : us < 100_000 ? 1 : 0);
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const log = (...a: unknown[]) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)}s]`, ...a);
const t0 = performance.now();

function addCounts(into: Counts, c: Counts): Counts {
  into.errorFrames += c.errorFrames;
  into.unexpectedCloses += c.unexpectedCloses;
  into.connectFailures += c.connectFailures;
  into.httpFailures += c.httpFailures;
  for (const [k, v] of Object.entries(c.closeCodes)) into.closeCodes[k] = (into.closeCodes[k] ?? 0) + v;
  return into;
}
const errorTotal = (c: Counts) => c.errorFrames + c.unexpectedCloses + c.connectFailures + c.httpFailures;

/**
 * CPU seconds of the given pids over [from, to] on the shared clock, and the server's RSS sampled
 * every 250 ms meanwhile (mean and peak: a garbage-collected heap swings between collections, so
 * one reading at the end lands anywhere in that swing).
 */
async function probe(pids: { server: number; clients: number[]; redis?: number }, fromUs: number, toUs: number) {
  await sleepUntilUs(fromUs);
  const split0 = cpuSplit(pids.server) ?? { user: 0, sys: 0 };
  const cpu0 = cpuSeconds(pids.server) ?? 0;
  const cl0 = pids.clients.reduce((s, p) => s + (cpuSeconds(p) ?? 0), 0);
  const r0 = pids.redis ? (cpuSeconds(pids.redis) ?? 0) : 0;
  const a = nowUs();
  const rssSamples: number[] = [];
  while (nowUs() < toUs - 250_000) {
    rssSamples.push(rssBytes(pids.server) ?? 0);
    await sleep(250);
  }
  await sleepUntilUs(toUs);
  rssSamples.push(rssBytes(pids.server) ?? 0);
  const secs = (nowUs() - a) / 1e6;
  const cpu = ((cpuSeconds(pids.server) ?? 0) - cpu0) / secs;
  const split1 = cpuSplit(pids.server) ?? split0;
  const sysShare = cpu > 0 ? (split1.sys - split0.sys) / secs / cpu : 0;
  const clientCpu = (pids.clients.reduce((s, p) => s + (cpuSeconds(p) ?? 0), 0) - cl0) / secs;
  const redisCpu = pids.redis ? ((cpuSeconds(pids.redis) ?? 0) - r0) / secs : 0;
  const rss = rssSamples.reduce((x, y) => x + y, 0) / rssSamples.length;
  return { cpu, sysShare, clientCpu, redisCpu, rss, rssPeak: Math.max(...rssSamples) };
}

type Step = {
  rate: number;
  offered: number;
  delivered: number;
  hist: Hist;
  histWs: Hist;
  histLive: Hist;
  counts: Counts;
  lost: number;
  skipped: number;
  cpu: number;
  /** Part of the server's CPU spent in the kernel (socket writes and, on loopback, the receiving side). */
  sysShare: number;
  clientCpu: number;
  redisCpu: number;
  /** Server CPU-µs per delivered frame: the server's and, in Redis mode, redis-server's together. */
  cpuUs: number;
  /** Server RSS over the window: mean and peak of readings every 250 ms. */
  rss: number;
  rssPeak: number;
  /** Mean payload size of the message frames delivered. */
  frameBytes: number;
  openAtEnd: number;
  /** The measurement window on the shared clock (µs). */
  window: { from: number; to: number };
  /** Worst latency (µs) per 100 ms slot, over all clients. */
  timeline: number[];
  /** The first error a client saw in this step. */
  firstError?: string;
};

type LoadResult = {
  server: string;
  members: number;
  connected: number;
  setupMs: number;
  setupCounts: Counts;
  steps: Step[];
  firstError?: string;
};

async function setupMembers(server: ServerProc, members: number, liveEvery: number): Promise<{ results: SetupResult[]; counts: Counts }> {
  const rooms = Math.ceil(members / ROOM);
  const deadlineMs = QUICK ? 20_000 : 120_000;
  const results = await Promise.all(
    clients.map((c, i) =>
      c.ask<SetupResult>(
        {
          cmd: 'setup',
          target: { origin: server.origin, kind: server.kind },
          rooms: split(rooms)[i]!,
          roomSize: ROOM,
          liveEvery,
          httpConcurrency: 16,
          connectConcurrency: 64,
          epochUs,
          deadlineMs,
        },
        deadlineMs + 30_000,
      ),
    ),
  );
  const counts = results.reduce((acc, r) => addCounts(acc, r.counts), emptyCounts());
  return { results, counts };
}

async function runStep(
  server: ServerProc,
  rate: number,
  spec: Omit<LoadSpec, 'members' | 'rate' | 'liveEvery'>,
  redis?: RedisProc,
): Promise<Step> {
  const startAt = nowUs() + 300_000;
  const winStart = startAt + spec.warmupMs * 1000;
  const winEnd = winStart + spec.measureMs * 1000;
  const probing = probe({ server: server.pid, clients: clients.map((c) => c.pid), redis: redis?.pid }, winStart, winEnd);
  const results = await Promise.all(
    clients.map((c) =>
      c.ask<RunResult>(
        { cmd: 'run', startAt, warmupMs: spec.warmupMs, measureMs: spec.measureMs, drainMs: spec.drainMs, rate },
        spec.warmupMs + spec.measureMs + spec.drainMs + 30_000,
      ),
    ),
  );
  const p = await probing;
  const secs = spec.measureMs / 1000;
  const sum = (f: (r: RunResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const delivered = sum((r) => r.recvWindow) / secs;
  const sentTotal = sum((r) => r.sentTotal);
  const expectedTotal = sum((r) => r.expectedTotal);
  const fanout = sentTotal > 0 ? expectedTotal / sentTotal : ROOM;
  const open = sum((r) => r.openAtEnd);
  const histWs = new Hist();
  const histLive = new Hist();
  for (const r of results) {
    histWs.merge(r.hist.ws);
    histLive.merge(r.hist.live);
  }
  return {
    rate,
    offered: (sum((r) => r.sentWindow + r.skipped * (spec.measureMs / (spec.warmupMs + spec.measureMs))) * fanout) / secs,
    delivered,
    frameBytes:
      sum((r) => r.recvWindowBytes) /
      Math.max(
        1,
        sum((r) => r.recvWindow),
      ),
    hist: new Hist().merge(histWs).merge(histLive),
    histWs,
    histLive,
    counts: results.reduce((acc, r) => addCounts(acc, r.counts), emptyCounts()),
    lost: expectedTotal > 0 ? Math.max(0, expectedTotal - sum((r) => r.recvTotal)) / expectedTotal : 0,
    skipped: sum((r) => r.skipped),
    cpu: p.cpu,
    sysShare: p.sysShare,
    clientCpu: p.clientCpu,
    redisCpu: p.redisCpu,
    cpuUs: delivered > 0 ? ((p.cpu + p.redisCpu) * 1e6) / delivered : 0,
    rss: p.rss,
    rssPeak: p.rssPeak,
    openAtEnd: open,
    window: { from: winStart, to: winEnd },
    timeline: results[0]!.timeline.map((_, i) => Math.max(...results.map((r) => r.timeline[i] ?? 0))),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

async function teardownClients(): Promise<void> {
  await Promise.all(clients.map((c) => c.ask({ cmd: 'teardown' }, 20_000).catch(() => {})));
}

type RunOptions = {
  /** Saturation: one step per rate, until delivered stops growing. */
  rates?: number[];
  /** Redis mode: mayfly's STORAGE_URL, or the Socket.IO peer's REDIS_URL (its Redis adapter). */
  redis?: RedisProc;
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** The row's name, where the default does not say enough (the same-bytes raw server). */
  name?: string;
};

const kindName = (kind: ServerKind) => (kind === 'raw' ? 'raw Bun' : kind === 'socketio' ? 'Socket.IO 4' : 'mayfly');

/** A server's name in the rows. */
function label(server: ServerProc, opts: RunOptions): string {
  if (opts.name) return opts.name;
  if (server.kind === 'socketio') return `Socket.IO 4 (${server.runtime}${opts.redis ? ', Redis adapter' : ''})`;
  return server.kind === 'mayfly' && opts.redis ? 'mayfly (redis)' : kindName(server.kind);
}

function serverEnv(kind: ServerKind, opts: RunOptions): Record<string, string> {
  const redis = opts.redis?.url;
  if (kind === 'mayfly') return { ...LIMITS, ...(redis ? { STORAGE_URL: redis } : {}), ...opts.env };
  if (kind === 'socketio') return { ...(redis ? { REDIS_URL: redis } : {}), ...opts.env };
  return { ...opts.env };
}

/** The raw server with every frame padded to mayfly's mean frame size in the same scenario. */
const sameBytes = (bytes: number): RunOptions => {
  const pad = Math.round(bytes);
  return { env: { RAW_PAD: String(pad) }, name: `raw Bun, same bytes (${pad} B)` };
};

/** One server under a load: setup, then one step per rate (saturation stops when delivered stops growing). */
async function loadRun(kind: ServerKind, spec: LoadSpec, opts: RunOptions = {}): Promise<LoadResult> {
  await ensureClients();
  const server = await startServer(kind, { env: serverEnv(kind, opts), cpuProfDir: kind === 'mayfly' ? opts.cpuProfDir : undefined });
  const name = label(server, opts);
  try {
    const setup = await setupMembers(server, spec.members, spec.liveEvery);
    const connected = setup.results.reduce((s, r) => s + r.connected, 0);
    const members = setup.results.reduce((s, r) => s + r.members, 0);
    const setupMs = Math.max(...setup.results.map((r) => r.ms));
    log(`${name}: ${connected}/${spec.members} members connected in ${(setupMs / 1000).toFixed(1)} s`);
    const steps: Step[] = [];
    let best = 0;
    let flat = 0;
    for (const rate of opts.rates ?? [spec.rate]) {
      const step = await runStep(server, rate, spec, opts.redis);
      steps.push(step);
      log(
        `${name}: rate ${rate.toFixed(2)}/s per member → offered ${fmt(step.offered)}/s, delivered ${fmt(step.delivered)}/s, p99 ${ms(step.hist.quantile(0.99))} ms, CPU ${pct(step.cpu)}, errors ${errorTotal(step.counts)}`,
      );
      if (opts.rates) {
        // Saturation: stop after two steps in a row that beat the best so far by less than 5 %
        // (one such step can be noise on a shared machine).
        if (steps.length > 1 && step.delivered < best * 1.05) flat++;
        else flat = 0;
        best = Math.max(best, step.delivered);
        if (flat >= 2 || (QUICK && flat >= 1)) break;
      }
    }
    await teardownClients();
    return {
      server: name,
      members,
      connected,
      setupMs,
      setupCounts: setup.counts,
      steps,
      firstError: setup.results.find((r) => r.firstError)?.firstError,
    };
  } finally {
    await teardownClients().catch(() => {});
    await server.stop();
  }
}
// ---------------------------------------------------------------- rows and targets

const rows: Row[] = [];
const targets: TargetCheck[] = [];
const chart: ChartPoint[] = [];
const raw: Record<string, unknown> = {};
let failures = 0;

const µs = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
const times = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(2)}×` : '—');

/** A row with no figures: only a name and a note (skipped peers, failed scenarios). */
const noteRow = (scenario: string, server: string, notes: string): Row => ({
  scenario,
  server,
  members: '',
  offered: '',
  throughput: '',
  p50: '',
  p99: '',
  max: '',
  errors: '',
  lost: '',
  cpu: '',
  cpuUs: '',
  rss: '',
  notes,
});

function loadRow(scenario: string, r: LoadResult, step: Step, notes: string[] = []): Row {
  const counts = addCounts(addCounts(emptyCounts(), r.setupCounts), step.counts);
  const closeNotes = Object.entries(counts.closeCodes).map(([code, n]) => `${n}× close ${code}`);
  const skippedNote = step.skipped > 0 ? [`client skipped ${fmt(step.skipped)} sends (fell behind)`] : [];
  const redisNote = step.redisCpu > 0 ? [`redis-server CPU ${pct(step.redisCpu)} (in CPU µs/deliv)`] : [];
  return {
    scenario,
    server: r.server,
    members: `${fmt(r.connected)}`,
    offered: fmt(step.offered),
    throughput: `${fmt(step.delivered)} deliv/s`,
    p50: ms(step.hist.quantile(0.5)),
    p99: ms(step.hist.quantile(0.99)),
    max: ms(step.hist.max),
    errors: fmt(errorTotal(counts)),
    lost: `${(step.lost * 100).toFixed(step.lost > 0 && step.lost < 0.001 ? 3 : 1)}%`,
    cpu: pct(step.cpu),
    cpuUs: µs(step.cpuUs),
    rss: mib(step.rss),
    notes: [
      ...notes,
      ...redisNote,
      `frames ${fmt(step.frameBytes)} B`,
      `RSS mean ${mib(step.rss)}, peak ${mib(step.rssPeak)} MiB`,
      `server CPU ${pct(step.sysShare)} kernel`,
      `clients CPU ${pct(step.clientCpu)}`,
      ...stalls(step.timeline),
      ...skippedNote,
      ...closeNotes,
      ...(r.firstError || step.firstError ? [`first error: ${(r.firstError ?? step.firstError)!.slice(0, 120)}`] : []),
    ].join('; '),
  };
}

/** "stalls": 100 ms slots whose worst delivery took > 10 ms, with when they happened (s into the window). */
function stalls(timeline: number[]): string[] {
  const slow = timeline.map((us, i) => [i, us] as const).filter(([, us]) => us > 10_000);
  if (slow.length === 0 || slow.length > timeline.length / 2) return [];
  const at = slow.slice(0, 8).map(([i, us]) => `${(i / 10).toFixed(1)}s:${ms(us)}ms`);
  return [`slots >10 ms: ${slow.length}/${timeline.length} (${at.join(' ')}${slow.length > 8 ? ' …' : ''})`];
}

function ratioRow(
  scenario: string,
  name: string,
  a: Step,
  b: Step,
  notes = 'ratios: throughput, p50, p99, CPU, CPU per delivery, RSS',
): Row {
  return {
    ...noteRow(scenario, name, notes),
    throughput: times(a.delivered, b.delivered),
    p50: times(a.hist.quantile(0.5), b.hist.quantile(0.5)),
    p99: times(a.hist.quantile(0.99), b.hist.quantile(0.99)),
    cpu: times(a.cpu, b.cpu),
    cpuUs: times(a.cpuUs, b.cpuUs),
    rss: times(a.rss, b.rss),
  };
}

function errorRow(scenario: string, err: unknown): Row {
  failures++;
  const message = err instanceof Error ? err.message : String(err);
  log(`${scenario} failed: ${message}`);
  return noteRow(scenario, 'error', `scenario failed: ${message.slice(0, 300)}`);
}

/** Errors and losses of a server's run: a target is met only without them. */
const clean = (r: LoadResult, s: Step) => errorTotal(addCounts(addCounts(emptyCounts(), r.setupCounts), s.counts)) === 0 && s.lost === 0;
const dirty = (r: LoadResult, s: Step) =>
  clean(r, s)
    ? ''
    : `; ${errorTotal(addCounts(addCounts(emptyCounts(), r.setupCounts), s.counts))} errors, ${(s.lost * 100).toFixed(1)}% lost`;

/** Checks mayfly against the same-bytes raw server: `ratio` of (mayfly / raw) must be ≤ (or ≥) limit. */
function against(
  scenario: string,
  what: string,
  limit: number,
  m: { r: LoadResult; s: Step; value: number; show: string },
  ref: { value: number; show: string },
  atLeast = false,
): void {
  const ratio = ref.value > 0 ? m.value / ref.value : Number.POSITIVE_INFINITY;
  targets.push({
    scenario,
    target: `${what} ${atLeast ? '≥' : '≤'} ${limit}× same-bytes raw`,
    measured: `${ratio.toFixed(2)}× (${m.show} vs ${ref.show})${dirty(m.r, m.s)}`,
    pass: (atLeast ? ratio >= limit : ratio <= limit) && clean(m.r, m.s),
  });
}

const loadSpec = (s: LoadSpec): LoadSpec => (MEASURE_MS ? { ...s, measureMs: MEASURE_MS } : s);
/** mayfly's memory mode under (1) and (2) in this run: what Redis mode is judged against. */
const memoryMode: { moderate?: Step; heavy?: Step } = {};

/** The Socket.IO peer under the same load, unless --no-peers (the quick pass runs it in one scenario). */
async function peerRun(spec: LoadSpec, opts: RunOptions = {}): Promise<LoadResult | null> {
  if (!PEERS) return null;
  return loadRun('socketio', spec, opts);
}

async function scenarioLoad(which: 'moderate' | 'heavy' | 'mixed'): Promise<void> {
  const spec = loadSpec(S[which]);
  const title = TITLES[which];
  log(`${title}: ${spec.members} members in rooms of ${ROOM}, ${spec.rate} msg/s each${spec.liveEvery ? ', half on /live' : ''}`);
  const cpuProfDir = PROFILE_DIR ? join(PROFILE_DIR, which) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const m = await loadRun('mayfly', spec, { cpuProfDir });
  const ms0 = m.steps[0]!;
  if (cpuProfDir) writeProfileSummary(cpuProfDir, ms0.window, title);
  const same = await loadRun('raw', spec, sameBytes(ms0.frameBytes));
  const r = await loadRun('raw', spec);
  // The browser mix has /live members (htmx over the cookie), which only mayfly serves.
  const peer = which === 'mixed' || (QUICK && which !== 'moderate') ? null : await peerRun(spec);
  const ss0 = same.steps[0]!;
  const rs0 = r.steps[0]!;
  const ps0 = peer?.steps[0];
  raw[which] = { mayfly: summary(m), sameBytesRaw: summary(same), raw: summary(r), ...(peer ? { socketio: summary(peer) } : {}) };
  const kindNotes = (s: Step) =>
    spec.liveEvery ? [`/live p99 ${ms(s.histLive.quantile(0.99))} ms, /ws p99 ${ms(s.histWs.quantile(0.99))} ms`] : [];
  rows.push(loadRow(title, m, ms0, kindNotes(ms0)), loadRow(title, same, ss0, kindNotes(ss0)), loadRow(title, r, rs0, kindNotes(rs0)));
  if (peer && ps0) rows.push(loadRow(title, peer, ps0));
  rows.push(ratioRow(title, 'mayfly / same-bytes raw', ms0, ss0), ratioRow(title, 'mayfly / raw', ms0, rs0));
  if (peer && ps0) rows.push(ratioRow(title, 'mayfly / Socket.IO', ms0, ps0));
  const p99 = ms0.hist.quantile(0.99) / 1000;
  const refP99 = ss0.hist.quantile(0.99) / 1000;
  chart.push({
    label: title,
    ratio: ss0.delivered > 0 ? ms0.delivered / ss0.delivered : null,
    target: null,
    p99,
    refP99,
    refName: 'same-bytes raw',
  });
  const cpuUs = (s: Step) => ({ value: s.cpuUs, show: `${µs(s.cpuUs)} µs` });
  if (which === 'moderate' || which === 'heavy') {
    memoryMode[which] = ms0;
    against(title, 'server CPU per delivery', 1.15, { r: m, s: ms0, ...cpuUs(ms0) }, cpuUs(ss0));
  }
  if (which === 'heavy') {
    against(
      title,
      'p99',
      2,
      { r: m, s: ms0, value: p99, show: `${p99.toFixed(1)} ms` },
      { value: refP99, show: `${refP99.toFixed(1)} ms` },
    );
    against(
      title,
      'RSS (mean over the window)',
      2,
      { r: m, s: ms0, value: ms0.rss, show: `${mib(ms0.rss)} MiB, peak ${mib(ms0.rssPeak)}` },
      { value: ss0.rss, show: `${mib(ss0.rss)} MiB, peak ${mib(ss0.rssPeak)}` },
    );
  }
}

/** After a profiled run: where mayfly's CPU went inside the measurement window, to <dir>/profile.md. */
function writeProfileSummary(dir: string, window: { from: number; to: number }, title: string, name = 'profile.md'): void {
  const file = newestProfile(dir);
  if (!file) {
    log(`no CPU profile found in ${dir}`);
    return;
  }
  const md = summaryMarkdown(summarize(file, window), `mayfly CPU profile under ${title} (${file.split('/').pop()})`);
  writeFileSync(join(dir, name), md);
  console.log(`\n${md}`);
  log(`wrote ${join(dir, name)}`);
}

async function scenarioSaturation(): Promise<void> {
  const s = S.saturation;
  const title = TITLES.saturation;
  const rates = Array.from({ length: s.maxSteps }, (_, k) => (s.startOffered * s.factor ** k) / (s.members * ROOM));
  log(`${title}: ${s.members} members, offered ${fmt(s.startOffered)} deliveries/s ×${s.factor} per step until delivered stops growing`);
  const spec: LoadSpec = {
    members: s.members,
    rate: rates[0]!,
    liveEvery: 0,
    warmupMs: s.warmupMs,
    measureMs: s.measureMs,
    drainMs: s.drainMs,
  };
  const cpuProfDir = PROFILE_DIR ? join(PROFILE_DIR, 'saturation') : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const best = (x: LoadResult) => x.steps.reduce((a, b) => (b.delivered > a.delivered ? b : a));
  const m = await loadRun('mayfly', spec, { rates, cpuProfDir });
  const mb = best(m);
  if (cpuProfDir) writeProfileSummary(cpuProfDir, mb.window, `${title}, at mayfly's peak step`);
  const same = await loadRun('raw', spec, { rates, ...sameBytes(mb.frameBytes) });
  const r = await loadRun('raw', spec, { rates });
  const peer = QUICK ? null : await peerRun(spec, { rates });
  const sb = best(same);
  const rb = best(r);
  const pb = peer ? best(peer) : null;
  raw.saturation = { mayfly: summary(m), sameBytesRaw: summary(same), raw: summary(r), ...(peer ? { socketio: summary(peer) } : {}) };
  const stepsNote = (x: LoadResult) => `peak of ${x.steps.length} steps: ${x.steps.map((st) => fmt(st.delivered / 1000)).join(' → ')} k/s`;
  rows.push(loadRow(title, m, mb, [stepsNote(m)]), loadRow(title, same, sb, [stepsNote(same)]), loadRow(title, r, rb, [stepsNote(r)]));
  if (peer && pb) rows.push(loadRow(title, peer, pb, [stepsNote(peer)]));
  rows.push(
    ratioRow(title, 'mayfly / same-bytes raw', mb, sb, 'at each server’s peak'),
    ratioRow(title, 'mayfly / raw', mb, rb, 'at each server’s peak'),
  );
  if (pb) rows.push(ratioRow(title, 'mayfly / Socket.IO', mb, pb, 'at each server’s peak'));
  chart.push({
    label: title,
    ratio: sb.delivered > 0 ? mb.delivered / sb.delivered : null,
    target: 0.9,
    p99: mb.hist.quantile(0.99) / 1000,
    refP99: sb.hist.quantile(0.99) / 1000,
    refName: 'same-bytes raw',
  });
  against(
    title,
    'deliveries/s at saturation',
    0.9,
    { r: m, s: mb, value: mb.delivered, show: `${fmt(mb.delivered)}/s` },
    { value: sb.delivered, show: `${fmt(sb.delivered)}/s; unpadded raw ${fmt(rb.delivered)}/s` },
    true,
  );
}

/** RSS after full GCs (SIGUSR2 → a full GC: bench/guard.ts, or the peer's own hook): the lower of two readings. */
async function settledRss(server: ServerProc): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    server.signal('SIGUSR2');
    await sleep(QUICK ? 400 : 1000);
    best = Math.min(best, rssBytes(server.pid) ?? Infinity);
  }
  return Number.isFinite(best) ? best : 0;
}

async function idleRun(kind: ServerKind, members: number) {
  await ensureClients();
  const server = await startServer(kind, { env: serverEnv(kind, {}) });
  try {
    await sleep(500);
    const rss0 = await settledRss(server);
    const setup = await setupMembers(server, members, 0);
    const connected = setup.results.reduce((s, r) => s + r.connected, 0);
    const setupMs = Math.max(...setup.results.map((r) => r.ms));
    await sleep(QUICK ? 500 : 2000);
    const rss1 = await settledRss(server);
    const fds = fdCount(server.pid) ?? 0;
    const cpu0 = cpuSeconds(server.pid) ?? 0;
    // Still there? A short run at rate 0 reports the sockets open at its end (and any closes).
    const status = await runStep(server, 0, { warmupMs: 0, measureMs: QUICK ? 300 : 2000, drainMs: 0 });
    const idleCpu = ((cpuSeconds(server.pid) ?? 0) - cpu0) / ((QUICK ? 300 : 2000) / 1000 + 0.3);
    await teardownClients();
    const held = status.openAtEnd;
    const name = label(server, {});
    log(`${name}: idle ${held}/${members} held, ${((rss1 - rss0) / Math.max(1, held)).toFixed(0)} B/member, ${fds} fds`);
    return {
      name,
      held,
      connected,
      setupMs,
      rss0,
      rss1,
      fds,
      idleCpu,
      counts: addCounts(setup.counts, status.counts),
      firstError: setup.results.find((r) => r.firstError)?.firstError,
    };
  } finally {
    await teardownClients().catch(() => {});
    await server.stop();
  }
}

async function scenarioIdle(): Promise<void> {
  const n = S.idle.members;
  const title = TITLES.idle;
  log(`${title}: ${n} members connected and idle`);
  const m = await idleRun('mayfly', n);
  const r = await idleRun('raw', n);
  const peer = PEERS && !QUICK ? await idleRun('socketio', n) : null;
  raw.idle = { mayfly: m, raw: r, ...(peer ? { socketio: peer } : {}) };
  const per = (x: typeof m) => (x.rss1 - x.rss0) / Math.max(1, x.held);
  const row = (x: typeof m): Row => ({
    ...noteRow(
      title,
      x.name,
      `${(per(x) / 1024).toFixed(2)} KiB per member (RSS ${mib(x.rss0)} → ${mib(x.rss1)} MiB after GC); ${fmt(x.fds)} fds; joined and connected in ${(x.setupMs / 1000).toFixed(1)} s${x.firstError ? `; first error: ${x.firstError.slice(0, 80)}` : ''}`,
    ),
    members: fmt(x.held),
    throughput: `holds ${fmt(x.held)} of ${fmt(n)}`,
    errors: fmt(errorTotal(x.counts)),
    cpu: pct(x.idleCpu),
    rss: mib(x.rss1),
  });
  rows.push(row(m), row(r));
  if (peer) rows.push(row(peer));
  rows.push({ ...noteRow(title, 'mayfly / raw', `per member ${times(per(m), per(r))}`), rss: times(m.rss1, r.rss1) });
  if (peer) rows.push({ ...noteRow(title, 'mayfly / Socket.IO', `per member ${times(per(m), per(peer))}`), rss: times(m.rss1, peer.rss1) });
  chart.push({ label: title, ratio: r.held > 0 ? m.held / r.held : null, target: 1, p99: null, refP99: null, refName: 'raw' });
  const want = QUICK ? n : 19_000;
  targets.push({
    scenario: title,
    target: `${fmt(want)} idle members held, ≤ 3 KiB each`,
    measured: `${fmt(m.held)} held, ${(per(m) / 1024).toFixed(2)} KiB each (raw ${(per(r) / 1024).toFixed(2)} KiB${peer ? `, Socket.IO ${(per(peer) / 1024).toFixed(2)} KiB` : ''})`,
    pass: m.held >= want && per(m) <= 3072,
  });
}

async function stormRun(kind: 'mayfly' | 'raw') {
  await ensureClients();
  const cpuProfDir = kind === 'mayfly' && PROFILE_DIR ? join(PROFILE_DIR, 'storm') : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const server = await startServer(kind, { env: serverEnv(kind, {}), cpuProfDir });
  const { durationMs, concurrency } = S.storm;
  const windows: Array<{ from: number; to: number }> = [];
  try {
    const phase = async (p: 'create' | 'join') => {
      const startAt = nowUs() + 300_000;
      windows.push({ from: startAt, to: startAt + durationMs * 1000 });
      const probing = probe({ server: server.pid, clients: clients.map((c) => c.pid) }, startAt, startAt + durationMs * 1000);
      const results = await Promise.all(
        clients.map((c) =>
          c.ask<StormResult>(
            { cmd: 'storm', target: { origin: server.origin, kind }, phase: p, startAt, durationMs, concurrency, roomSize: ROOM },
            durationMs + 30_000,
          ),
        ),
      );
      const pr = await probing;
      const h = new Hist();
      for (const r of results) h.merge(r.hist);
      const ok = results.reduce((s, r) => s + r.ok, 0);
      const failed = results.reduce((s, r) => s + r.failed, 0);
      return {
        perS: ok / (durationMs / 1000),
        ok,
        failed,
        h,
        cpu: pr.cpu,
        rss: pr.rss,
        firstError: results.find((r) => r.firstError)?.firstError,
      };
    };
    const create = await phase('create');
    const join = await phase('join');
    log(`${kindName(kind)}: ${fmt(create.perS)} creations/s, ${fmt(join.perS)} joins/s`);
    return { create, join };
  } finally {
    await server.stop();
    if (cpuProfDir && windows.length === 2) {
      writeProfileSummary(cpuProfDir, windows[0]!, `${TITLES.storm}: POST /rooms`, 'profile-create.md');
      writeProfileSummary(cpuProfDir, windows[1]!, `${TITLES.storm}: POST /rooms/{id}/join`, 'profile-join.md');
    }
  }
}

async function scenarioStorm(): Promise<void> {
  const title = TITLES.storm;
  log(`${title}: POST /rooms, then POST /rooms/{id}/join, ${S.storm.concurrency * CLIENTS} requests in flight`);
  const m = await stormRun('mayfly');
  const r = await stormRun('raw');
  raw.storm = {
    mayfly: { create: { ...m.create, h: undefined }, join: { ...m.join, h: undefined } },
    raw: { create: { ...r.create, h: undefined }, join: { ...r.join, h: undefined } },
  };
  const row = (name: string, x: typeof m): Row => ({
    ...noteRow(title, name, ''),
    throughput: `${fmt(x.create.perS)} creates/s · ${fmt(x.join.perS)} joins/s`,
    p50: ms(x.join.h.quantile(0.5)),
    p99: ms(x.join.h.quantile(0.99)),
    max: ms(x.join.h.max),
    errors: fmt(x.create.failed + x.join.failed),
    cpu: pct(Math.max(x.create.cpu, x.join.cpu)),
    rss: mib(x.join.rss),
    notes: `latency columns: join requests; create p50/p99 ${ms(x.create.h.quantile(0.5))}/${ms(x.create.h.quantile(0.99))} ms; CPU: the busier phase${x.create.firstError || x.join.firstError ? `; first error: ${(x.create.firstError ?? x.join.firstError)!.slice(0, 80)}` : ''}`,
  });
  rows.push(row('mayfly', m), row('raw Bun', r), {
    ...noteRow(
      title,
      'mayfly / raw',
      'the raw server answers with random ids: a ceiling for HTTP on this runtime, not a like-for-like room service',
    ),
    throughput: `creates ${(m.create.perS / r.create.perS).toFixed(2)}× · joins ${(m.join.perS / r.join.perS).toFixed(2)}×`,
    p99: times(m.join.h.quantile(0.99), r.join.h.quantile(0.99)),
    rss: times(m.join.rss, r.join.rss),
  });
  chart.push({
    label: `${title} (joins)`,
    ratio: m.join.perS / r.join.perS,
    target: null,
    p99: m.join.h.quantile(0.99) / 1000,
    refP99: r.join.h.quantile(0.99) / 1000,
    refName: 'raw',
  });
  targets.push({
    scenario: title,
    target: 'no target; reported',
    measured: `${fmt(m.create.perS)} creations/s, ${fmt(m.join.perS)} joins/s, ${m.create.failed + m.join.failed} failed`,
    pass: null,
  });
}

/** Runs fn on a fresh redis-server (one per server run: no state carried from the run before). */
async function withRedis<T>(fn: (redis: RedisProc) => Promise<T>): Promise<T> {
  const redis = await startRedis();
  try {
    return await fn(redis);
  } finally {
    await redis.stop();
  }
}

async function scenarioRedis(): Promise<void> {
  const title = TITLES.redis;
  if (NO_REDIS || !Bun.which('redis-server')) {
    rows.push(noteRow(title, 'mayfly (redis)', 'skipped: redis-server not available (or --no-redis)'));
    targets.push({ scenario: title, target: 'Redis mode targets', measured: 'skipped', pass: null });
    return;
  }
  for (const load of ['moderate', 'heavy'] as const) {
    const spec = loadSpec(S[load]);
    const sub = `${title}, ${load}`;
    log(`${sub}: as (${load === 'moderate' ? 1 : 2}), STORAGE_URL=redis://… on a redis-server started for each server`);
    // Judged against mayfly's memory mode under the same load in this run (run here if it was not).
    let mem = memoryMode[load];
    if (!mem) {
      const own = await loadRun('mayfly', spec, { name: 'mayfly (memory, for reference)' });
      mem = own.steps[0]!;
      rows.push(loadRow(sub, own, mem));
    }
    const cpuProfDir = PROFILE_DIR ? join(PROFILE_DIR, `redis-${load}`) : undefined;
    if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
    const m = await withRedis((redis) => loadRun('mayfly', spec, { redis, cpuProfDir }));
    const st = m.steps[0]!;
    if (cpuProfDir) writeProfileSummary(cpuProfDir, st.window, sub);
    const peer = PEERS && (!QUICK || load === 'heavy') ? await withRedis((redis) => peerRun(spec, { redis })) : null;
    const ps = peer?.steps[0];
    raw[`redis-${load}`] = { mayfly: summary(m), ...(peer ? { socketio: summary(peer) } : {}) };
    rows.push(loadRow(sub, m, st));
    if (peer && ps) rows.push(loadRow(sub, peer, ps));
    rows.push(ratioRow(sub, 'redis / memory', st, mem, 'mayfly in Redis mode against its memory mode under the same load in this run'));
    if (peer && ps) rows.push(ratioRow(sub, 'mayfly / Socket.IO', st, ps, 'both on Redis'));
    const p99 = st.hist.quantile(0.99) / 1000;
    const memP99 = mem.hist.quantile(0.99) / 1000;
    chart.push({
      label: sub,
      ratio: mem.delivered > 0 ? st.delivered / mem.delivered : null,
      target: load === 'heavy' ? 0.95 : null,
      p99,
      refP99: memP99,
      refName: 'memory',
    });
    if (load === 'moderate') {
      targets.push({
        scenario: sub,
        target: 'p99 ≤ 5 ms',
        measured: `${p99.toFixed(2)} ms (memory mode ${memP99.toFixed(2)} ms)${dirty(m, st)}`,
        pass: p99 <= 5 && clean(m, st),
      });
      continue;
    }
    const d = st.delivered / mem.delivered;
    targets.push({
      scenario: sub,
      target: 'delivers ≥ 0.95× memory mode',
      measured: `${d.toFixed(2)}× (${fmt(st.delivered)} vs ${fmt(mem.delivered)}/s)${dirty(m, st)}`,
      pass: d >= 0.95 && clean(m, st),
    });
    targets.push({
      scenario: sub,
      target: 'p99 ≤ 1.5× memory mode',
      measured: `${(p99 / Math.max(memP99, 1e-6)).toFixed(2)}× (${p99.toFixed(1)} vs ${memP99.toFixed(1)} ms)`,
      pass: p99 <= 1.5 * memP99 && clean(m, st),
    });
    targets.push({
      scenario: sub,
      target: 'CPU per delivery, mayfly + redis-server, ≤ 1.5× memory mode',
      measured: `${(st.cpuUs / Math.max(mem.cpuUs, 1e-9)).toFixed(2)}× (${µs(st.cpuUs)} vs ${µs(mem.cpuUs)} µs; redis-server ${pct(st.redisCpu)} of a core)`,
      pass: st.cpuUs <= 1.5 * mem.cpuUs && clean(m, st),
    });
  }
}

function summary(r: LoadResult) {
  return {
    server: r.server,
    members: r.members,
    connected: r.connected,
    setupMs: r.setupMs,
    setupCounts: r.setupCounts,
    firstError: r.firstError,
    steps: r.steps.map((s) => ({
      rate: s.rate,
      offered: s.offered,
      delivered: s.delivered,
      p50_ms: s.hist.quantile(0.5) / 1000,
      p99_ms: s.hist.quantile(0.99) / 1000,
      max_ms: s.hist.max / 1000,
      p99_ws_ms: s.histWs.quantile(0.99) / 1000,
      p99_live_ms: s.histLive.quantile(0.99) / 1000,
      lost: s.lost,
      skipped: s.skipped,
      counts: s.counts,
      cpu: s.cpu,
      sysShare: s.sysShare,
      clientCpu: s.clientCpu,
      redisCpu: s.redisCpu,
      cpu_us_per_delivery: s.cpuUs,
      frameBytes: s.frameBytes,
      rss: s.rss,
      rssPeak: s.rssPeak,
      openAtEnd: s.openAtEnd,
    })),
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  mkdirSync(OUT, { recursive: true });
  const chosen = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s));
  log(`${QUICK ? 'quick' : 'full'} run: ${chosen.join(', ')}; ${CLIENTS} client processes; results to ${OUT}`);
  await ensureClients();
  for (const s of chosen) {
    try {
      if (s === 'moderate' || s === 'heavy' || s === 'mixed') await scenarioLoad(s);
      else if (s === 'saturation') await scenarioSaturation();
      else if (s === 'idle') await scenarioIdle();
      else if (s === 'storm') await scenarioStorm();
      else if (s === 'redis') await scenarioRedis();
    } catch (err) {
      rows.push(errorRow(TITLES[s], err));
    }
  }
  for (const c of clients) await c.ask({ cmd: 'exit' }, 5000).catch(() => c.kill());
  const seconds = (performance.now() - t0) / 1000;
  const limits = `Rate limits set to ${Object.entries(LIMITS)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')} for this run (every bench member is on 127.0.0.1).`;
  const report: Report = {
    title: 'mayfly benchmark: one instance vs raw Bun pub/sub and Socket.IO 4',
    mode: QUICK ? 'quick' : 'full',
    startedAt,
    seconds,
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}; ${CLIENTS} client processes on the same machine.`,
    limits,
    rows,
    targets,
    chart,
    method: [
      'Each scenario starts a fresh server child process, measures it, stops it, then does the same for each reference under the same load. mayfly runs as `bun src/index.ts` (HOST=127.0.0.1, LOG_LEVEL=warn); the raw server is `bench/raw-server.ts` (Bun.serve, ws.subscribe(room), server.publish of every frame). The same-bytes raw server is the raw server with every frame padded (RAW_PAD) to the mean size of mayfly’s frames measured in the same scenario: the limit for mayfly’s protocol on this runtime, and what every memory-mode target is judged against. The unpadded raw server is a reference row. Socket.IO 4 (`bench/peers/socketio-server.mjs`, under Node) is a chat server as its users write one: it checks the message, numbers it, keeps the last 200 per room and emits it to the room; in Redis mode with @socket.io/redis-adapter and its history in Redis. Both Bun servers are started with `--preload bench/guard.ts`, which only adds a SIGUSR2 → full GC hook (used before idle memory readings), memory diagnostics that are off unless BENCH_HEAP_STATS or BENCH_MEMORY_TRACE is set, and exits with the bench.',
      `Members: rooms created with POST /rooms, members joined with POST /rooms/{id}/join, then each holds /rooms/{id}/ws?token=… (API) or /rooms/{id}/live with the mayfly_member cookie (browser path, HTML fragments). Rooms of ${ROOM}; every message reaches all ${ROOM} members of its room, the sender included (server.publish in both servers).`,
      'Latency: the sender writes its send time (µs on a clock all processes share: performance.timeOrigin + performance.now(), agreeing within ~60 µs across processes) into the message content; receivers subtract it from the time the TCP chunk carrying the frame arrived. Throughput counts deliveries received inside the measurement window (after a warm-up). Lost = expected deliveries (sends × open members of the room) not received by the end of the drain.',
      'Clients: a minimal WebSocket client over Bun.connect (bench/lib/ws.ts) parses frames straight out of TCP chunks; client CPU is shown in the notes — when the clients saturate the cores, both servers are measured against the same ceiling.',
      'CPU: utime+stime from /proc/<pid>/stat over the measurement window, as a share of one core (100% = one core). CPU µs/deliv: the server’s CPU-µs per delivered frame (in Redis mode the server’s and redis-server’s together), the first efficiency figure: it does not depend on the clients sharing the cores. RSS: VmRSS read every 250 ms through the window; the RSS column and the RSS target use the mean, the notes give the peak too (a garbage-collected heap swings by tens of MiB between collections, so a single reading lands anywhere in that swing). Idle memory per member: RSS after a forced GC with the members connected, minus RSS after a forced GC before they joined, divided by members held.',
      'Saturation: the offered rate rises step by step until two steps in a row add less than 5% to the best delivered throughput; the peak step is reported. Join storm: closed-loop HTTP clients creating rooms, then joining them (20 per room). Redis mode: a fresh redis-server per server run on a free loopback port, the loads of (1) and (2), compared with mayfly’s memory mode under the same load in the same run.',
    ],
  };
  const md = markdown(report);
  writeFileSync(join(OUT, 'latest.md'), md);
  writeFileSync(join(OUT, 'latest.svg'), svg(report));
  writeFileSync(join(OUT, 'latest.json'), JSON.stringify({ ...report, raw }, null, 2));
  console.log(`\n${md}`);
  log(`wrote ${join(OUT, 'latest.md')}, latest.svg and latest.json`);
  return failures > 0 ? 1 : 0;
}

const hardStop = setTimeout(
  () => {
    console.error('bench: overall time limit reached; stopping');
    killAll();
    process.exit(1);
  },
  QUICK ? 150_000 : 35 * 60_000,
);
let code = 1;
try {
  code = await main();
} catch (err) {
  console.error('bench failed:', err);
} finally {
  clearTimeout(hardStop);
  for (const c of clients) c.kill();
  killAll();
}
process.exit(code);
