// Browser end-to-end: two people chat live, history on arrival, HTML stays text, reconnect without duplicates.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  bodies,
  createInLobby,
  eventually,
  joinByLink,
  launchBrowser,
  send,
  setHidden,
  texts,
  WAIT,
  waitLive,
  watchedPage,
} from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Per test: several page loads and live round trips. */
const TEST_MS = 20_000;

describe.skipIf(!need('chromium'))('browser: chatting', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Script errors, CSP violations and dialogs seen by any page: none are expected. */
  const problems: string[] = [];
  /** Console errors a test expects (reset after each test). */
  let expectedConsole: RegExp | null = null;
  const newPage = () => watchedPage(browser, contexts, problems, { expectConsole: () => expectedConsole });

  beforeAll(async () => {
    server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3' });
    browser = await launchBrowser();
  });

  afterEach(() => {
    expectedConsole = null;
    const seen = problems.splice(0);
    expect(seen).toEqual([]);
  });

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.stop?.();
  }, TEST_MS);

  test(
    'two people chat live: messages, members, typing, join notice',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Lunch plans', 'alice');
      expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice']);

      await joinByLink(bob, link, 'bob');
      expect(await bob.getByRole('heading', { level: 1 }).textContent()).toBe('Lunch plans');

      // bob's arrival shows on both sides, live for alice, with a join notice.
      await eventually(async () => expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob']));
      expect(await alice.locator('#member-count').textContent()).toBe('2');
      expect(await texts(bob.locator('#members li .member-name'))).toEqual(['alice', 'bob']);
      await alice.locator('#messages li.notice', { hasText: 'bob joined' }).waitFor();

      // bob types: alice sees it, bob does not see himself typing.
      await bob.getByLabel('Message').pressSequentially('hel', { delay: 30 });
      await eventually(async () => expect(await alice.locator('#typing').textContent()).toBe('bob is typing…'));
      expect(await bob.locator('#typing').textContent()).toBe('');
      await bob.getByLabel('Message').fill('');

      await send(alice, 'hello bob');
      const onBob = bob.locator('#messages li.msg', { hasText: 'hello bob' });
      await onBob.waitFor();
      expect(await onBob.locator('.who').textContent()).toBe('alice');
      expect(await onBob.locator('time').textContent()).toMatch(/^\d\d:\d\d$/);
      expect(await onBob.getAttribute('class')).not.toMatch(/\bmine\b/);
      expect(await alice.locator('#messages li.msg', { hasText: 'hello bob' }).getAttribute('class')).toMatch(/\bmine\b/);

      await send(bob, 'hi alice');
      const onAlice = alice.locator('#messages li.msg', { hasText: 'hi alice' });
      await onAlice.waitFor();
      expect(await onAlice.locator('.who').textContent()).toBe('bob');
      expect(await onAlice.getAttribute('class')).not.toMatch(/\bmine\b/);
      await eventually(async () =>
        expect(await bob.locator('#messages li.msg', { hasText: 'hi alice' }).getAttribute('class')).toMatch(/\bmine\b/),
      );
      // bob's message ends his typing notice.
      await eventually(async () => expect(await alice.locator('#typing').textContent()).toBe(''));

      // Copy link puts the room's address on the clipboard.
      await alice.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
      await alice.getByRole('button', { name: 'Copy link' }).click();
      await eventually(async () => expect(await alice.evaluate(() => navigator.clipboard.readText())).toBe(link));
      expect(await alice.locator('#copy-link').textContent()).toBe('Copied!');

      // Enter sends too; every message appears once, in order, on both sides.
      await bob.getByLabel('Message').fill('via enter');
      await bob.getByLabel('Message').press('Enter');
      await eventually(async () => expect(await bodies(alice)).toEqual(['hello bob', 'hi alice', 'via enter']));
      await eventually(async () => expect(await bodies(bob)).toEqual(['hello bob', 'hi alice', 'via enter']));
    },
    TEST_MS,
  );

  test(
    'history on arrival: a newcomer sees what was said before',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const carol = await newPage();
      const link = await createInLobby(alice, server.origin, 'Book club', 'alice');
      await joinByLink(bob, link, 'bob');
      await send(alice, 'first');
      await send(bob, 'second');
      await send(alice, 'third');
      await eventually(async () => expect(await bodies(bob)).toEqual(['first', 'second', 'third']));

      await joinByLink(carol, link, 'carol');
      expect(await bodies(carol)).toEqual(['first', 'second', 'third']);
      expect(await texts(carol.locator('#messages li.msg .who'))).toEqual(['alice', 'bob', 'alice']);
      expect(await carol.locator('#messages li.msg.mine').count()).toBe(0);
      expect(await carol.locator('#messages li.empty').count()).toBe(0);
      await eventually(async () => expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob', 'carol']));

      // And the newcomer is live too.
      await send(bob, 'welcome carol');
      await eventually(async () => expect(await bodies(carol)).toEqual(['first', 'second', 'third', 'welcome carol']));
    },
    TEST_MS,
  );

  test(
    'a message containing HTML shows as text, never as markup',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Markup', 'alice');
      await joinByLink(bob, link, 'bob');
      const evil = '<img src=x onerror=alert(1)><b>hi</b>';
      await send(bob, evil);

      const check = async (page: Page) => {
        const item = page.locator('#messages li.msg', { hasText: 'onerror' });
        await item.waitFor();
        expect((await item.locator('.body').textContent())?.trim()).toBe(evil);
        expect(await page.locator('#messages img').count()).toBe(0);
        expect(await page.locator('#messages b').count()).toBe(0);
        expect(await item.locator('.body').isVisible()).toBe(true);
      };
      await check(alice); // arrived live over the socket
      await check(bob);
      await alice.reload();
      await waitLive(alice);
      await check(alice); // rendered into the page from history
      await Bun.sleep(200); // an onerror handler would have fired by now (the afterEach hook fails on dialogs)
    },
    TEST_MS,
  );

  test(
    'a dropped socket catches up without duplicates and without a leave/rejoin',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Flaky wifi', 'alice');
      await joinByLink(bob, link, 'bob');
      await send(alice, 'one');
      await send(bob, 'two');
      await eventually(async () => expect(await bodies(alice)).toEqual(['one', 'two']));
      const noticesBefore = await texts(bob.locator('#messages li.notice'));

      // alice's tab goes to the background: htmx closes her socket.
      await setHidden(alice, true);
      await alice.waitForSelector('#room[data-live="closed"]', { timeout: WAIT });

      await send(bob, 'three');
      await send(bob, 'four');
      await eventually(async () => expect(await bodies(bob)).toEqual(['one', 'two', 'three', 'four']));
      expect(await bodies(alice)).toEqual(['one', 'two']);

      await setHidden(alice, false);
      await waitLive(alice);
      await eventually(async () => expect(await bodies(alice)).toEqual(['one', 'two', 'three', 'four']));

      // Live again in both directions, still exactly once each.
      await send(alice, 'five');
      await send(bob, 'six');
      const all = ['one', 'two', 'three', 'four', 'five', 'six'];
      await eventually(async () => expect(await bodies(alice)).toEqual(all));
      await eventually(async () => expect(await bodies(bob)).toEqual(all));
      await Bun.sleep(300); // a late duplicate would land by now
      expect(await bodies(alice)).toEqual(all);
      expect(await bodies(bob)).toEqual(all);

      // Nobody saw alice leave and come back.
      expect(await texts(bob.locator('#messages li.notice'))).toEqual(noticesBefore);
      expect(await texts(bob.locator('#members li .member-name'))).toEqual(['alice', 'bob']);
      expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob']);
    },
    TEST_MS,
  );

  test(
    'a socket closed for good says so, and sending falls back to the plain form',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Lost line', 'alice');
      await joinByLink(bob, link, 'bob');
      // A close code htmx does not reconnect after (like 4429 or 4403 from the server).
      await alice.evaluate(() => (document.querySelector('[hx-ws\\:connect]') as any)._htmx.ws.connection.socket.close(4000, 'test'));
      await alice.waitForSelector('#room[data-live="closed"]');
      await eventually(async () => expect(await alice.locator('#conn-status').textContent()).toContain('reload'));

      expectedConsole = /htmx:ws:error: Connection not open/; // htmx logs the refused send before the fallback
      await alice.getByLabel('Message').fill('still here');
      const [res] = await Promise.all([
        alice.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/messages')),
        alice.getByRole('button', { name: 'Send' }).click(),
      ]);
      expect(res.status()).toBe(303);
      await waitLive(alice); // the page came back with a new socket
      expect(await bodies(alice)).toEqual(['still here']);
      expect(await alice.locator('#conn-status').textContent()).toBe('');
      await eventually(async () => expect(await bodies(bob)).toEqual(['still here']));
      await send(bob, 'welcome back');
      await eventually(async () => expect(await bodies(alice)).toEqual(['still here', 'welcome back']));
    },
    TEST_MS,
  );
});
