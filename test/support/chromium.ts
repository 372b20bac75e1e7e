/**
 * A real browser for end-to-end tests: Debian's Chromium driven by puppeteer-core,
 * headless, with a fresh profile, so cookies (SameSite, HttpOnly, Path), redirects
 * and forms behave exactly as they do for a user.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser, type Page } from 'puppeteer-core';

/** Debian's package `chromium`; test/support/global-setup.ts makes sure it is there. */
export const CHROMIUM = '/usr/bin/chromium';

export interface Chromium {
  browser: Browser;
  /** A new tab. */
  page(): Promise<Page>;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** Starts Chromium with a profile of its own under the OS temp dir. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  const browser = await launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async page() {
      const page = await browser.newPage();
      page.setDefaultTimeout(20_000);
      page.setDefaultNavigationTimeout(20_000);
      return page;
    },
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Clicks `selector` and waits for the navigation it starts (redirects included) to load. */
export async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/** The text of `selector`, or `undefined` when the page has no such element. */
export async function textOf(page: Page, selector: string): Promise<string | undefined> {
  const el = await page.$(selector);
  if (!el) return undefined;
  return el.evaluate((node) => node.textContent ?? '');
}
