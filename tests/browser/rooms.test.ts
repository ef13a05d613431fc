// Browser end-to-end: password rooms, full rooms, expiry and destruction as a person sees them, and chat without JavaScript.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { bodies, eventually, launchBrowser, setHidden, texts, WAIT, waitLive, watchedPage } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { createRoom, startTestServer, type TestServer } from '../helpers/server.ts';

/** Per test: several page loads and live round trips (the expiry test waits for a 5 s room). */
const TEST_MS = 25_000;

/** Clicks a submit button and returns the response to the form's POST (before any redirect is followed). */
async function submit(page: Page, button: string, path: RegExp): Promise<Response> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && path.test(new URL(r.url()).pathname), { timeout: WAIT }),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return res;
}

async function createInLobby(page: Page, origin: string, fields: { room: string; owner: string; password?: string; maxUsers?: string }) {
  await page.goto(`${origin}/`);
  await page.getByLabel('Room name').fill(fields.room);
  await page.getByLabel('Your name').fill(fields.owner);
  if (fields.password) await page.getByLabel('Password').fill(fields.password);
  if (fields.maxUsers) await page.getByLabel('Max users').fill(fields.maxUsers);
  const res = await submit(page, 'Create room', /^\/rooms\/?$/);
  expect(res.status()).toBe(303);
  await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}$/, { timeout: WAIT });
  return page.url();
}

async function fillJoin(page: Page, name: string, password?: string) {
  await page.getByLabel('Your name').fill(name);
  if (password !== undefined) await page.getByLabel('Password').fill(password);
  return submit(page, 'Join', /\/join$/);
}

