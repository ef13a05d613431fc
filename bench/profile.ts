// Summarises a CPU profile of mayfly (`bun --cpu-prof`, Chrome .cpuprofile format) by where the time
// goes: each sample is charged to the innermost frame that belongs to a known area (uWS fan-out,
// unstorage, HTML rendering, zod, …), so native JSON.parse/stringify count for whoever called them.
//   bun bench/profile.ts <file.cpuprofile | dir> [--from <µs> --to <µs>]
// `bun run bench --only heavy --profile <dir>` profiles mayfly under scenario (2) and writes
// <dir>/profile.md with this summary, restricted to the measurement window.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type Node = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

/** Areas, tried from the innermost frame outwards; the first match takes the sample. */
const AREAS: Array<[string, (f: CallFrame, caller: CallFrame | undefined) => boolean]> = [
  [
    'uWS fan-out: server.publish (native, as in the raw server)',
    (f, c) => f.url === '' && f.functionName === 'publish' && !!c?.url.includes('hub.ts'),
  ],
  ['ws.send (native)', (f) => f.url === '' && f.functionName === 'send'],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
  [
    'unstorage + destr (KV memory driver: key normalising, JSON stringify/parse of values)',
    (f) => /node_modules\/(unstorage|destr)\//.test(f.url),
  ],
  ['HTML rendering for /live (renderLive, hono/jsx)', (f) => /node_modules\/hono\/dist\/(jsx|utils\/html)|src\/views\//.test(f.url)],
  ['zod (ClientFrame.safeParse and other schemas)', (f) => f.url.includes('node_modules/zod/')],
  ['nanoid (message ids)', (f) => f.url.includes('node_modules/nanoid/')],
  ['Hono HTTP routing and middleware', (f) => f.url.includes('node_modules/hono/')],
  ['ioredis', (f) => f.url.includes('node_modules/ioredis/') || f.url.includes('node_modules/redis-parser/')],
  ['KvRoomStore (lock chain, state handling)', (f) => f.url.includes('src/storage/kv-store.ts')],
  ['RedisRoomStore', (f) => f.url.includes('src/storage/redis-store.ts')],
  ['Hub (ordering, fanOut loop, JSON.stringify of the event)', (f) => f.url.includes('src/realtime/hub.ts')],
  ['events.ts (event objects)', (f) => f.url.includes('src/realtime/events.ts')],
  ['broker', (f) => f.url.includes('src/realtime/broker')],
  ['rate limits', (f) => f.url.includes('src/rooms/limits.ts') || f.url.includes('rate-limiter-flexible')],
  ['RoomService (post: ids, Date.toISOString, …)', (f) => f.url.includes('src/rooms/service.ts')],
  ['sockets.ts message handler (JSON.parse of the frame, …)', (f) => f.url.includes('src/web/sockets.ts')],
  ['other mayfly code', (f) => f.url.includes('/src/')],
  ['other dependencies', (f) => f.url.includes('node_modules/')],
  ['Bun/node internals', (f) => f.url.startsWith('node:') || f.url.startsWith('bun:') || f.url.startsWith('internal:')],
];

export type Summary = {
  total: number;
  window: [number, number] | null;
  areas: Array<[string, number]>;
  /** Per area, the innermost mayfly (src/) frame that led there: which line of ours pays for it. */
  callers: Array<[string, number]>;
  topSelf: Array<[string, number]>;
};

const short = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${f.lineNumber + 1}` : '[native]'}`;

export function summarize(file: string, window?: { from: number; to: number }): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, Node>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const areaCount = new Map<string, number>();
  const selfCount = new Map<string, number>();
  const cache = new Map<number, string>();
  const callerCache = new Map<number, string>();
  const callerCount = new Map<string, number>();
  let t = p.startTime;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    const id = p.samples[i]!;
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') continue;
    total++;
    let area = cache.get(id);
    if (area === undefined) {
      const stack: CallFrame[] = [];
      for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) stack.push(byId.get(n)!.callFrame);
      area = '';
      for (let k = 0; k < stack.length && !area; k++) {
        for (const [name, test] of AREAS) {
          if (test(stack[k]!, stack[k + 1])) {
            area = name;
            break;
          }
        }
      }
      if (!area) area = stack[0]!.url === '' ? `native ${stack[0]!.functionName || '(anonymous)'}` : 'unattributed';
      cache.set(id, area);
      const ours = stack.find((f) => f.url.includes('/src/'));
      callerCache.set(id, `${area.split(' (')[0]} ← ${ours ? short(ours) : '(no mayfly frame)'}`);
    }
    areaCount.set(area, (areaCount.get(area) ?? 0) + 1);
    const caller = callerCache.get(id)!;
    callerCount.set(caller, (callerCount.get(caller) ?? 0) + 1);
    const self = short(leaf.callFrame);
    selfCount.set(self, (selfCount.get(self) ?? 0) + 1);
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    total,
    window: window ? [window.from, window.to] : null,
    areas: sorted(areaCount),
    callers: sorted(callerCount).slice(0, 30),
    topSelf: sorted(selfCount).slice(0, 25),
  };
}

export function summaryMarkdown(s: Summary, title = 'mayfly CPU profile'): string {
  const pct = (n: number) => `${((n / Math.max(1, s.total)) * 100).toFixed(1)}%`;
  const lines = [`# ${title}`, '', `${s.total} samples (1 ms each) of busy CPU${s.window ? ' inside the measurement window' : ''}.`, ''];
  lines.push('## Where the time goes (innermost known area on the stack)', '', '| Area | Share |', '|---|--:|');
  for (const [k, v] of s.areas) lines.push(`| ${k} | ${pct(v)} |`);
  lines.push('', '## Which mayfly line pays (area ← innermost src/ frame)', '', '| Area ← caller | Share |', '|---|--:|');
  for (const [k, v] of s.callers) lines.push(`| \`${k.replace(/\|/g, '\\|')}\` | ${pct(v)} |`);
  lines.push('', '## Top self time', '', '| Function | Self |', '|---|--:|');
  for (const [k, v] of s.topSelf) lines.push(`| \`${k.replace(/\|/g, '\\|')}\` | ${pct(v)} |`);
  return `${lines.join('\n')}\n`;
}

/** The newest .cpuprofile in a directory (or the file itself). */
export function newestProfile(pathOrDir: string): string | null {
  if (!statSync(pathOrDir).isDirectory()) return pathOrDir;
  const files = readdirSync(pathOrDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(pathOrDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const target = args[0];
  if (!target) {
    console.error('usage: bun bench/profile.ts <file.cpuprofile | dir> [--from µs --to µs]');
    process.exit(2);
  }
  const file = newestProfile(target);
  if (!file) throw new Error(`no .cpuprofile in ${target}`);
  const from = args.indexOf('--from') >= 0 ? Number(args[args.indexOf('--from') + 1]) : undefined;
  const to = args.indexOf('--to') >= 0 ? Number(args[args.indexOf('--to') + 1]) : undefined;
  console.log(summaryMarkdown(summarize(file, from !== undefined && to !== undefined ? { from, to } : undefined), `CPU profile: ${file}`));
}
