// Test helper: Debian's Chromium driven by playwright-core (no browser download).
import { expect } from 'bun:test';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Locator, type Page } from 'playwright-core';
import { CHROMIUM } from './requirements.ts';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** How long a browser test waits for one thing to show. */
export const WAIT = 5000;

/** Console errors every page may log: a socket that drops, a 4xx page load. */
const EXPECTED_CONSOLE = /WebSocket|Failed to load resource/;

export type WatchOptions = {
  context?: BrowserContextOptions;
  /** A page script to run before the app's (test stand-ins for browser features). */
  init?: () => void;
  /** Console errors the current test expects besides the usual ones. */
  expectConsole?: () => RegExp | null;
  /** Whether confirm() dialogs are accepted (any other dialog is a problem). */
  acceptConfirm?: () => boolean;
};

/**
 * A page in a context of its own (kept in `contexts`, for the suite to close), whose script errors,
 * unexpected console errors and dialogs are written to `problems`: a suite expects none.
 */
export async function watchedPage(
  browser: Browser,
  contexts: BrowserContext[],
  problems: string[],
  opts: WatchOptions = {},
): Promise<Page> {
  const ctx = await browser.newContext(opts.context);
  contexts.push(ctx);
  if (opts.init) await ctx.addInitScript(opts.init);
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' || EXPECTED_CONSOLE.test(m.text())) return;
    if (!opts.expectConsole?.()?.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    if (d.type() === 'confirm' && opts.acceptConfirm?.()) return void d.accept();
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return page;
}

/** Retries an assertion block until it passes or the time is up (then its last failure is thrown). */
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = WAIT): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await Bun.sleep(50);
    }
  }
}

/** Waits until the page's /live socket is open (app.js marks it on #room). */
export async function waitLive(page: Page): Promise<void> {
  await page.waitForSelector('#room[data-live="open"]', { timeout: WAIT });
}

/** Simulates the tab going to the background or coming back (htmx's pauseOnBackground closes and reopens the socket). */
export async function setHidden(page: Page, hidden: boolean) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

export const texts = async (loc: Locator) => (await loc.allTextContents()).map((t) => t.trim());
/** The message texts on a room page, in order. */
export const bodies = (page: Page) => texts(page.locator('#messages li.msg .body'));

/** A person in the lobby: creates a room and waits for its live socket; returns the room link. */
export async function createInLobby(page: Page, origin: string, room: string, owner: string): Promise<string> {
  await page.goto(`${origin}/`);
  await page.getByLabel('Room name').fill(room);
  await page.getByLabel('Your name').fill(owner);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}$/, { timeout: WAIT });
  await waitLive(page);
  return page.url();
}

/** A person opens a room link, picks a name, joins, and waits for the live socket. */
export async function joinByLink(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForSelector('#messages', { timeout: WAIT });
  await waitLive(page);
}

/** Types a message and sends it; the box empties once sent. */
export async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await eventually(async () => expect(await page.getByLabel('Message').inputValue()).toBe(''));
}
