// Deployment files: docker-compose.yml is accepted by `docker compose config` (or docker-compose v1).
import { expect, test } from 'bun:test';
import { IN_CI } from './helpers/requirements.ts';

const compose = Bun.which('docker-compose') ? ['docker-compose'] : null;

test('docker-compose.yml is valid: redis, two app replicas and an nginx balancer with health checks', async () => {
  const text = await Bun.file(new URL('../docker-compose.yml', import.meta.url)).text();
  for (const service of ['redis:', 'app1:', 'app2:', 'balancer:']) expect(text).toContain(service);
  expect(text.match(/healthcheck:/g)?.length).toBeGreaterThanOrEqual(3);
  if (!compose) {
    if (IN_CI) throw new Error('docker-compose is required under CI (bash .ci/run installs it)');
    console.warn('!! docker-compose not installed: only the text of docker-compose.yml was checked');
    return;
  }
  const p = Bun.spawnSync([...compose, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: new URL('..', import.meta.url).pathname });
  expect(p.stderr.toString()).toBe('');
  expect(p.exitCode).toBe(0);
});
