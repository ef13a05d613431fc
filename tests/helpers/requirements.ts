// Test helper: external programs some suites need. A missing one prints a warning and its tests skip;
// under CI it fails the run instead; under MAYFLY_FAST=1 (npm run test:fast) every one is skipped.
import { existsSync } from 'node:fs';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
/** The fast inner loop: no external programs at all (no redis-server, browser, nginx…). */
export const FAST = process.env.MAYFLY_FAST === '1' || process.env.MAYFLY_FAST === 'true';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type Program = 'redis-server' | 'chromium' | 'nginx' | 'tmux' | 'docker-compose' | 'python3-websockets';

/** The Debian package `bash .ci/run` installs for each program. */
const PACKAGE: Record<Program, string> = {
  'redis-server': 'redis-server',
  chromium: 'chromium',
  nginx: 'nginx-light',
  tmux: 'tmux',
  'docker-compose': 'docker-compose',
  'python3-websockets': 'python3-websockets',
};

const pythonWithWebsockets = (python: string | null): boolean =>
  !!python && Bun.spawnSync([python, '-c', 'import websockets'], { stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;

const found = new Map<Program, string | null>();

/** Where the program is, or null. python3-websockets answers a python3 that can import websockets. */
export function locate(program: Program): string | null {
  if (!found.has(program)) {
    let path: string | null;
    if (program === 'chromium') path = existsSync(CHROMIUM) ? CHROMIUM : Bun.which('chromium');
    // Debian's python3-websockets lives beside /usr/bin/python3, which may not be the first python3 on PATH.
    else if (program === 'python3-websockets') path = [Bun.which('python3'), '/usr/bin/python3'].find(pythonWithWebsockets) ?? null;
    else path = Bun.which(program);
    found.set(program, path);
  }
  return found.get(program) ?? null;
}

/**
 * True when the program is installed. When it is not: under CI this throws (nothing may skip
 * silently there); elsewhere it warns and answers false, and the caller skips what needs it.
 * Under MAYFLY_FAST=1 it answers false for every program, saying so.
 */
export function need(program: Program): boolean {
  if (FAST) {
    console.warn(`!! MAYFLY_FAST=1: skipping the tests that need ${program}`);
    return false;
  }
  if (locate(program)) return true;
  if (IN_CI) throw new Error(`${program} is required under CI but is not installed (bash .ci/run installs ${PACKAGE[program]})`);
  console.warn(`!! ${program} not found: skipping the tests that need it (install the ${PACKAGE[program]} package to run them)`);
  return false;
}

/**
 * Tests that wait on the clock (a room expiring, a seat lapsing): the full suite runs them; under
 * MAYFLY_FAST=1 (npm run test:fast) they are skipped, and the first one skipped says so.
 */
export function onTheClock(): boolean {
  if (FAST && !warnedClock) {
    warnedClock = true;
    console.warn('!! MAYFLY_FAST=1: skipping the tests that wait on the clock (expiry, lapses); npm test runs them');
  }
  return FAST;
}
let warnedClock = false;
