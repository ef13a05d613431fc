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

  test('long, multi-line and non-ASCII messages come back exactly, in and out of their slots', () => {
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
