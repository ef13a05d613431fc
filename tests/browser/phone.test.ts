// Browser: the pages on a phone and on a desktop, with and without JavaScript, with the longest names there are.
// No page scrolls sideways; without JavaScript the chat opens at the newest message and destroy asks on a page;
// the ended state is one clear state. Screenshots go to SHOTS_DIR (default /tmp/shots-ui-server) for a person to look at.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, launchBrowser, WAIT, waitLive } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots-ui-server';
const TEST_MS = 30_000;
const LONG_NAME = 'W'.repeat(32);
const LONG_ROOM = 'M'.repeat(80);
const LONG_WORD = `${'x'.repeat(300)} https://example.com/${'y'.repeat(200)}`;

const VIEWPORTS = [
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
  { name: 'desktop', viewport: { width: 1280, height: 800 }, isMobile: false },
] as const;

describe.skipIf(!need('chromium'))('browser: phones, no JavaScript, long names', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.stop?.();
  });

  const open = async (vp: (typeof VIEWPORTS)[number], opts: { js?: boolean; dark?: boolean } = {}): Promise<Page> => {
    const ctx = await browser.newContext({
      viewport: vp.viewport,
      isMobile: vp.isMobile,
      hasTouch: vp.isMobile,
      colorScheme: opts.dark ? 'dark' : 'light',
      javaScriptEnabled: opts.js ?? true,
      deviceScaleFactor: 1,
    });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    return page;
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  // On a phone the layout viewport grows to fit wide content, so the width is checked against the device's.
  const noSideways = async (page: Page, what: string) => {
    const width = page.viewportSize()!.width;
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(`${what}: ${sw} ${iw}`).toBe(`${what}: ${Math.min(sw, width)} ${Math.min(iw, width)}`);
  };

  for (const vp of VIEWPORTS) {
    for (const js of [true, false]) {
      test(
        `${vp.name}, JavaScript ${js ? 'on' : 'off'}: no page scrolls sideways with the longest names`,
        async () => {
          const tag = `${vp.name}-${js ? 'js' : 'nojs'}`;
          const alice = await open(vp, { js, dark: !js });
          await alice.goto(`${server.origin}/`);
          // autofocus applies at a rendering step that may come just after the load event
          await eventually(async () => expect(await alice.evaluate(() => document.activeElement?.id)).toBe('room-name'));
          await noSideways(alice, 'lobby');
          await shot(alice, `lobby-${tag}`);
          await alice.getByLabel('Room name').fill(LONG_ROOM);
          await alice.getByLabel('Your name').fill(LONG_NAME);
          await alice.getByRole('button', { name: 'Create room' }).click();
          await alice.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}$/);
          if (js) await waitLive(alice);
          // autofocus applies at a rendering step that may come just after the load event
          await eventually(async () => expect(await alice.evaluate(() => document.activeElement?.id)).toBe('content'));
          const link = alice.url();

          const bob = await open(vp, { js, dark: js });
          await bob.goto(link);
          await noSideways(bob, 'join');
          await shot(bob, `join-${tag}`);
          await bob.getByLabel('Your name').fill(`B${'b'.repeat(31)}`);
          await bob.getByRole('button', { name: 'Join' }).click();
          await bob.waitForSelector('#messages');
          if (js) await waitLive(bob);

          if (js) {
            // Only a join notice so far: "No messages yet" is gone already.
            await alice.locator('#messages li.notice', { hasText: 'joined' }).waitFor();
            expect(await alice.getByText('No messages yet').isVisible()).toBe(false);
          }
          for (let i = 0; i < 12; i++) {
            await bob.getByLabel('Message').fill(i === 11 ? LONG_WORD : `message number ${i}`);
            await bob.getByRole('button', { name: 'Send' }).click();
            if (js) await eventually(async () => expect(await bob.getByLabel('Message').inputValue()).toBe(''));
            else await bob.waitForURL(/#latest$/);
          }
          await eventually(async () => expect(await bob.locator('#messages li.msg').count()).toBe(12));
          if (!js) await bob.reload();
          // The newest message is in view, without JavaScript too.
          await eventually(async () => expect(await bob.locator('#messages li.msg').last().isVisible()).toBe(true));
          await eventually(async () => {
            // The newest message is inside the box that scrolls (the list with JavaScript, its wrapper without).
            const inView = await bob.evaluate(() => {
              const all = document.querySelectorAll('#messages li.msg');
              const last = all[all.length - 1]!.getBoundingClientRect();
              const boxEl = getComputedStyle(document.querySelector('.scroller')!).overflowY === 'auto' ? '.scroller' : '#messages';
              const box = document.querySelector(boxEl)!.getBoundingClientRect();
              return last.bottom <= box.bottom + 1 && last.bottom > box.top;
            });
            expect(inView).toBe(true);
          });
          await noSideways(bob, 'room');
          expect(await bob.locator('#room-link').isVisible()).toBe(true);
          expect(
            await bob
              .locator('.messages > .empty')
              .isVisible()
              .catch(() => false),
          ).toBe(false);
          await shot(bob, `room-${tag}`);

          await alice.reload();
          if (js) await waitLive(alice);
          await noSideways(alice, 'owner room');
          // Exactly one Destroy control is there: the form with JavaScript, the link to the confirm page without.
          const destroy = alice.getByRole(js ? 'button' : 'link', { name: 'Destroy room' });
          expect(await destroy.count()).toBe(1);
          expect(await destroy.isVisible()).toBe(true);
          await shot(alice, `room-owner-${tag}`);
          await alice.getByText('Show QR code').click();
          expect(await alice.getByRole('img', { name: 'QR code of the room link' }).isVisible()).toBe(true);
          await noSideways(alice, 'room with the QR code open');
          await shot(alice, `room-qr-${tag}`);

          if (js) {
            alice.once('dialog', (d) => void d.accept());
            await destroy.click();
            await alice.waitForURL(/ended=destroyed/);
            // The ended state: no messages, no people, the tab says so.
            await bob.getByRole('status').filter({ hasText: 'The owner destroyed this room' }).waitFor();
            await eventually(async () => expect(await bob.title()).toBe('Room ended · mayfly'));
            expect(await bob.locator('#messages li.msg').count()).toBe(0);
            expect(await bob.locator('#members li').count()).toBe(0);
            await shot(bob, `room-ended-${tag}`);
          } else {
            await destroy.click();
            await alice.waitForURL(/\/destroy$/);
            await alice.getByRole('heading', { name: 'Destroy this room?' }).waitFor();
            await alice.getByText('Everything in it is gone, for everyone.').waitFor();
            await noSideways(alice, 'confirm');
            await shot(alice, `confirm-destroy-${tag}`);
            await alice.getByRole('button', { name: 'Destroy room' }).click();
            await alice.waitForURL(/ended=destroyed/);
          }
          await bob.reload();
          await noSideways(bob, 'gone');
          await shot(bob, `gone-${tag}`);
        },
        TEST_MS,
      );
    }
  }
});
