// Test helper: Debian's Chromium driven by playwright-core (no browser download).
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM } from './requirements.ts';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
