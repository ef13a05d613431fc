// Browser and terminal client together in an end-to-end encrypted room (issue 15): a person creates the
// room in the lobby (the link carries #k=…), the terminal client opens that same link; each reads the
// other's plain text, and the server keeps envelopes only.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { bodies, eventually, launchBrowser, send, WAIT, waitLive, watchedPage } from '../helpers/browser.ts';
import { killChats, READY, spawnChat } from '../helpers/chat.ts';
import { need } from '../helpers/requirements.ts';
import { joinRoom, startTestServer, type TestServer } from '../helpers/server.ts';

const TEST_MS = 40_000;
const ENVELOPE = /^e2e1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/;

describe.skipIf(!need('chromium'))('browser and terminal client in an end-to-end encrypted room', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    killChats();
    for (const ctx of contexts.splice(0)) await ctx.close().catch(() => {});
    expect(problems.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop?.();
  }, TEST_MS);

  test(
    'a person in Chromium and the terminal client exchange messages both ways, each reading plain text',
    async () => {
      const ann = await watchedPage(browser, contexts, problems);
      await ann.goto(`${server.origin}/`);
      await ann.getByLabel('Room name').fill('Mill meeting 🦋');
      await ann.getByLabel('Your name').fill('ann');
      await ann.getByLabel('End-to-end encrypted').check();
      await ann.getByRole('button', { name: 'Create room' }).click();
      await ann.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}#k=[A-Za-z0-9_-]{43}$/, { timeout: WAIT });
      await waitLive(ann);
      const link = await ann.locator('#room-link').inputValue();
      expect(link).toMatch(/#k=[A-Za-z0-9_-]{43}$/);
      const id = link.match(/\/rooms\/([A-Za-z0-9_-]{21})/)![1]!;
      const key = link.split('#k=')[1]!;

      await send(ann, 'before you came');
      const cli = spawnChat([link, '--name', 'bob']);
      await cli.waitOut(READY, 10_000);
      expect(cli.out()).toContain('Joined “Mill meeting 🦋” (end-to-end encrypted) as bob.');
      expect(cli.out()).toMatch(/\[\d\d:\d\d\] ann: before you came\n/);

      // Browser → terminal.
      await send(ann, 'meet at the old mill, 9pm — bring the 🗝️');
      await cli.waitOut(/\[\d\d:\d\d\] ann: meet at the old mill, 9pm — bring the 🗝️\n/);
      // Terminal → browser (and its own echo in the terminal).
      cli.send('on my way, see https://example.com/map');
      await cli.waitOut('bob: on my way, see https://example.com/map\n');
      await eventually(async () =>
        expect(await bodies(ann)).toEqual([
          'before you came',
          'meet at the old mill, 9pm — bring the 🗝️',
          'on my way, see https://example.com/map',
        ]),
      );
      expect(await ann.locator('#messages .body a').getAttribute('href')).toBe('https://example.com/map');
      expect((await ann.locator('#chat-error').textContent())?.trim()).toBe('');

      // A browser that opens the link afterwards reads the terminal's message from the history.
      const carol = await watchedPage(browser, contexts, problems);
      await carol.goto(link);
      await carol.getByLabel('Your name').fill('carol');
      await carol.getByRole('button', { name: 'Join' }).click();
      await waitLive(carol);
      await eventually(async () => expect(await bodies(carol)).toContain('on my way, see https://example.com/map'));
      await cli.waitOut('* carol joined\n');

      // The server holds envelopes only.
      const auditor = await joinRoom(server.origin, id, 'auditor');
      const res = await fetch(`${server.origin}/rooms/${id}/messages`, { headers: { authorization: `Bearer ${auditor.token}` } });
      const kept = ((await res.json()) as { messages: Array<{ content: string }> }).messages.map((m) => m.content);
      expect(kept).toHaveLength(3);
      for (const c of kept) expect(c).toMatch(ENVELOPE);
      expect(kept.join(' ')).not.toMatch(/mill|my way/);

      cli.send('/quit');
      expect(await cli.exit()).toBe(0);
      expect(cli.out() + cli.err()).not.toContain(key);
    },
    TEST_MS,
  );
});
