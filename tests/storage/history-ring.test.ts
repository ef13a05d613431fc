// The memory store's history ring: the newest messages, oldest first, exactly as they were appended.
import { describe, expect, test } from 'bun:test';
import type { Message } from '../../src/rooms/types.ts';
import { HistoryRing } from '../../src/storage/history-ring.ts';

const t0 = Date.parse('2026-11-24T05:00:00.000Z');
const msg = (seq: number, content = `m${seq}`, who = seq % 3): Message => ({
  seq,
  id: `id${seq.toString(36)}`,
  username: ['ann', 'bob', 'zoë "z"'][who]!,
  memberId: `member${who}`,
  content,
  timestamp: new Date(t0 + seq * 7).toISOString(),
  verified: who === 2,
});
const all = (r: HistoryRing) => Array.from({ length: r.size }, (_, k) => r.get(k));

describe('history ring', () => {
  test('keeps the newest `limit` messages in order as it wraps, many times over', () => {
    const r = new HistoryRing(5);
    expect(r.size).toBe(0);
    for (let seq = 1; seq <= 3; seq++) r.push(msg(seq));
    expect(all(r)).toEqual([msg(1), msg(2), msg(3)]);
    for (let seq = 4; seq <= 23; seq++) r.push(msg(seq));
    expect(all(r)).toEqual([19, 20, 21, 22, 23].map((n) => msg(n)));
    expect(r.seq(0)).toBe(19);
  });

  test('long, multi-line and non-ASCII messages come back exactly', () => {
    const r = new HistoryRing(4);
    const contents = ['x'.repeat(120), 'y'.repeat(5000), 'zoë 🦋 ünïcödé ✓\nsecond line', 'ä'.repeat(200), 'short', '🦋'.repeat(100)];
    const messages = contents.map((c, i) => msg(i + 1, c));
    for (const m of messages) r.push(m);
    expect(all(r)).toEqual(messages.slice(2));
  });

  test('grows with a room: a quiet room holds a small buffer', () => {
    const r = new HistoryRing(200);
    r.push(msg(1));
    expect((r as unknown as { buf: Uint8Array }).buf.length).toBeLessThan(200 * 128);
    for (let i = 2; i <= 500; i++) r.push(msg(i));
    expect(r.size).toBe(200);
    expect(r.get(0)).toEqual(msg(301));
    expect(r.get(199)).toEqual(msg(500));
  });
});

/** The ring's buffer and per-message arrays, for tests of how much it holds. */
const inside = (r: HistoryRing) => r as unknown as { buf: Uint8Array; seqs: Float64Array; used: number };
/** A seeded random source, so that a failing run can be replayed. */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};
/** Text of `n` UTF-16 units from a mix of 1- to 4-byte UTF-8 characters (and newlines). */
const pieces = ['a', 'Z', ' ', '\n', 'ä', 'ß', '€', '漢', '字', 'ﾃ', '🦋', '👍🏽'];
function text(rand: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += pieces[Math.floor(rand() * pieces.length)]!;
  return s;
}

