// The memory store's history ring: the newest entries, oldest first, whatever their size or script.
import { describe, expect, test } from 'bun:test';
import { HistoryRing } from '../../src/storage/history-ring.ts';

const all = (r: HistoryRing) => Array.from({ length: r.size }, (_, k) => [r.seq(k), r.json(k)] as const);

describe('history ring', () => {
  test('keeps the newest `limit` entries in order as it wraps, many times over', () => {
    const r = new HistoryRing(5);
    expect(r.size).toBe(0);
    for (let seq = 1; seq <= 3; seq++) r.push(seq, `{"n":${seq}}`);
    expect(all(r)).toEqual([[1, '{"n":1}'], [2, '{"n":2}'], [3, '{"n":3}']]);
    for (let seq = 4; seq <= 23; seq++) r.push(seq, `{"n":${seq}}`);
    expect(all(r)).toEqual([19, 20, 21, 22, 23].map((n) => [n, `{"n":${n}}`] as const));
  });

  test('long and non-ASCII entries come back exactly, in and out of their slots', () => {
    const r = new HistoryRing(4);
    const entries = ['x'.repeat(255), 'y'.repeat(5000), 'zoë 🦋 ünïcödé ✓', 'ä'.repeat(200), 'short', '🦋'.repeat(100)];
    entries.forEach((json, i) => r.push(i + 1, json));
    expect(all(r)).toEqual(entries.slice(2).map((json, i) => [i + 3, json] as const));
  });

  test('grows with a room: a quiet room holds a small buffer', () => {
    const r = new HistoryRing(200);
    r.push(1, 'a');
    expect((r as unknown as { buf: Uint8Array }).buf.length).toBeLessThan(200 * 256);
    for (let i = 2; i <= 500; i++) r.push(i, `m${i}`);
    expect(r.size).toBe(200);
    expect(r.seq(0)).toBe(301);
    expect(r.json(199)).toBe('m500');
  });
});
