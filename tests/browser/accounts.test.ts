// Browser end-to-end for optional accounts: register, log in, chat verified, a reserved name refused, log out.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { eventually, launchBrowser, WAIT, waitLive } from '../helpers/browser.ts';
import { need } from '../helpers/requirements.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.skipIf(!need('chromium'))('browser: optional accounts', () => {
  let server: TestServer;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const newPage = async () => {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    // 4xx form pages (wrong password, reserved name) are expected; script errors are not.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
    return page;
  };

  const submitForm = async (page: Page, button: string) => {
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.waitForLoadState('domcontentloaded');
  };

  test('register, log in, create a room as the account, chat with a verified mark; the name is reserved for others', async () => {
    const ada = await newPage();
    await ada.goto(`${server.origin}/register`);
    await ada.getByLabel('Username').fill('ada');
    await ada.getByLabel('Password').fill('analytical-engine');
    await submitForm(ada, 'Register');
    await ada.waitForURL(/\/login/, { timeout: WAIT });
    await ada.getByLabel('Username').fill('ada');
    await ada.getByLabel('Password').fill('wrong-password');
    await submitForm(ada, 'Log in');
    await ada.getByText('Wrong username or password').waitFor({ timeout: WAIT });
    await ada.getByLabel('Password').fill('analytical-engine');
    await submitForm(ada, 'Log in');
    await ada.getByText('Signed in as').waitFor({ timeout: WAIT });

    // The lobby offers the account name; the room is created with it.
    expect(await ada.getByLabel('Your name').inputValue()).toBe('ada');
    await ada.getByLabel('Room name').fill('Engines');
    await submitForm(ada, 'Create room');
    await ada.waitForURL(/\/rooms\/[A-Za-z0-9_-]{21}$/, { timeout: WAIT });
    await waitLive(ada);
    const link = ada.url();

    // Someone else cannot take the name.
    const guest = await newPage();
    await guest.goto(link);
    await guest.getByLabel('Your name').fill('ADA');
    await submitForm(guest, 'Join');
    await guest.getByText('That name belongs to a registered account.').waitFor({ timeout: WAIT });
    await guest.getByLabel('Your name').fill('charles');
    await submitForm(guest, 'Join');
    await waitLive(guest);

    await ada.getByLabel('Message').fill('Hello from a verified account');
    await ada.getByRole('button', { name: 'Send' }).click();
    const mine = guest.locator('#messages li.msg', { hasText: 'Hello from a verified account' });
    await mine.waitFor({ timeout: WAIT });
    expect(await mine.locator('.verified').count()).toBe(1);
    await guest.getByLabel('Message').fill('and one from a guest');
    await guest.getByRole('button', { name: 'Send' }).click();
    const theirs = ada.locator('#messages li.msg', { hasText: 'and one from a guest' });
    await theirs.waitFor({ timeout: WAIT });
    expect(await theirs.locator('.verified').count()).toBe(0);

    // Log out from the header.
    await ada.goto(`${server.origin}/`);
    await submitForm(ada, 'Log out');
    await eventually(async () => expect(await ada.getByText('Signed in as').count()).toBe(0));
    expect(errors).toEqual([]);
  }, 30_000);
});
