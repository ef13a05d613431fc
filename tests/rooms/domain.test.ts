// Unit tests of the room domain: schemas, rate limits, expiry timers, configuration.
import { describe, expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { Limits, PasswordGate, retryAfterSeconds } from '../../src/rooms/limits.ts';
import {
  ClientFrame,
  Content,
  createRoomSchema,
  fieldErrors,
  JoinSchema,
  parseClientFrame,
  plainMessageContent,
  Username,
} from '../../src/rooms/schema.ts';
import { messageEvent, messageEventJsonWithoutSeq } from '../../src/realtime/events.ts';
import { guestName, hashToken } from '../../src/rooms/service.ts';
import { RoomTimers } from '../../src/rooms/timers.ts';

describe('schemas', () => {
  const create = createRoomSchema(86400, 600);

  test('room creation: defaults are optional, form strings are coerced, limits are named', () => {
    expect(create.parse({ name: ' Team ', owner_name: 'ann' })).toEqual({ name: 'Team', owner_name: 'ann' } as never);
    expect(create.parse({ name: 'a', owner_name: 'b', expiry_seconds: '300', max_users: '2', idle_seconds: '', password: '' })).toEqual({
      name: 'a',
      owner_name: 'b',
      expiry_seconds: 300,
      max_users: 2,
    } as never);
    const bad = create.safeParse({ name: '', owner_name: 'x'.repeat(33), expiry_seconds: 4, max_users: 1001 });
    expect(bad.success).toBe(false);
    expect(fieldErrors(bad.error!)).toEqual({
      name: 'must not be empty',
      owner_name: 'must be at most 32 characters',
      expiry_seconds: 'must be at least 5',
      max_users: 'must be at most 1000',
    });
  });

  test('idle_seconds may not outlive the room, also against the default lifetime and beside other errors', () => {
    expect(create.safeParse({ name: 'a', owner_name: 'b', expiry_seconds: 3600, idle_seconds: 900 }).success).toBe(true);
    expect(fieldErrors(create.safeParse({ name: 'a', owner_name: 'b', idle_seconds: 900 }).error!).idle_seconds).toContain(
      'longer than the room lives',
    );
    expect(fieldErrors(create.safeParse({ name: '', owner_name: 'b', expiry_seconds: 60, idle_seconds: 90 }).error!)).toEqual({
      name: 'must not be empty',
      idle_seconds: 'must not be longer than the room lives (expiry_seconds)',
    });
  });

  test('join accepts display_name for username; names refuse control and direction characters', () => {
    expect(JoinSchema.parse({ display_name: 'Zoë' })).toEqual({ username: 'Zoë' } as never);
    expect(JoinSchema.parse({ username: 'a', display_name: 'b', password: 'pw' })).toEqual({ username: 'a', password: 'pw' });
    expect(Username.safeParse('ab\u202Ecd').success).toBe(false);
    expect(Username.safeParse('tab\there').success).toBe(false);
    expect(Username.safeParse('日本語の名前').success).toBe(true);
  });

  test('content: 1…2000 characters after trimming, newlines and tabs allowed, other controls refused', () => {
    expect(Content.parse('  hi  ')).toBe('hi');
    expect(Content.safeParse('   ').success).toBe(false);
    expect(Content.safeParse('x'.repeat(2000)).success).toBe(true);
    expect(Content.safeParse('x'.repeat(2001)).success).toBe(false);
    expect(Content.safeParse('a\nb\tc').success).toBe(true);
    expect(Content.safeParse('a\u001bb').success).toBe(false);
  });

  test('socket frames: a discriminated union; htmx extras are ignored, unknown types refused', () => {
    expect(ClientFrame.parse({ type: 'message', content: 'x', headers: { 'HX-Request': 'true' } })).toEqual({
      type: 'message',
      content: 'x',
    });
    expect(ClientFrame.parse({ type: 'typing', content: 'draft' })).toEqual({ type: 'typing' });
    expect(ClientFrame.safeParse({ type: 'chat', message: 'x' }).success).toBe(false);
    expect(ClientFrame.safeParse({ content: 'x' }).success).toBe(false);
  });

  test('the fast frame check agrees with the schema, valid or not', () => {
    const frames: unknown[] = [
      { type: 'message', content: 'x' },
      { type: 'message', content: '  padded  ', headers: { 'HX-Request': 'true' } },
      { type: 'message', content: '   ' },
      { type: 'message', content: '' },
      { type: 'message', content: 'x'.repeat(2000) },
      { type: 'message', content: 'x'.repeat(2001) },
      { type: 'message', content: ` ${'x'.repeat(2000)} ` },
      { type: 'message', content: 'a\u001bb' },
      { type: 'message', content: 'a\nb\tc' },
      { type: 'message', content: 'emoji 🦋 and ünïcödé' },
      { type: 'message', content: 42 },
      { type: 'message' },
      { type: 'typing' },
      { type: 'typing', content: 'draft' },
      { type: 'chat', message: 'x' },
      { content: 'x' },
      null,
      [],
      'message',
      7,
    ];
    for (const frame of frames) {
      const fast = parseClientFrame(frame);
      const zod = ClientFrame.safeParse(frame);
      expect(fast.success).toBe(zod.success);
      if (fast.success && zod.success) expect(fast.data).toEqual(zod.data);
      // A frame read without JSON.parse gives what parsing it gives, or is left to the general way.
      const raw = JSON.stringify(frame);
      if (raw === undefined) continue;
      const plain = plainMessageContent(raw);
      if (plain !== null) expect(zod.data).toEqual({ type: 'message', content: plain });
    }
    // Not the exact shape API clients write: the general way (JSON.parse), which words any error.
    for (const raw of [
      '{"content":"hi","type":"message"}',
      '{"type":"message","content":"hi"} ',
      '{"type":"message","content":"hi","x":1}',
      '{"type":"message","content":"a\\"b"}',
      '{"type":"message","content":"a\\u0041"}',
      '{"type":"message","content":"a\tb"}',
      '{"type":"message","content":"}',
      '{"type":"message","content":"   "}',
    ])
      expect(plainMessageContent(raw)).toBeNull();
    expect(plainMessageContent('{"type":"message","content":"  hello 🦋 "}')).toBe('hello 🦋');
    expect(plainMessageContent(JSON.stringify({ type: 'message', content: 'x'.repeat(2000) }))).toBe('x'.repeat(2000));
  });

  test('a message event written out directly is the JSON of the event without seq', () => {
    const drafts = [
      { id: 'abc123', username: 'ann', memberId: 'm1', content: 'hello', timestamp: '2026-11-24T05:00:00.000Z', verified: false },
      {
        id: 'x',
        username: 'zoë "the" \\ one',
        memberId: 'm2',
        content: 'quote " backslash \\ newline \n tab \t 🦋 \u2028',
        timestamp: '2026-11-24T05:00:00.001Z',
        verified: true,
      },
    ];
    for (const d of drafts) {
      const { seq: _seq, ...expected } = messageEvent('room-1', { ...d, seq: 1 });
      expect(messageEventJsonWithoutSeq('room-1', d)).toBe(JSON.stringify(expected));
    }
  });
});

describe('rate limits (in-process)', () => {
  const config = loadConfig({ MESSAGE_RATE: '10', MESSAGE_BURST: '3', CREATE_RATE_PER_MINUTE: '1', RATE_LIMIT_EXEMPT: '127.0.0.1' });

  test('messages: the burst, then refused with the wait until the window ends', async () => {
    const limits = new Limits(config);
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push(await limits.consume('message', 'm'));
    expect(tries.slice(0, 3)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const refused = tries[3]!;
    expect(refused.ok).toBe(false);
    // a window of BURST/RATE = 0.3 s, rounded up to whole seconds: the wait is under a second
    if (!refused.ok) expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    expect((await limits.consume('message', 'other')).ok).toBe(true);
    expect(retryAfterSeconds(1)).toBe(1);
  });

  test('windows per key; exempt addresses are never limited where the limit allows it', async () => {
    const limits = new Limits(config);
    expect([(await limits.consume('create', '10.0.0.1')).ok, (await limits.consume('create', '10.0.0.1')).ok]).toEqual([true, false]);
    expect([(await limits.consume('create', '127.0.0.1')).ok, (await limits.consume('create', '127.0.0.1')).ok]).toEqual([true, true]);
    // wrong room passwords are never exempt
    const pw = loadConfig({ PASSWORD_TRIES_PER_MINUTE: '1', RATE_LIMIT_EXEMPT: '127.0.0.1' });
    const strict = new Limits(pw);
    expect((await strict.check('password', 'room|127.0.0.1')).ok).toBe(true);
    await strict.consume('password', 'room|127.0.0.1');
    expect((await strict.check('password', 'room|127.0.0.1')).ok).toBe(false);
  });

  test('the password gate runs a few at once and refuses past its queue', async () => {
    const gate = new PasswordGate(1, 1);
    let release!: () => void;
    const first = gate.run(() => new Promise<number>((r) => (release = () => r(1))));
    const second = gate.run(async () => 2);
    expect(await gate.run(async () => 3)).toBeNull(); // one running, one waiting: full
    release();
    expect(await first).toEqual({ value: 1 });
    expect(await second).toEqual({ value: 2 });
  });
});

describe('expiry timers', () => {
  test('fire at expiry, once; rescheduling and cancelling work', async () => {
    const fired: string[] = [];
    const timers = new RoomTimers((id) => fired.push(id));
    const now = Date.now();
    timers.schedule({ id: 'a', expiresAt: now + 30, idleSeconds: null });
    timers.schedule({ id: 'a', expiresAt: now + 30, idleSeconds: null });
    timers.schedule({ id: 'b', expiresAt: now + 20, idleSeconds: 60 });
    timers.schedule({ id: 'c', expiresAt: now + 20, idleSeconds: null });
    timers.cancel('c');
    expect(timers.idleSeconds('b')).toBe(60);
    await Bun.sleep(80);
    expect(fired.sort()).toEqual(['a', 'b']);
    expect(timers.roomIds()).toEqual([]);
  });

  test('a lifetime longer than setTimeout allows is not fired early', async () => {
    const fired: string[] = [];
    const timers = new RoomTimers((id) => fired.push(id));
    timers.schedule({ id: 'far', expiresAt: Date.now() + 40 * 86400 * 1000, idleSeconds: null });
    await Bun.sleep(20);
    expect(fired).toEqual([]);
    timers.clear();
  });
});

describe('configuration', () => {
  test('defaults, and a bad value stops with a clear message', () => {
    const c = loadConfig({});
    expect([c.PORT, c.STORAGE_URL, c.DEFAULT_EXPIRY_SECONDS, c.DEFAULT_MAX_USERS, c.HISTORY_LIMIT]).toEqual([
      3000,
      'memory:',
      600,
      20,
      200,
    ]);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ STORAGE_URL: 'mongodb://x' })).toThrow(/STORAGE_URL: must start with memory:/);
    expect(() => loadConfig({ DEFAULT_EXPIRY_SECONDS: '7200', MAX_EXPIRY_SECONDS: '3600' })).toThrow(/DEFAULT_EXPIRY_SECONDS/);
    expect(() => loadConfig({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
    expect(loadConfig({ RATE_LIMIT_EXEMPT: '127.0.0.1, ::1' }).RATE_LIMIT_EXEMPT).toEqual(['127.0.0.1', '::1']);
  });

  test('the server refuses to start on a bad value, with the reason on stderr', () => {
    const p = Bun.spawnSync([process.execPath, 'src/index.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: 'not-a-port', MAX_EXPIRY_SECONDS: '1' },
    });
    expect(p.exitCode).toBe(2);
    const err = p.stderr.toString();
    expect(err).toContain('Invalid configuration');
    expect(err).toContain('PORT');
    expect(err).toContain('MAX_EXPIRY_SECONDS');
  });
});

test('tokens are hashed; guest names look like names', () => {
  expect(hashToken('abc')).toMatch(/^[0-9a-f]{64}$/);
  expect(hashToken('abc')).toBe(hashToken('abc'));
  expect(guestName()).toMatch(/^[a-z]+-[a-z]+-\d{3}$/);
});
