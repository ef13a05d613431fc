// Test helper: external programs some suites need; under CI a missing one fails instead of skipping.
import { existsSync } from 'node:fs';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

function which(cmd: string): string | null {
  return Bun.which(cmd);
}

/** True when the program exists; in CI a missing program throws so nothing skips silently. */
export function need(what: 'redis-server' | 'chromium'): boolean {
  const found = what === 'chromium' ? (existsSync(CHROMIUM) ? CHROMIUM : which('chromium')) : which(what);
  if (found) return true;
  if (IN_CI) throw new Error(`${what} is required under CI but is not installed (bash .ci/run installs it)`);
  console.warn(`\n!! ${what} not found: skipping the tests that need it (install it to run them)\n`);
  return false;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
