// The published EphemeralChat client examples (tests/fixtures), run verbatim (host replaced) against a real server.
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.ts';
import { locate, need } from '../helpers/requirements.ts';

// argon2id hashing and real sockets are slow on a loaded machine; every test is still bounded.
setDefaultTimeout(20_000);

const SEED = join(import.meta.dir, '../fixtures/ephemeralchat-client-examples.txt');
const SEED_HOST = 'ephemeralchat.hansraj.me';

let s: TestServer;
let dir: string;

beforeAll(async () => {
  s = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'mayfly-seed-'));
});
afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function seedText(): string {
  return readFileSync(SEED, 'utf8');
}

/** The JavaScript example exactly as published: from "// Create room first" to its last "};". */
function jsExample(): string {
  const lines = seedText().split('\n');
  const start = lines.findIndex((l) => l.trim() === '// Create room first');
  let end = -1;
  for (let i = start; i < lines.length; i++) if (lines[i]!.trim() === '};') end = i;
  if (start < 0 || end < 0) throw new Error('could not find the JavaScript example in the seed');
  return lines.slice(start, end + 1).join('\n');
}

/** The Python example exactly as published: from "import asyncio" to "asyncio.run(chat_client())". */
function pyExample(): string {
  const lines = seedText().split('\n');
  const start = lines.findIndex((l) => l.trim() === 'import asyncio');
  const end = lines.findIndex((l, i) => i > start && l.trim() === 'asyncio.run(chat_client())');
  if (start < 0 || end < 0) throw new Error('could not find the Python example in the seed');
  return lines.slice(start, end + 1).join('\n');
}

/**
 * The seed page lost the Python example's indentation (every line starts at column 0). Python needs
 * it back: a line ending in ':' opens a block that lasts until the next top-level statement.
 */
function reindentPython(code: string): string {
  let depth = 0;
  return code
    .split('\n')
    .map((line) => {
      const text = line.trim();
      if (/^(import |from |asyncio\.run\()/.test(text)) depth = 0;
      const out = '    '.repeat(depth) + text;
      if (text.endsWith(':') && !text.startsWith('#')) depth++;
      return out;
    })
    .join('\n');
}

/** Only the host changes: https/wss URLs of the seed's site become the test server's http/ws origin. */
function pointAtTestServer(code: string): string {
  return code
    .replaceAll(`https://${SEED_HOST}`, s.origin)
    .replaceAll(`wss://${SEED_HOST}`, s.wsOrigin)
    .replaceAll(`ws://${SEED_HOST}`, s.wsOrigin);
}

/** Runs a long-lived client, collecting its output until `done(stdout)` holds; then kills it. */
async function runUntil(cmd: string[], done: (out: string) => boolean, timeoutMs = 10_000) {
  const proc = Bun.spawn(cmd, { cwd: dir, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  let out = '';
  let err = '';
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      into(decoder.decode(value, { stream: true }));
    }
  };
  const pumping = Promise.all([pump(proc.stdout, (t) => (out += t)), pump(proc.stderr, (t) => (err += t))]);
  try {
    await waitFor(() => done(out) || proc.exitCode !== null, timeoutMs, `the client (${cmd[0]}) to finish its exchange`);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
  } finally {
    proc.kill();
    await proc.exited;
    await pumping.catch(() => {});
  }
  return { out, err, exitCode: proc.exitCode };
}

test('the seed JavaScript example runs verbatim: creates a room, connects, sends "Hello, World!" and receives it back', async () => {
  const example = jsExample();
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the seed's source text, matched literally
  expect(example).toContain('const ws = new WebSocket(`wss://ephemeralchat.hansraj.me/rooms/${roomId}/ws`);');
  const code = pointAtTestServer(example);
  // nothing but the host changed
  expect(code.replaceAll(s.origin, `https://${SEED_HOST}`).replaceAll(s.wsOrigin, `wss://${SEED_HOST}`)).toBe(example);
  const file = join(dir, 'seed-client.mjs');
  writeFileSync(file, code);
  const roomsBefore = new Set(await s.deps.store.listRoomIds());

  const { out, err } = await runUntil(
    [process.execPath, file],
    (o) => o.includes('Received:') && o.includes('Hello, World!') && /type: "message"/.test(o),
  );
  expect(err).not.toMatch(/error/i);
  expect(out).toContain('Connected to room');
  // the first thing received is the history, then the message echoed back to its sender
  const received = out.split('Received:').slice(1);
  expect(received[0]).toContain('type: "history"');
  const echo = received.find((r) => r.includes('type: "message"'))!;
  expect(echo).toContain('content: "Hello, World!"');
  expect(echo).toMatch(/seq: 1\b/);

  // the server agrees: one new room, named as posted, holding the message
  const created = (await s.deps.store.listRoomIds()).filter((id) => !roomsBefore.has(id));
  expect(created).toHaveLength(1);
  const room = await s.deps.store.getRoom(created[0]!);
  expect(room!.name).toBe('My Chat Room');
  expect(room!.ownerName).toBe('JohnDoe');
  expect(room!.maxUsers).toBe(20);
  expect(room!.expiresAt - room!.createdAt).toBe(600_000);
  const history = await s.deps.rooms.history(created[0]!, {});
  expect(history.map((m) => m.content)).toEqual(['Hello, World!']);
  expect(echo).toContain(`room_id: "${created[0]}"`);
}, 20_000);

const pythonHasWebsockets = need('python3-websockets');
const python = locate('python3-websockets');

test.skipIf(!pythonHasWebsockets)(
  'the seed Python example runs as published (indentation the page lost restored, room id and host filled in) and receives its message back',
  async () => {
    const res = await fetch(`${s.origin}/rooms/`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'My Chat Room', owner_name: 'JohnDoe', expiry_seconds: 600, max_users: 20 }),
    });
    expect(res.status).toBe(201);
    const { room_id } = (await res.json()) as { room_id: string };
    // The published uri is a plain string with a {room_id} placeholder: fill it in, and the host.
    const published = pyExample();
    const code = reindentPython(pointAtTestServer(published).replace('{room_id}', room_id));
    // only leading whitespace was added
    expect(code.split('\n').map((l) => l.trimStart())).toEqual(pointAtTestServer(published).replace('{room_id}', room_id).split('\n'));
    const file = join(dir, 'seed_client.py');
    writeFileSync(file, code);
    const { out } = await runUntil([python!, '-u', file], (o) => o.includes("'type': 'message'") && o.includes('Hello, World!'));
    expect(out).toContain("'type': 'history'");
    expect(out).toContain("'content': 'Hello, World!'");
  },
  20_000,
);
