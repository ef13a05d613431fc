// The benchmark's quick mode end to end: it starts mayfly, the raw Bun server (plain and padded to
// mayfly's frame size), the Socket.IO peer, its client processes (and redis-server when installed),
// runs every scenario briefly and writes the table and the chart.
// No timing assertions: this checks that the bench works, not how fast anything is.
import { expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { need } from './helpers/requirements.ts';

const hasRedis = need('redis-server');
const ROOT = new URL('..', import.meta.url).pathname;

test('bun run bench --quick runs every scenario and writes the table and the chart', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mayfly-bench-'));
  try {
    const proc = Bun.spawn([process.execPath, 'bench/run.ts', '--quick', '--out', out, ...(hasRedis ? [] : ['--no-redis'])], {
      cwd: ROOT,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    // Past the budget: SIGTERM lets the bench stop its servers and clients, SIGKILL if it hangs.
    const stop = setTimeout(() => proc.kill('SIGTERM'), 115_000);
    const kill = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(stop);
    clearTimeout(kill);
    if (code !== 0) console.error(stdout.slice(-4000), stderr.slice(-4000));
    expect(code).toBe(0);

    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| ('));
    for (const scenario of [
      '(1) moderate',
      '(2) heavy',
      '(3) saturation',
      '(4) idle',
      '(5) join storm',
      ...(hasRedis ? ['(6) Redis mode, moderate', '(6) Redis mode, heavy'] : ['(6) Redis mode']),
      '(7) browser mix',
    ]) {
      expect(rows.some((r) => r.startsWith(`| ${scenario} |`))).toBe(true);
    }
    // mayfly, the same-bytes raw server and the raw server measured in the load scenarios, with
    // CPU per delivery; the Socket.IO peer where the quick pass runs it; no scenario failed outright.
    for (const scenario of ['(1) moderate', '(2) heavy', '(3) saturation', '(7) browser mix']) {
      expect(rows.some((r) => r.startsWith(`| ${scenario} | mayfly |`))).toBe(true);
      expect(rows.some((r) => r.startsWith(`| ${scenario} | raw Bun |`))).toBe(true);
      expect(rows.some((r) => r.startsWith(`| ${scenario} | raw Bun, same bytes (`))).toBe(true);
      expect(rows.some((r) => r.startsWith(`| ${scenario} | mayfly / same-bytes raw |`))).toBe(true);
    }
    expect(md).toContain('| CPU µs/deliv |');
    expect(rows.some((r) => r.startsWith('| (1) moderate | Socket.IO 4 ('))).toBe(true);
    expect(rows.some((r) => r.includes('| error |'))).toBe(false);
    if (hasRedis) {
      expect(rows.some((r) => r.startsWith('| (6) Redis mode, heavy | mayfly (redis) |'))).toBe(true);
      expect(rows.some((r) => r.startsWith('| (6) Redis mode, heavy | Socket.IO 4 (') && r.includes('Redis adapter'))).toBe(true);
    }
    expect(md).toContain('Rate limits set to');
    expect(md).toMatch(/\| (PASS|\*\*FAIL\*\*) \|/);

    const chart = readFileSync(join(out, 'latest.svg'), 'utf8');
    expect(chart.startsWith('<svg')).toBe(true);
    expect(chart.trim().endsWith('</svg>')).toBe(true);
    expect(existsSync(join(out, 'latest.json'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 130_000);
