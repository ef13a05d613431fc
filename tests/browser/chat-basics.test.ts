// Browser: the chat's small manners (issue 13): typing, copy/share link, refused messages, plain words,
// unread count, mentions, opt-in notifications, Enter on phones, the one-minute notice.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { bodies, createInLobby, eventually, joinByLink, launchBrowser, send, waitLive, watchedPage } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TEST_MS = 25_000;

/** Page script (test only): the types of the frames the page sends on its socket, never their content. */
const RECORD_FRAMES = () => {
  const w = window as any;
  w.__frames = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: any) {
    try {
      w.__frames.push(JSON.parse(String(data)).type);
    } catch {
      w.__frames.push('?');
    }
    return send.call(this, data);
  };
};

/** Page script (test only): the window loses or regains focus. */
const setFocused = (page: Page, focused: boolean) =>
  page.evaluate((f) => {
    document.hasFocus = () => f;
    window.dispatchEvent(new Event(f ? 'focus' : 'blur'));
  }, focused);

/** The live socket of a page, for frames the page itself would not send. */
const rawSend = (page: Page, frame: unknown) =>
  page.evaluate((f) => (document.querySelector('[hx-ws\\:connect]') as any)._htmx.ws.connection.socket.send(JSON.stringify(f)), frame);

describe.skipIf(!need('chromium'))('browser: chat basics', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const newPage = (context: BrowserContextOptions = {}, init?: () => void) => watchedPage(browser, contexts, problems, { context, init });
  const typingText = async (page: Page) => (await page.locator('#typing').textContent())?.trim() ?? '';

  beforeAll(async () => {
    server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3' });
    browser = await launchBrowser();
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.stop?.();
  }, TEST_MS);

  test(
    'typing: no "is typing…" after the message has arrived (the throttle\'s trailing signal is dropped)',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Trailing', 'alice');
      await joinByLink(bob, link, 'bob');
      // Everything alice's typing line shows, with when.
      await alice.evaluate(() => {
        const w = window as any;
        w.__typing = [];
        const el = document.getElementById('typing')!;
        new MutationObserver(() => w.__typing.push({ at: performance.now(), text: el.textContent })).observe(el, { childList: true });
      });

      // The first key sends a signal at once; the next ones leave one pending at the end of the 2 s throttle.
      await bob.getByLabel('Message').pressSequentially('hel', { delay: 30 });
      await eventually(async () => expect(await typingText(alice)).toBe('bob is typing…'));
      await bob.getByLabel('Message').pressSequentially('lo', { delay: 30 });
      await bob.getByLabel('Message').press('Enter');
      await alice.locator('#messages li.msg', { hasText: 'hello' }).waitFor();
      const arrived = await alice.evaluate(() => performance.now());
      await eventually(async () => expect(await typingText(alice)).toBe(''));

      await Bun.sleep(2800); // past the throttle's trailing end
      const after = await alice.evaluate((t) => (window as any).__typing.filter((e: any) => e.at > t && e.text), arrived);
      expect(after).toEqual([]);
      expect(await typingText(alice)).toBe('');
    },
    TEST_MS,
  );

  test(
    "typing: several people at once, a message ends its sender's notice, and notices expire",
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const carol = await newPage();
      const dave = await newPage();
      const link = await createInLobby(alice, server.origin, 'Busy room', 'alice');
      await joinByLink(bob, link, 'bob');
      await joinByLink(carol, link, 'carol');
      await joinByLink(dave, link, 'dave');

      await bob.getByLabel('Message').pressSequentially('h', { delay: 20 });
      await eventually(async () => expect(await typingText(alice)).toBe('bob is typing…'));
      await carol.getByLabel('Message').pressSequentially('h', { delay: 20 });
      await eventually(async () => expect(await typingText(alice)).toBe('bob and carol are typing…'));
      await dave.getByLabel('Message').pressSequentially('h', { delay: 20 });
      await eventually(async () => expect(await typingText(alice)).toBe('several people are typing…'));
      // Nobody sees themselves typing.
      await eventually(async () => expect(await typingText(bob)).toBe('carol and dave are typing…'));

      // bob sends: his notice ends everywhere.
      await bob.getByLabel('Message').press('Enter');
      await alice.locator('#messages li.msg', { hasText: 'h' }).waitFor();
      await eventually(async () => expect(await typingText(alice)).toBe('carol and dave are typing…'));
      await eventually(async () => expect(await typingText(carol)).toBe('dave is typing…'));

      // Nobody types any more: the notices go after a few seconds.
      await eventually(async () => expect(await typingText(alice)).toBe(''), 6000);
      expect(await typingText(carol)).toBe('');
    },
    TEST_MS,
  );

  test(
    'copy link without a clipboard API (plain HTTP): never "Copied!", the link is shown selected instead',
    async () => {
      const alice = await newPage({}, () => {
        Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
        Document.prototype.execCommand = () => false;
      });
      const link = await createInLobby(alice, server.origin, 'No clipboard', 'alice');
      await alice.getByRole('button', { name: 'Copy link' }).click();
      const box = alice.locator('#room-link');
      await eventually(async () => expect(await box.getAttribute('data-shown')).toBe(''));
      expect(await alice.locator('#copy-link').textContent()).not.toBe('Copied!');
      expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
      const selected = await box.evaluate((el: HTMLInputElement) => el.value.slice(el.selectionStart!, el.selectionEnd!));
      expect(selected).toBe(link);
      expect(await box.isVisible()).toBe(true);
      expect(await alice.locator('#room-link[hidden]').count()).toBe(0);
      await Bun.sleep(1600);
      expect(await alice.locator('#copy-link').textContent()).toBe('Copy link');
    },
    TEST_MS,
  );

  test(
    'share: where the phone has a share sheet, a Share button offers the room link',
    async () => {
      const alice = await newPage({}, () => {
        const w = window as any;
        w.__shared = [];
        (Navigator.prototype as any).share = (data: unknown) => {
          w.__shared.push(data);
          return Promise.resolve();
        };
      });
      const link = await createInLobby(alice, server.origin, 'Share me', 'alice');
      await alice.getByRole('button', { name: 'Share' }).click();
      await eventually(async () =>
        expect(await alice.evaluate(() => (window as any).__shared)).toEqual([{ title: 'Share me', url: link }]),
      );

      const bob = await newPage({}, () => {
        delete (Navigator.prototype as any).share;
      });
      await joinByLink(bob, link, 'bob');
      expect(await bob.locator('#share-link').count()).toBe(0);
    },
    TEST_MS,
  );

  test(
    'a refused message comes back into the composer with the reason, in plain words',
    async () => {
      const alice = await newPage();
      await createInLobby(alice, server.origin, 'Refusals', 'alice');
      const box = alice.getByLabel('Message');

      // Too long (the page's maxlength stops typing, not a script or an old page).
      const long = 'x'.repeat(2001);
      await box.evaluate((el: HTMLTextAreaElement, v) => {
        el.value = v;
      }, long);
      await alice.getByRole('button', { name: 'Send' }).click();
      await eventually(async () =>
        expect(await alice.locator('#chat-error').textContent()).toBe('That message is too long (at most 2000 characters).'),
      );
      await eventually(async () => expect(await box.inputValue()).toBe(long));

      // A control character.
      await box.fill('ring \u0007 the bell');
      await alice.getByRole('button', { name: 'Send' }).click();
      await eventually(async () => expect(await alice.locator('#chat-error').textContent()).toContain('cannot be sent'));
      await eventually(async () => expect(await box.inputValue()).toBe('ring \u0007 the bell'));
      expect(await bodies(alice)).toEqual([]);

      // A good one still goes, and the composer empties.
      await send(alice, 'fine now');
      await eventually(async () => expect(await bodies(alice)).toEqual(['fine now']));
    },
    TEST_MS,
  );

  test(
    'whitespace-only: nothing is sent, the page says why; the server words it for people too',
    async () => {
      const alice = await newPage({}, RECORD_FRAMES);
      await createInLobby(alice, server.origin, 'Blank', 'alice');
      await alice.getByLabel('Message').fill('   \n  ');
      await alice.getByRole('button', { name: 'Send' }).click();
      await eventually(async () => expect(await alice.locator('#chat-error').textContent()).toBe('Write something before sending.'));
      await alice.getByLabel('Message').press('Enter');
      await Bun.sleep(300);
      expect(await alice.evaluate(() => (window as any).__frames.filter((t: string) => t === 'message'))).toEqual([]);

      // An older page (or another client) that sends it anyway gets words, not protocol.
      await alice.evaluate(() => {
        document.getElementById('chat-error')!.textContent = '';
      });
      await rawSend(alice, { type: 'message', content: '   ' });
      await eventually(async () => expect(await alice.locator('#chat-error').textContent()).toBe('Write something before sending.'));
      await rawSend(alice, { type: 'nonsense' });
      await eventually(async () =>
        expect(await alice.locator('#chat-error').textContent()).toBe('That could not be sent. Reload the page and try again.'),
      );
      expect(await alice.locator('#chat-error').textContent()).not.toContain('frame');
    },
    TEST_MS,
  );

  test(
    'unread count in the tab title while the page is in the background, cleared on return',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, 'Title room', 'alice');
      await joinByLink(bob, link, 'bob');
      expect(await alice.title()).toBe('Title room · mayfly');

      await setFocused(alice, false);
      await send(bob, 'one');
      await send(bob, 'two');
      await send(bob, 'three');
      await eventually(async () => expect(await alice.title()).toBe('(3) Title room · mayfly'));
      await setFocused(alice, true);
      await eventually(async () => expect(await alice.title()).toBe('Title room · mayfly'));
      // Own messages and messages read in the foreground do not count.
      await send(bob, 'four');
      await send(alice, 'five');
      await eventually(async () => expect(await bodies(alice)).toEqual(['one', 'two', 'three', 'four', 'five']));
      expect(await alice.title()).toBe('Title room · mayfly');
    },
    TEST_MS,
  );

  test(
    'mentions are highlighted, and notify (notification or beep) only once opted in',
    async () => {
      const init = () => {
        const w = window as any;
        w.__notes = [];
        w.__beeps = 0;
        w.Notification = class {
          static permission = 'granted';
          static requestPermission = () => Promise.resolve('granted');
          constructor(title: string) {
            w.__notes.push(title);
          }
        };
        w.AudioContext = class {
          currentTime = 0;
          destination = {};
          createGain = () => ({ gain: { value: 0 }, connect() {} });
          createOscillator = () => ({
            frequency: { value: 0 },
            connect() {},
            start() {
              w.__beeps++;
            },
            stop() {},
          });
        };
      };
      const alice = await newPage({}, init);
      const bob = await newPage({}, init);
      const link = await createInLobby(alice, server.origin, 'Mentions', 'Alice');
      await joinByLink(bob, link, 'bob');

      await send(bob, 'hey @alice, look');
      await send(bob, 'mail bob@alice.example or @alicex');
      await send(alice, 'thanks @bob');
      await eventually(async () => expect(await bodies(alice)).toHaveLength(3));
      const mentionedOnAlice = async () => (await alice.locator('#messages li.msg.mention .body').allTextContents()).map((t) => t.trim());
      expect(await mentionedOnAlice()).toEqual(['hey @alice, look']);
      await eventually(async () => expect(await bob.locator('#messages li.msg.mention').count()).toBe(1));
      expect(await bob.locator('#messages li.msg.mention .body').textContent()).toBe('thanks @bob');
      // Off by default: nothing rang.
      const opt = alice.getByLabel('Notify me when mentioned');
      expect(await opt.isChecked()).toBe(false);
      expect(await alice.evaluate(() => [(window as any).__notes.length, (window as any).__beeps])).toEqual([0, 0]);

      await opt.check();
      expect(await alice.evaluate(() => localStorage.getItem('mayfly:notify-mentions'))).toBe('1');
      await setFocused(alice, false);
      await send(bob, '@ALICE are you there?');
      await eventually(async () => expect(await alice.evaluate(() => (window as any).__notes)).toEqual(['bob mentioned you']));
      await setFocused(alice, true);
      await send(bob, 'ok @Alice');
      await eventually(async () => expect(await alice.evaluate(() => (window as any).__beeps)).toBe(1));
      expect(await alice.evaluate(() => (window as any).__notes)).toHaveLength(1);

      // Kept for the next visit; history is highlighted but does not ring again.
      await alice.reload();
      await waitLive(alice);
      expect(await alice.getByLabel('Notify me when mentioned').isChecked()).toBe(true);
      expect(await mentionedOnAlice()).toEqual(['hey @alice, look', '@ALICE are you there?', 'ok @Alice']);
      expect(await alice.evaluate(() => [(window as any).__notes.length, (window as any).__beeps])).toEqual([0, 0]);
    },
    TEST_MS,
  );

  test(
    'phones: Enter makes a new line and Send sends; desktops: Shift+Enter makes a new line',
    async () => {
      const alice = await newPage();
      const link = await createInLobby(alice, server.origin, 'Thumbs', 'alice');
      const bob = await newPage({ hasTouch: true, isMobile: true, viewport: { width: 390, height: 760 } });
      await joinByLink(bob, link, 'bob');
      expect(await bob.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
      const box = bob.getByLabel('Message');
      await box.pressSequentially('line one', { delay: 10 });
      await box.press('Enter');
      await box.pressSequentially('line two', { delay: 10 });
      expect(await box.inputValue()).toBe('line one\nline two');
      await Bun.sleep(200);
      expect(await bodies(alice)).toEqual([]);
      await bob.getByRole('button', { name: 'Send' }).click();
      await eventually(async () => expect(await bodies(alice)).toEqual(['line one\nline two']));

      const mine = alice.getByLabel('Message');
      await mine.pressSequentially('a', { delay: 10 });
      await mine.press('Shift+Enter');
      await mine.pressSequentially('b', { delay: 10 });
      expect(await mine.inputValue()).toBe('a\nb');
      await mine.press('Enter');
      await eventually(async () => expect(await bodies(bob)).toEqual(['line one\nline two', 'a\nb']));
    },
    TEST_MS,
  );

  test(
    'a "1 minute left" notice shows in the chat before the room vanishes, once',
    async () => {
      const alice = await newPage();
      await alice.goto(`${server.origin}/`);
      await alice.getByLabel('Room name').fill('Short lived');
      await alice.getByLabel('Your name').fill('alice');
      await alice.locator('#expiry').evaluate((el: HTMLSelectElement) => {
        el.add(new Option('62 seconds', '62', true, true));
      });
      await alice.getByRole('button', { name: 'Create room' }).click();
      await waitLive(alice);
      expect(await alice.locator('#messages li[data-expiry-soon]').count()).toBe(0);
      await alice.locator('#messages li[data-expiry-soon]').waitFor({ timeout: 6000 });
      expect(await alice.locator('#messages li[data-expiry-soon]').textContent()).toContain('1 minute left');
      await Bun.sleep(1500);
      expect(await alice.locator('#messages li[data-expiry-soon]').count()).toBe(1);
    },
    TEST_MS,
  );
});
