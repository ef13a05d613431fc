// Deployment files: the image runs the Bun the project pins and installs from the one committed
// lockfile; docker-compose.yml is accepted by `docker-compose config`.
import { describe, expect, test } from 'bun:test';
import { need } from './helpers/requirements.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const read = (path: string) => Bun.file(`${ROOT}${path}`).text();
const OTHER_LOCKFILES = ['bun.lock', 'bun.lockb', 'yarn.lock', 'pnpm-lock.yaml', 'npm-shrinkwrap.json'];
/** "^1.4.5" → "1.4"; "1.4-slim" → "1.4". */
const majorMinor = (version: string) => /(\d+)\.(\d+)/.exec(version)?.slice(1, 3).join('.') ?? null;

describe('Dockerfile', () => {
  test("its Bun image has the major.minor of package.json's bun", async () => {
    const pkg = JSON.parse(await read('package.json')) as { devDependencies: Record<string, string> };
    const images = [...(await read('Dockerfile')).matchAll(/^FROM\s+oven\/bun:(\S+)/gm)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThan(0);
    for (const tag of images) expect(majorMinor(tag)).toBe(majorMinor(pkg.devDependencies.bun!));
  });

  test('it installs with npm ci from package-lock.json, without dev dependencies', async () => {
    const text = await read('Dockerfile');
    expect(text).toMatch(/^COPY\s+package\.json\s+package-lock\.json\s/m);
    expect(text).toMatch(/^RUN\s+npm ci\b.*--omit=dev/m);
    expect(text).not.toMatch(/bun install|bun\.lock|yarn|pnpm/);
  });
});

test('package-lock.json is the one committed lockfile', async () => {
  expect(await Bun.file(`${ROOT}package-lock.json`).exists()).toBe(true);
  const git = Bun.spawnSync(['git', 'ls-files', '--', ...OTHER_LOCKFILES], { cwd: ROOT });
  // Outside a git checkout (an unpacked archive), the files present are what the repository holds.
  const others =
    git.exitCode === 0
      ? git.stdout.toString().split('\n').filter(Boolean)
      : OTHER_LOCKFILES.filter((f) => Bun.file(`${ROOT}${f}`).size > 0);
  expect(others).toEqual([]);
});

test('docker-compose.yml is valid: redis, two app replicas and an nginx balancer with health checks', async () => {
  const text = await read('docker-compose.yml');
  for (const service of ['redis:', 'app1:', 'app2:', 'balancer:']) expect(text).toContain(service);
  expect(text.match(/healthcheck:/g)?.length).toBeGreaterThanOrEqual(3);
  if (!need('docker-compose')) return; // only the text was checked
  const p = Bun.spawnSync(['docker-compose', '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT });
  expect(p.stderr.toString()).toBe('');
  expect(p.exitCode).toBe(0);
});
