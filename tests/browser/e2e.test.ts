// Browser: end-to-end encrypted rooms (issue 15). The key stays in the link's fragment; the pages open and
// seal every text in place; the server (and anyone without the key) sees envelopes only.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { bodies, eventually, launchBrowser, send, setHidden, WAIT, waitLive, watchedPage } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TEST_MS = 40_000;
const SHOTS = process.env.SHOTS_DIR ?? 'test-results';
const ENVELOPE = /^e2e1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/;

describe.skipIf(!need('chromium'))('browser: end-to-end encrypted rooms', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const newPage = (context: BrowserContextOptions = {}) => watchedPage(browser, contexts, problems, { context });

  beforeAll(async () => {
    server = await startTestServer();
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

  /** ann creates an encrypted room in the lobby; the full link (with #k=) as the page shows it. */
  async function createEncrypted(page: Page, name: string): Promise<string> {
    await page.goto(`${server.origin}/`);
    await page.getByLabel('Room name').fill(name);
    await page.getByLabel('Your name').fill('ann');
    await page.getByLabel('End-to-end encrypted').check();
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}#k=[A-Za-z0-9_-]{43}$/, { timeout: WAIT });
    await waitLive(page);
    return page.locator('#room-link').inputValue();
  }

  async function join(page: Page, link: string, name: string) {
    await page.goto(link);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Join' }).click();
    await page.waitForSelector('#messages');
  }

  /** What the server keeps of the room's messages (the API, with a member's token). */
  async function stored(id: string): Promise<string[]> {
    const joined = (await (
      await fetch(`${server.origin}/rooms/${id}/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `auditor${Math.floor(Math.random() * 1e6)}` }),
      })
    ).json()) as { token: string };
    const res = await fetch(`${server.origin}/rooms/${id}/messages`, { headers: { authorization: `Bearer ${joined.token}` } });
    return ((await res.json()) as { messages: Array<{ content: string }> }).messages.map((m) => m.content);
  }

  test(
    'two people chat and both read plain text; the server holds envelopes; a reload and a reconnect open everything',
    async () => {
      const ann = await newPage({ viewport: { width: 1280, height: 800 } });
      const link = await createEncrypted(ann, 'Secret plans 🦋');
      expect(link).toMatch(/#k=[A-Za-z0-9_-]{43}$/);
      const id = link.match(/\/rooms\/([A-Za-z0-9_-]{21})/)![1]!;
      await eventually(async () => expect(await ann.locator('#room h1').textContent()).toBe('Secret plans 🦋'));
      await eventually(async () => expect(await ann.title()).toBe('Secret plans 🦋 · mayfly'));

      // The room's JSON shows an envelope for a name, and says it is encrypted.
      const json = (await (await fetch(`${server.origin}/rooms/${id}`, { headers: { accept: 'application/json' } })).json()) as any;
      expect(json.e2e).toBe(true);
      expect(json.name).toMatch(ENVELOPE);

      const bob = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await join(bob, link, 'bob');
      await waitLive(bob);
      await eventually(async () => expect(await bob.locator('#room h1').textContent()).toBe('Secret plans 🦋'));
      expect(await bob.locator('#room-link').inputValue()).toBe(link);

      await send(ann, 'meet at the old mill, 9pm');
      await eventually(async () => expect(await bodies(bob)).toEqual(['meet at the old mill, 9pm']));
      await send(bob, 'see https://example.com/map — bring the 🗝️');
      await eventually(async () =>
        expect(await bodies(ann)).toEqual(['meet at the old mill, 9pm', 'see https://example.com/map — bring the 🗝️']),
      );
      expect(await ann.locator('#messages .body a').getAttribute('href')).toBe('https://example.com/map');
      // ann's own message is hers (styled as such), and nothing came back as refused.
      expect(await ann.locator('#messages li.msg.mine').count()).toBe(1);
      expect((await ann.locator('#chat-error').textContent())?.trim()).toBe('');

      const kept = await stored(id);
      expect(kept).toHaveLength(2);
      for (const c of kept) expect(c).toMatch(ENVELOPE);
      expect(kept.join(' ')).not.toContain('mill');

      // A reload opens the history; a dropped socket's catch-up is opened too.
      await bob.reload();
      await waitLive(bob);
      await eventually(async () =>
        expect(await bodies(bob)).toEqual(['meet at the old mill, 9pm', 'see https://example.com/map — bring the 🗝️']),
      );
      await setHidden(bob, true); // a tab in the background: htmx closes its socket
      await bob.waitForSelector('#room[data-live="closed"]', { timeout: WAIT });
      await send(ann, 'sent while bob was away');
      await setHidden(bob, false); // back: the socket reopens and catches up
      await eventually(async () => expect(await bodies(bob)).toContain('sent while bob was away'), WAIT + 5000);
      expect((await bodies(bob)).filter((b) => b === 'sent while bob was away')).toHaveLength(1);
      await ann.screenshot({ path: `${SHOTS}/e2e-1280.png` });
      await bob.screenshot({ path: `${SHOTS}/e2e-390.png` });
    },
    TEST_MS,
  );

  test(
    'without the key: a notice and a field for the full link, no text; with a wrong key: "cannot be decrypted", never garbage',
    async () => {
      const ann = await newPage();
      const link = await createEncrypted(ann, 'Keyed');
      await send(ann, 'only for the key holders');
      const bare = link.split('#')[0]!;

      const carol = await newPage();
      await join(carol, bare, 'carol');
      await expect(carol.locator('#e2e-missing').textContent()).resolves.toContain('open the full link');
      expect(await carol.locator('#room h1').textContent()).toBe('Encrypted room');
      expect(await bodies(carol)).toEqual(['Encrypted message']);
      expect(await carol.content()).not.toContain('only for the key holders');
      // Writing without the key sends nothing.
      await carol.getByLabel('Message').fill('plain words');
      await carol.getByRole('button', { name: 'Send' }).click();
      await eventually(async () => expect(await carol.locator('#chat-error').textContent()).toContain('open the full link'));
      await carol.screenshot({ path: `${SHOTS}/e2e-nokey-1280.png` });
      // Pasting the full link opens the room.
      await carol.getByLabel('Paste the full link').fill(link);
      await carol.getByRole('button', { name: 'Open' }).click();
      await eventually(async () => expect(await bodies(carol)).toEqual(['only for the key holders']), WAIT + 3000);

      const dave = await newPage();
      const wrong = `${bare}#k=${'A'.repeat(42)}Q`;
      await join(dave, wrong, 'dave');
      await eventually(async () => expect(await bodies(dave)).toEqual(['This message cannot be decrypted (wrong key?)']));
      expect(await dave.locator('#room h1').textContent()).toBe('Encrypted room (cannot be decrypted)');
    },
    TEST_MS,
  );

  test(
    'without JavaScript an encrypted room says it needs JavaScript and offers no composer; the lobby offers no encryption',
    async () => {
      const ann = await newPage();
      const link = await createEncrypted(ann, 'Scripted');
      const eve = await newPage({ javaScriptEnabled: false });
      await eve.goto(`${server.origin}/`);
      expect(await eve.getByLabel('End-to-end encrypted').isVisible()).toBe(false);
      await eve.goto(link);
      expect(await eve.getByText('reading and writing in it need JavaScript').isVisible()).toBe(true);
      await eve.getByLabel('Your name').fill('eve');
      await eve.getByRole('button', { name: 'Join' }).click();
      await eve.waitForSelector('#room');
      expect(await eve.getByText('reading and writing in it need JavaScript').isVisible()).toBe(true);
      expect(await eve.locator('#composer').isVisible()).toBe(false);
    },
    TEST_MS,
  );
});
