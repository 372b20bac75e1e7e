import type { OAuthClientConfig } from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import type { RogueProvider } from '../support/rogue-provider.js';

export interface Attempt {
  login: BrowserResponse;
  callback?: BrowserResponse;
  /** Index into `rogue.requests` right after the callback URL was produced. */
  mark: number;
  callbackUrl?: string;
}

export async function appFor(rogue: RogueProvider, platform: Platform = 'express', extra: Partial<OAuthClientConfig> = {}): Promise<TestApp> {
  return startTestApp({
    platform,
    routes: [{ path: '/auth/op', client: 'op' }],
    oauth: {
      clients: {
        op: { clientId: rogue.clientId, clientSecret: rogue.clientSecret, serverMetadataUrl: rogue.discoveryUrl, scope: 'openid profile', ...extra },
      },
    },
  });
}

/** Login -> provider -> callback, with an optional edit of the callback URL. */
export async function attempt(app: TestApp, rogue: RogueProvider, edit?: (url: URL) => void, browser = new Browser()): Promise<Attempt> {
  const login = await browser.get(`${app.origin}/auth/op`);
  if (login.status !== 302 || !login.location?.startsWith(rogue.issuer)) return { login, mark: rogue.requests.length };
  const back = await browser.get(login.location);
  const url = new URL(back.location!);
  edit?.(url);
  const callback = await browser.get(url.toString());
  return { login, callback, mark: rogue.requests.length, callbackUrl: url.toString() };
}
