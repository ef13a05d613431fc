// Through the balancer in a real browser: scripts/cluster.sh (two instances on one Redis, behind the
// Bun balancer or nginx); two people whose live sockets sit on different instances chat in one room.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { bodies, createInLobby, eventually, joinByLink, launchBrowser, send, WAIT, watchedPage } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { type Cluster, startCluster } from '../helpers/cluster.ts';

const ready = need('chromium') && need('redis-server');
const balancers: Array<[string, Record<string, string>]> = [['Bun balancer', { NO_NGINX: '1' }]];
if (ready && need('nginx')) balancers.push(['nginx', {}]);

/** Live (browser) sockets open on one instance, read from its /metrics. */
async function liveSockets(instance: string): Promise<number> {
  const text = await (await fetch(`${instance}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('mayfly_sockets{kind="live"} '));
  return Number(line?.split(' ')[1] ?? 0);
}

describe.skipIf(!ready)('browser: chatting through the balancer', () => {
  let browser: Browser;
  let cluster: Cluster | null = null;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const ctx of contexts.splice(0)) await ctx.close();
    await cluster?.stop();
    cluster = null;
  });

  const newPage = (width: number, height: number) => watchedPage(browser, contexts, problems, { context: { viewport: { width, height } } });

  for (const [name, env] of balancers) {
    test(`${name}: two people on different instances chat; links and sockets use the balancer's origin`, async () => {
      cluster = await startCluster(2, env);
      const { origin, instances } = cluster;

      const ann = await newPage(1280, 800);
      const zoe = await newPage(390, 844);
      const link = await createInLobby(ann, origin, 'Across instances', 'ann');
      // the link a person copies is the balancer's, whichever instance made the page
      expect(link.startsWith(`${origin}/rooms/`)).toBe(true);
      expect(await ann.locator('#room-link').inputValue()).toBe(link);
      await joinByLink(zoe, link, 'zoë');

      // Round robin decides where each socket lands: reload until the two sit on different instances.
      for (let tries = 0; ; tries++) {
        const counts = await Promise.all(instances.map(liveSockets));
        if (counts[0] === 1 && counts[1] === 1) break;
        expect(tries).toBeLessThan(10);
        await zoe.reload();
        await zoe.waitForSelector('#room[data-live="open"]', { timeout: WAIT });
        await Bun.sleep(100);
      }

      await send(ann, 'hello from instance one');
      await eventually(async () => expect(await bodies(zoe)).toContain('hello from instance one'));
      await send(zoe, 'and hello back 🦋');
      await eventually(async () => expect(await bodies(ann)).toEqual(['hello from instance one', 'and hello back 🦋']));
      expect(await zoe.locator('#room').getAttribute('data-live')).toBe('open');
      expect(await ann.locator('#room').getAttribute('data-live')).toBe('open');
      await ann.screenshot({ path: `test-results/cluster-${env.NO_NGINX ? 'bun' : 'nginx'}-1280.png` });
      await zoe.screenshot({ path: `test-results/cluster-${env.NO_NGINX ? 'bun' : 'nginx'}-390.png` });
      expect(problems.filter((p) => !/WebSocket|Failed to load resource/.test(p))).toEqual([]);
    }, 60_000);
  }
});

test('the nginx configs log no query strings (socket URLs carry ?token=)', async () => {
  for (const file of ['deploy/nginx.conf', 'deploy/nginx.docker.conf']) {
    const conf = await Bun.file(new URL(`../../${file}`, import.meta.url)).text();
    const format = conf.match(/log_format\s+mayfly\s+([^;]+);/)?.[1] ?? '';
    expect(format, file).toContain('$uri');
    expect(format, file).not.toMatch(/\$request\b|\$request_uri|\$args|\$query_string/);
    expect(conf, file).toMatch(/access_log\s+\S+\s+mayfly;/);
    // the Host keeps its port, so instances recognise the browser's Origin
    expect(conf, file).toContain('proxy_set_header Host $http_host;');
  }
});
