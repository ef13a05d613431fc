// Browser: the owner's controls (issue 14) as people use them: lock, more time, remove someone, approve who
// joins, hand the room over. Owner and members in separate contexts; with JavaScript, and as plain forms without.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { bodies, createInLobby, eventually, joinByLink, launchBrowser, send, WAIT, waitLive, watchedPage } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TEST_MS = 40_000;
const SHOTS = process.env.SHOTS_DIR ?? 'test-results';

const notices = async (page: Page) => (await page.locator('#messages li.notice > span').allTextContents()).map((t) => t.trim());
const expiresAt = async (page: Page) => Number(await page.locator('#countdown').getAttribute('data-expires-at'));

describe.skipIf(!need('chromium'))('browser: the owner controls the room', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const newPage = (context: BrowserContextOptions = {}) => watchedPage(browser, contexts, problems, { context, acceptConfirm: () => true });
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

  beforeAll(async () => {
    server = await startTestServer({ MAX_EXPIRY_SECONDS: '7200' });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    for (const ctx of contexts.splice(0)) await ctx.close().catch(() => {});
    expect(problems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop?.();
  }, TEST_MS);

  test(
    'lock, add time and remove someone: everyone sees it live; the removed person is out for good',
    async () => {
      const ann = await newPage({ viewport: { width: 1280, height: 800 } });
      const bob = await newPage(phone);
      const cat = await newPage();
      const link = await createInLobby(ann, server.origin, 'Owner at work', 'ann');
      await joinByLink(bob, link, 'bob');
      await joinByLink(cat, link, 'cat');
      await eventually(async () => expect(await ann.locator('#members li').count()).toBe(3));

      // Only the owner sees the controls; nobody sees them beside their own name.
      expect(await ann.locator('.owner-panel').isVisible()).toBe(true);
      expect(await bob.locator('.owner-panel').count()).toBe(0);
      expect(await bob.getByRole('button', { name: 'Remove cat' }).isVisible()).toBe(false);
      expect(await ann.locator('#members li[data-name="ann"] .member-actions').isVisible()).toBe(false);
      expect(await ann.getByRole('button', { name: 'Remove bob' }).isVisible()).toBe(true);

      // Lock: the badge shows for everyone; a newcomer gets a clear page; members keep chatting.
      await ann.getByText('Owner controls', { exact: true }).click();
      await ann.getByRole('button', { name: 'Lock the room' }).click();
      await eventually(async () => expect(await bob.locator('#lock-state').isVisible()).toBe(true));
      await eventually(async () => expect(await ann.getByRole('button', { name: 'Unlock the room' }).isVisible()).toBe(true));
      expect(await notices(bob)).toContain('The owner locked the room: nobody new can join.');
      const dan = await newPage();
      const locked = await dan.goto(link);
      expect(locked?.status()).toBe(423);
      expect(await dan.locator('h1').textContent()).toBe('This room is locked');
      await send(bob, 'still here while locked');
      await eventually(async () => expect(await bodies(ann)).toContain('still here while locked'));
      await ann.getByRole('button', { name: 'Unlock the room' }).click();
      await eventually(async () => expect(await bob.locator('#lock-state').isVisible()).toBe(false));
      await joinByLink(dan, link, 'dan');

      // More time: every countdown moves.
      const before = await expiresAt(bob);
      await ann.getByLabel('Add time').selectOption('1800');
      await ann.getByRole('button', { name: 'Add', exact: true }).click();
      await eventually(async () => expect(await expiresAt(bob)).toBe(before + 1800_000));
      await eventually(async () => expect(await expiresAt(ann)).toBe(before + 1800_000));
      expect((await notices(cat)).some((n) => n.startsWith('The owner added time'))).toBe(true);
      expect(await bob.locator('#countdown').textContent()).toMatch(/^0h 39m|^0h 40m|^40:00|^39:5\d/);

      // Remove cat: her page says so at once, the others see her go, and her name cannot come back.
      await ann.getByRole('button', { name: 'Remove cat' }).click();
      await eventually(async () => expect(await cat.locator('#composer').textContent()).toContain('The owner removed you from this room.'));
      expect(await cat.locator('#room').getAttribute('data-live')).toBe('closed');
      await eventually(async () => expect(await notices(bob)).toContain('cat was removed by the owner'));
      await eventually(async () => expect(await bob.locator('#members li .member-name').allTextContents()).not.toContain('cat'));
      await cat.goto(link);
      await cat.getByLabel('Your name').fill('CAT');
      await cat.getByRole('button', { name: 'Join' }).click();
      await eventually(async () =>
        expect(await cat.locator('.alert').textContent()).toContain('The owner removed that name from this room.'),
      );
      await ann.screenshot({ path: `${SHOTS}/owner-1280.png` });
      await bob.screenshot({ path: `${SHOTS}/owner-member-390.png` });
    },
    TEST_MS,
  );

  test(
    'approve who joins: a newcomer waits, the owner lets one in and turns one away',
    async () => {
      const ann = await newPage({ viewport: { width: 1280, height: 800 } });
      const link = await createInLobby(ann, server.origin, 'Door with a host', 'ann');
      await ann.getByText('Owner controls', { exact: true }).click();
      await ann.getByRole('button', { name: 'Approve each join' }).click();
      await eventually(async () => expect(await ann.getByRole('button', { name: 'Let people in freely' }).isVisible()).toBe(true));

      const eve = await newPage(phone);
      await eve.goto(link);
      await eve.getByLabel('Your name').fill('eve');
      await eve.getByRole('button', { name: 'Ask to join' }).click();
      await eve.waitForSelector('#waiting');
      expect(await eve.locator('h1').textContent()).toBe('Waiting for the owner');

      const fay = await newPage();
      await fay.goto(link);
      await fay.getByLabel('Your name').fill('fay');
      await fay.getByRole('button', { name: 'Ask to join' }).click();
      await fay.waitForSelector('#waiting');

      // The owner sees both, live, and answers.
      await eventually(async () =>
        expect(await ann.locator('#requests li.request .request-name').allTextContents()).toEqual(['eve', 'fay']),
      );
      await ann.screenshot({ path: `${SHOTS}/owner-requests-1280.png` });
      await ann.getByRole('button', { name: 'Let eve in' }).click();
      await ann.getByRole('button', { name: 'Turn fay away' }).click();
      await eventually(async () => expect(await ann.locator('#requests li.request').count()).toBe(0));

      // eve's waiting page opens the room by itself; fay's says no.
      await eve.waitForSelector('#room', { timeout: WAIT + 3000 });
      await waitLive(eve);
      await send(eve, 'thanks for letting me in');
      await eventually(async () => expect(await bodies(ann)).toContain('thanks for letting me in'));
      await fay.waitForSelector('text=The owner did not let you in', { timeout: WAIT + 3000 });
      await eve.screenshot({ path: `${SHOTS}/owner-approved-390.png` });
    },
    TEST_MS,
  );

  test(
    'hand over: the new owner gets the controls, the old one loses them; an owner who leaves passes the room on',
    async () => {
      const ann = await newPage();
      const bob = await newPage();
      const cat = await newPage();
      const link = await createInLobby(ann, server.origin, 'Passing it on', 'ann');
      await joinByLink(bob, link, 'bob');
      await joinByLink(cat, link, 'cat');
      await eventually(async () => expect(await ann.locator('#members li').count()).toBe(3));

      await ann.getByRole('button', { name: 'Make bob the owner' }).click();
      await eventually(async () => expect(await bob.locator('.owner-panel').count()).toBe(1), WAIT + 3000);
      await waitLive(bob);
      await eventually(async () => expect(await ann.locator('.owner-panel').count()).toBe(0), WAIT + 3000);
      await waitLive(ann);
      expect(await cat.locator('#owner-name').textContent()).toBe('bob');
      expect(await notices(cat)).toContain('ann made bob the owner.');

      // bob leaves (asked first): ann, here the longest after him, owns the room again.
      await bob.goto(`${link}/leave`);
      expect(await bob.locator('.confirm p').first().textContent()).toContain('ann (here the longest) becomes its owner');
      await bob.getByRole('button', { name: 'Leave' }).click();
      await bob.waitForURL(/\/\?ended=left$/);
      await eventually(async () => expect(await ann.locator('.owner-panel').count()).toBe(1), WAIT + 3000);
      await eventually(async () => expect(await notices(cat)).toContain('bob left: ann is the owner now.'));
    },
    TEST_MS,
  );

  test(
    'without JavaScript every control is a plain form: lock, add time, remove, approve',
    async () => {
      const ann = await newPage({ javaScriptEnabled: false });
      const bob = await newPage({ javaScriptEnabled: false });
      await ann.goto(`${server.origin}/`);
      await ann.getByLabel('Room name').fill('No script');
      await ann.getByLabel('Your name').fill('ann');
      await ann.getByLabel('Approve each person who joins').check();
      await ann.getByRole('button', { name: 'Create room' }).click();
      await ann.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}$/);
      const link = ann.url();

      await bob.goto(link);
      await bob.getByLabel('Your name').fill('bob');
      await bob.getByRole('button', { name: 'Ask to join' }).click();
      expect(await bob.locator('h1').textContent()).toBe('Waiting for the owner');

      await ann.reload();
      await ann.getByRole('button', { name: 'Let bob in' }).click();
      await ann.waitForURL(/#latest$/);
      expect(await ann.locator('#members li .member-name').allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining('bob')]),
      );
      await bob.getByRole('link', { name: 'Check again' }).click();
      expect(await bob.locator('#room').count()).toBe(1);

      await ann.getByText('Owner controls', { exact: true }).click();
      await ann.getByRole('button', { name: 'Lock the room' }).click();
      await ann.getByText('Owner controls', { exact: true }).click();
      expect(await ann.locator('#lock-state').isVisible()).toBe(true);
      expect(await ann.getByRole('button', { name: 'Unlock the room' }).isVisible()).toBe(true);
      const before = await expiresAt(ann);
      await ann.getByLabel('Add time').selectOption('600');
      await ann.getByRole('button', { name: 'Add', exact: true }).click();
      expect(await expiresAt(ann)).toBe(before + 600_000);

      await ann.getByRole('button', { name: 'Remove bob' }).click();
      expect(await ann.locator('#members li .member-name').allTextContents()).not.toContain('bob');
      await bob.reload();
      expect(await bob.locator('#room').count()).toBe(0);
      // Removed from a locked room: the page says it is locked.
      expect(await bob.locator('h1').textContent()).toBe('This room is locked');
      await ann.screenshot({ path: `${SHOTS}/owner-nojs-1280.png`, fullPage: true });
    },
    TEST_MS,
  );
});