describe('history ring: packed by length', () => {
  test('wraps around with mixed lengths: short, long, emoji, CJK and 2000-character messages', () => {
    const contents = [
      'hi',
      'x'.repeat(300),
      '🦋',
      '漢字かな交じり文',
      'y'.repeat(2000),
      '🦋'.repeat(2000),
      '漢'.repeat(2000),
      'ok',
      'zoë 👍🏽 ✓\nsecond line',
      'é'.repeat(999),
      '',
    ];
    for (const limit of [1, 2, 3, 5, 7]) {
      const r = new HistoryRing(limit);
      const model: Message[] = [];
      for (let seq = 1; seq <= 60; seq++) {
        const m = msg(seq, contents[(seq * 7) % contents.length]!);
        r.push(m);
        model.push(m);
        if (model.length > limit) model.shift();
        expect(all(r)).toEqual(model);
        expect(r.seq(0)).toBe(model[0]!.seq);
      }
    }
  });

  test('10,000 pushes of random lengths into limit 200 read back like a plain array, at every step', () => {
    const rand = random(18);
    const r = new HistoryRing(200);
    const model: Message[] = [];
    let wrong = 0;
    let [grew, shrank] = [0, 0];
    for (let seq = 1; seq <= 10_000; seq++) {
      const before = inside(r).buf.length;
      // mostly short, sometimes up to 2000 units, in phases of long and of short messages
      const phase = Math.floor(seq / 1500) % 3;
      const long = rand() < (phase === 1 ? 0.5 : 0.02);
      const m = msg(seq, text(rand, long ? 1 + Math.floor(rand() * 2000) : Math.floor(rand() * 80)));
      r.push(m);
      if (inside(r).buf.length > before) grew++;
      if (inside(r).buf.length < before) shrank++;
      model.push(m);
      if (model.length > 200) model.shift();
      if (r.size !== model.length) wrong++;
      for (let k = 0; k < model.length; k++) {
        const got = r.get(k);
        const want = model[k]!;
        if (got.id !== want.id || got.content !== want.content || got.seq !== want.seq || r.seq(k) !== want.seq) wrong++;
      }
      if (seq % 1000 === 0) expect(all(r)).toEqual(model);
    }
    expect(wrong).toBe(0);
    expect(grew).toBeGreaterThan(5); // it moved its messages to a new buffer, bigger or smaller, a few times
    expect(shrank).toBeGreaterThan(0);
  });

  test('other limits, random lengths: every message comes back exactly', () => {
    for (const limit of [1, 2, 3, 17]) {
      const rand = random(limit);
      const r = new HistoryRing(limit);
      const model: Message[] = [];
      for (let seq = 1; seq <= 2000; seq++) {
        const m = msg(seq, text(rand, rand() < 0.1 ? Math.floor(rand() * 2000) : Math.floor(rand() * 60)));
        r.push(m);
        model.push(m);
        if (model.length > limit) model.shift();
        expect(r.get(r.size - 1)).toEqual(m);
        if (seq % 97 === 0) expect(all(r)).toEqual(model);
      }
      expect(all(r)).toEqual(model);
    }
  });

  test('a busy room packs its messages by length, grows a few times, then allocates nothing', () => {
    const r = new HistoryRing(200);
    const sixty = (seq: number) => msg(seq, `~${seq}~ hello from the mayfly bench, ${'x'.repeat(seq % 16)}`);
    let buffers = 0;
    let last = inside(r).buf;
    for (let seq = 1; seq <= 200; seq++) {
      r.push(sixty(seq));
      if (inside(r).buf === last) continue;
      buffers++;
      last = inside(r).buf;
    }
    expect(buffers).toBeLessThanOrEqual(6);
    const used = inside(r).used;
    expect(used).toBe(Array.from({ length: 200 }, (_, k) => r.get(k)).reduce((n, m) => n + Buffer.byteLength(`${m.id}\n${m.content}`), 0));
    expect(inside(r).buf.length).toBeLessThan(used * 1.3); // packed, where 128-byte slots took 200 × 128
    expect(inside(r).seqs.length).toBe(200);
    for (let seq = 201; seq <= 20_000; seq++) r.push(sixty(seq));
    expect(inside(r).buf).toBe(last); // the same buffer all along
    expect(r.get(0)).toEqual(sixty(19_801));
    expect(r.get(199)).toEqual(sixty(20_000));
    const one = new HistoryRing(1); // nothing kept but the newest: long ones reuse its buffer too
    one.push(msg(1, '漢'.repeat(2000)));
    const kept = inside(one).buf;
    for (let seq = 2; seq <= 100; seq++) one.push(msg(seq, '漢'.repeat(1900 + seq)));
    expect(inside(one).buf).toBe(kept);
    expect(all(one)).toEqual([msg(100, '漢'.repeat(2000))]);
  });

  test('a quiet room holds little; one long message grows its buffer; much shorter ones shrink it back', () => {
    const r = new HistoryRing(200);
    r.push(msg(1, 'hello'));
    expect(inside(r).buf.length).toBeLessThanOrEqual(1024);
    expect(inside(r).seqs.length).toBeLessThanOrEqual(16);
    r.push(msg(2, '漢'.repeat(2000)));
    expect(inside(r).buf.length).toBeGreaterThanOrEqual(6000);
    expect(all(r)).toEqual([msg(1, 'hello'), msg(2, '漢'.repeat(2000))]);
    let seq = 2;
    for (; seq < 400; seq++) r.push(msg(seq + 1, 'y'.repeat(1500)));
    const big = inside(r).buf.length;
    expect(big).toBeGreaterThanOrEqual(200 * 1500);
    for (; seq < 1000; seq++) r.push(msg(seq + 1, 'short'));
    expect(inside(r).buf.length).toBeLessThan(big / 10);
    expect(inside(r).buf.length).toBeLessThan(inside(r).used * 4);
    expect(all(r)).toEqual(Array.from({ length: 200 }, (_, k) => msg(801 + k, 'short')));
  });
});