describe.skipIf(!need('chromium'))('browser: room access and lifecycle', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  let acceptDialogs = false;
  const newPage = (context: Parameters<Browser['newContext']>[0] = {}) =>
    watchedPage(browser, contexts, problems, { context, acceptConfirm: () => acceptDialogs });

  beforeAll(async () => {
    server = await startTestServer({ PRESENCE_GRACE_SECONDS: '3' });
    browser = await launchBrowser();
  });

  afterEach(() => {
    acceptDialogs = false;
    expect(problems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    await browser?.close();
    await server?.stop?.();
  });

  test(
    'a password room shows nothing of itself before the password; a wrong one is refused with 401',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, { room: 'Secret garden', owner: 'alice', password: 'open sesame' });
      await waitLive(alice);
      expect(await alice.getByRole('heading', { level: 1 }).textContent()).toBe('Secret garden');
      await alice.getByLabel('Message').fill('the roses are blue');
      await alice.getByRole('button', { name: 'Send' }).click();
      await alice.locator('#messages li.msg', { hasText: 'roses' }).waitFor();

      const first = await bob.goto(link);
      expect(first?.status()).toBe(200);
      const secretFree = async () => {
        const html = await bob.content();
        expect(html).not.toContain('Secret garden');
        expect(html).not.toContain('roses');
        expect(html).not.toContain('alice');
        expect(await bob.title()).not.toContain('Secret');
        expect(await bob.locator('#messages').count()).toBe(0);
        expect(await bob.getByLabel('Password').isVisible()).toBe(true);
        expect(await bob.getByLabel('Your name').isVisible()).toBe(true);
      };
      await secretFree();

      const wrong = await fillJoin(bob, 'bob', 'let me in');
      expect(wrong.status()).toBe(303); // back to the room page (401), which a reload shows again without re-posting
      expect(new URL(bob.url()).pathname).toMatch(/^\/rooms\/[A-Za-z0-9_-]{21}$/);
      await bob.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
      await secretFree();
      expect(await bob.getByLabel('Your name').inputValue()).toBe('bob'); // the name is kept, the password is not
      expect(await bob.getByLabel('Password').inputValue()).toBe('');

      const right = await fillJoin(bob, 'bob', 'open sesame');
      expect(right.status()).toBe(303);
      await waitLive(bob);
      expect(await bob.getByRole('heading', { level: 1 }).textContent()).toBe('Secret garden');
      expect(await bodies(bob)).toEqual(['the roses are blue']);
      await eventually(async () => expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob']));
    },
    TEST_MS,
  );

  test(
    'a full room refuses a third person with 409 "This room is full"',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const carol = await newPage();
      const link = await createInLobby(alice, server.origin, { room: 'Just us two', owner: 'alice', maxUsers: '2' });
      await bob.goto(link);
      expect((await fillJoin(bob, 'bob')).status()).toBe(303);
      await waitLive(bob);

      await carol.goto(link);
      const refused = await fillJoin(carol, 'carol');
      expect(refused.status()).toBe(303); // back to the room page (409)
      await carol.getByRole('alert').filter({ hasText: 'This room is full' }).waitFor();
      expect(await carol.locator('#messages').count()).toBe(0);
      expect(await carol.getByRole('button', { name: 'Join' }).isVisible()).toBe(true);
      expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob']);
    },
    TEST_MS,
  );

  test(
    'expiry: the notice replaces the composer, and a reload shows the 404 page',
    async () => {
      const { room_id } = await createRoom(server.origin, { name: 'Mayfly', owner_name: 'api-owner', expiry_seconds: 5 });
      const bob = await newPage();
      await bob.goto(`${server.origin}/rooms/${room_id}`);
      expect((await fillJoin(bob, 'bob')).status()).toBe(303);
      await waitLive(bob);
      expect(await bob.getByLabel('Message').isVisible()).toBe(true);
      expect(await bob.locator('#countdown').textContent()).toMatch(/^0:0[0-5]$/);

      const notice = bob.getByRole('status').filter({ hasText: 'This room has expired' });
      await notice.waitFor({ timeout: 9000 });
      expect(await bob.getByLabel('Message').count()).toBe(0);
      expect(await bob.getByRole('button', { name: 'Send' }).count()).toBe(0);
      await bob.waitForSelector('#room[data-live="closed"]');
      expect(await bob.locator('#countdown-wrap').textContent()).toBe('Ended');
      expect(await bob.getByRole('button', { name: 'Leave' }).isVisible()).toBe(false); // nothing left to leave

      const again = await bob.reload();
      expect(again?.status()).toBe(404);
      expect(await bob.getByRole('heading', { level: 1 }).textContent()).toBe('This room is gone');
    },
    TEST_MS,
  );

  test(
    'destroy: the owner confirms, the other member is told, the owner lands in the lobby',
    async () => {
      const alice = await newPage();
      const bob = await newPage();
      const link = await createInLobby(alice, server.origin, { room: 'Doomed', owner: 'alice' });
      await waitLive(alice);
      await bob.goto(link);
      await fillJoin(bob, 'bob');
      await waitLive(bob);
      await bob.getByLabel('Message').fill('anyone here?');
      await bob.getByRole('button', { name: 'Send' }).click();
      await alice.locator('#messages li.msg', { hasText: 'anyone here?' }).waitFor();
      expect(await bob.getByRole('button', { name: 'Destroy room' }).count()).toBe(0); // only the owner has it

      acceptDialogs = true;
      const res = await submit(alice, 'Destroy room', /\/destroy$/);
      expect(res.status()).toBe(303);
      await alice.waitForURL(`${server.origin}/?ended=destroyed`);
      await alice.getByRole('button', { name: 'Create room' }).waitFor();
      await alice.getByText('The room was destroyed').waitFor();

      await bob.getByRole('status').filter({ hasText: 'The owner destroyed this room' }).waitFor();
      expect(await bob.getByLabel('Message').count()).toBe(0);
      await bob.waitForSelector('#room[data-live="closed"]');
      expect((await bob.reload())?.status()).toBe(404);
    },
    TEST_MS,
  );

  test(
    'a room destroyed while the tab slept shows as gone when the tab comes back',
    async () => {
      const { room_id, owner_token } = await createRoom(server.origin, { name: 'Nap', owner_name: 'api-owner' });
      const bob = await newPage();
      await bob.goto(`${server.origin}/rooms/${room_id}`);
      await fillJoin(bob, 'bob');
      await waitLive(bob);
      await setHidden(bob, true);
      await bob.waitForSelector('#room[data-live="closed"]');

      const res = await fetch(`${server.origin}/rooms/${room_id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${owner_token}` },
      });
      expect(res.status).toBe(204);
      await Bun.sleep(100);
      expect(await bob.getByLabel('Message').count()).toBe(1); // asleep: nothing arrived

      await setHidden(bob, false); // htmx reconnects; the server answers 4404
      await bob.getByRole('status').filter({ hasText: 'This room is gone' }).waitFor();
      expect(await bob.getByLabel('Message').count()).toBe(0);
      expect(await bob.locator('#countdown-wrap').textContent()).toBe('Ended');
      expect(await bob.locator('#conn-status').textContent()).toBe('');
    },
    TEST_MS,
  );

  test(
    'without JavaScript: create, join, send with the plain form (303) and read it on reload',
    async () => {
      const alice = await newPage({ javaScriptEnabled: false });
      const bob = await newPage({ javaScriptEnabled: false });
      const link = await createInLobby(alice, server.origin, { room: 'Plain HTML', owner: 'alice' });
      expect(await alice.getByRole('heading', { level: 1 }).textContent()).toBe('Plain HTML');

      await bob.goto(link);
      expect((await fillJoin(bob, 'bob')).status()).toBe(303);
      await bob.waitForURL(link);
      await bob.getByLabel('Message').fill('no scripts needed');
      const sent = await submit(bob, 'Send', /\/messages$/);
      expect(sent.status()).toBe(303);
      await bob.waitForURL((u) => u.pathname === new URL(link).pathname);
      expect(await bodies(bob)).toEqual(['no scripts needed']);
      expect(await bob.locator('#messages li.msg .who').textContent()).toBe('bob');
      expect(await bob.getByLabel('Message').inputValue()).toBe('');

      await alice.reload();
      expect(await bodies(alice)).toEqual(['no scripts needed']);
      expect(await texts(alice.locator('#members li .member-name'))).toEqual(['alice', 'bob']);
      await alice.getByLabel('Message').fill('got it');
      expect((await submit(alice, 'Send', /\/messages$/)).status()).toBe(303);
      expect(await bodies(alice)).toEqual(['no scripts needed', 'got it']);

      await bob.reload();
      expect(await bodies(bob)).toEqual(['no scripts needed', 'got it']);
    },
    TEST_MS,
  );
});
