// Browser: screenshots of the pages at desktop and phone widths, light and dark, for a person to look at.
// They go to SHOTS_DIR (default /tmp/shots), never into the repository; nothing is asserted on the pixels.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, startTestServer, type TestServer } from '../helpers/server.ts';

const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots';
const WAIT = 5000;

const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, isMobile: false },
  { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
] as const;
const SCHEMES = ['light', 'dark'] as const;

describe.skipIf(!need('chromium'))('browser: screenshots', () => {
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

  const open = async (vp: (typeof VIEWPORTS)[number], scheme: (typeof SCHEMES)[number]): Promise<Page> => {
    const ctx = await browser.newContext({
      viewport: vp.viewport,
      isMobile: vp.isMobile,
      hasTouch: vp.isMobile,
      colorScheme: scheme,
      deviceScaleFactor: 1,
    });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    return page;
  };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  for (const vp of VIEWPORTS) {
    for (const scheme of SCHEMES) {
      test(`${vp.name} ${scheme}`, async () => {
        const tag = `${vp.name}-${scheme}`;
        const alice = await open(vp, scheme);
        const bob = await open(vp, scheme);

        await alice.goto(`${server.origin}/`);
        await shot(alice, `lobby-${tag}`);

        // A lobby form with errors (the server's validation, not the browser's).
        await alice.goto(`${server.origin}/`);
        await alice.getByLabel('Room name').evaluate((el) => el.removeAttribute('required'));
        await alice.getByLabel('Your name').evaluate((el) => el.removeAttribute('required'));
        await alice.getByRole('button', { name: 'Create room' }).click();
        await alice.getByRole('alert').first().waitFor();
        await shot(alice, `lobby-errors-${tag}`);

        await alice.goto(`${server.origin}/`);
        await alice.getByLabel('Room name').fill('Friday planning — the long weekend edition');
        await alice.getByLabel('Your name').fill('alice');
        await alice.getByRole('button', { name: 'Create room' }).click();
        await alice.waitForSelector('#room[data-live="open"]');
        const link = alice.url();

        await bob.goto(link);
        await shot(bob, `join-${tag}`);
        await bob.getByLabel('Your name').fill('bob');
        await bob.getByRole('button', { name: 'Join' }).click();
        await bob.waitForSelector('#room[data-live="open"]');

        const say = async (page: Page, text: string) => {
          await page.getByLabel('Message').fill(text);
          await page.getByRole('button', { name: 'Send' }).click();
          await page
            .locator('#messages li.msg.mine')
            .last()
            .filter({ hasText: text.slice(0, 20) })
            .waitFor();
        };
        await say(alice, 'Hi bob! Shall we meet on Friday?');
        await say(bob, 'Sure. Where?');
        await say(
          alice,
          'The usual place, 7pm.\nBring the map — and a long link: https://example.com/a/very/long/path/that/does/not/break/nicely/at/all/on/a/phone',
        );
        await say(bob, '<b>not bold</b> 👍 مرحبا');
        await bob.getByLabel('Message').pressSequentially('typing', { delay: 20 });
        await alice.locator('#typing', { hasText: 'typing' }).waitFor();
        await shot(alice, `room-${tag}`);
        await shot(bob, `room-bob-${tag}`);

        // A password join page, and the gone page.
        const locked = await createRoom(server.origin, { name: 'Hidden', owner_name: 'owner', password: 'pw' });
        await bob.goto(`${server.origin}/rooms/${locked.room_id}`);
        await bob.getByLabel('Your name').fill('bob');
        await bob.getByLabel('Password').fill('nope');
        await bob.getByRole('button', { name: 'Join' }).click();
        await bob.getByRole('alert').waitFor();
        await shot(bob, `join-password-error-${tag}`);

        // The owner destroys the room: bob's page afterwards, and the lobby the owner lands on.
        await bob.goto(link);
        await bob.waitForSelector('#room[data-live="open"]');
        alice.on('dialog', (d) => void d.accept());
        await alice.getByRole('button', { name: 'Destroy room' }).click();
        await bob.getByRole('status').filter({ hasText: 'destroyed' }).waitFor();
        await shot(bob, `room-ended-${tag}`);
        await alice.waitForURL(/ended=destroyed/);
        await shot(alice, `lobby-destroyed-${tag}`);
        expect((await bob.reload())?.status()).toBe(404);
        await shot(bob, `gone-${tag}`);
      }, 30_000);
    }
  }
});
