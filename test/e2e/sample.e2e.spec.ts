import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleApp } from '../../sample/app.js';
import { maskToken } from '../../sample/sample.page.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { parseAutoSubmitForm, reservePort } from '../support/oidc-provider.js';

/** Boots the sample as `npm start` does, on free ports, with `env` as its only settings. */
async function bootSample(env: Record<string, string>): Promise<{ app: INestApplication; url: string }> {
  const port = await reservePort();
  const app = await createSampleApp({ env: { NODE_ENV: 'test', PORT: String(port), SAMPLE_PROVIDER_PORT: '0', ...env } });
  await app.listen(port, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${port}` };
}

/** From the app's login link to the provider's sign-in page. */
async function openSignIn(browser: Browser, appUrl: string): Promise<BrowserResponse> {
  const login = await browser.get(`${appUrl}/auth/local`);
  expect(login.status).toBe(302);
  const signIn = await browser.follow(login.location!, { stop: (u) => u.startsWith(appUrl) });
  expect(signIn.status).toBe(200);
  return signIn;
}

/**
 * Clicks a button of the sign-in page and follows the provider back to the app's
 * callback, which it requests. When the provider first ends its session of another
 * account, it answers a page that a browser auto-submits: submitted here too.
 */
async function answerSignIn(browser: Browser, appUrl: string, signIn: BrowserResponse, user: string): Promise<BrowserResponse> {
  let res = await browser.request(signIn.url, { method: 'POST', body: new URLSearchParams({ user }) });
  for (let hop = 0; hop < 10; hop++) {
    if (res.location?.startsWith(appUrl)) {
      expect(res.location.startsWith(`${appUrl}/auth/local?`)).toBe(true);
      return browser.get(res.location);
    }
    if (res.location) {
      res = await browser.get(res.location);
      continue;
    }
    const form = parseAutoSubmitForm(res.text, res.url);
    if (res.status !== 200 || !form) break;
    res = await browser.request(form.action, { method: 'POST', body: new URLSearchParams(form.fields) });
  }
  throw new Error(`the provider did not send the browser back: ${res.status} ${res.text.slice(0, 300)}`);
}

describe('the sample app with no configuration (embedded provider)', () => {
  let sample: { app: INestApplication; url: string };
  // The access tokens the provider issued, seen on their way to the app: the real
  // fetch still runs, this only reads a copy of the token responses.
  const issued: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (init?.method === 'POST' && url.pathname === '/token' && res.ok) {
        issued.push(((await res.clone().json()) as { access_token: string }).access_token);
      }
      return res;
    };
    sample = await bootSample({});
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await sample.app.close();
  });

  it('lists only the configured providers', async () => {
    const home = await new Browser().get(`${sample.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    expect(home.text).toContain('<a href="/auth/local">Log in with the embedded OpenID provider</a>');
    expect(home.text).not.toContain('/auth/github');
    expect(home.text).not.toContain('/auth/google');
  });

  it('walks a full login, shows the claims and a masked token, logs out, and logs in again as someone else', async () => {
    const browser = new Browser();
    const signIn = await openSignIn(browser, sample.url);
    expect(signIn.text).toContain('Continue as Alice Liddell');
    const callback = await answerSignIn(browser, sample.url, signIn, 'alice');
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${sample.url}/`);
    expect(browser.cookies(sample.url)['sample.sid']).toBeDefined();

    const home = await browser.get(`${sample.url}/`);
    expect(home.text).toContain('Logged in with <b>local</b>');
    expect(home.text).toContain('<th>sub</th><td>alice</td>');
    expect(home.text).toContain('<th>email</th><td>alice@example.com</td>');
    expect(home.text).toContain('<th>name</th><td>Alice Liddell</td>');
    expect(issued).toHaveLength(1);
    const token = issued[0]!;
    expect(token.length).toBeGreaterThan(8);
    expect(/<code id="token">([^<]*)<\/code>/.exec(home.text)![1]).toBe(`${token.slice(0, 4)}…(${token.length} chars)`);
    expect(home.text).not.toContain(token);
    expect(home.text).not.toContain(token.slice(0, 8));
    expect(home.text).not.toContain('href="/auth/local"');

    const stolen = browser.cookies(sample.url)['sample.sid']!;
    const logout = await browser.request(`${sample.url}/logout`, { method: 'POST' });
    expect(logout.status).toBe(303);
    expect(logout.location).toBe(`${sample.url}/`);
    expect(logout.headers.getSetCookie().some((c) => c.startsWith('sample.sid=;'))).toBe(true);
    expect(browser.cookies(sample.url)['sample.sid']).toBeUndefined();
    const after = await browser.get(`${sample.url}/`);
    expect(after.text).not.toContain('Logged in');
    expect(after.text).toContain('href="/auth/local"');

    // The old session cookie is worth nothing: the session is gone on the server too.
    const replay = new Browser();
    replay.setCookie(sample.url, 'sample.sid', stolen);
    expect((await replay.get(`${sample.url}/`)).text).not.toContain('Logged in');

    // The provider asks again (prompt=login), so another account can be picked.
    const again = await openSignIn(browser, sample.url);
    expect(again.text).toContain('Continue as Bob Builder');
    expect((await answerSignIn(browser, sample.url, again, 'bob')).status).toBe(302);
    const bob = await browser.get(`${sample.url}/`);
    expect(bob.text).toContain('<th>sub</th><td>bob</td>');
    expect(bob.text).not.toContain('alice');
  });

  it('a user who denies at the provider gets a page with access_denied and a way back', async () => {
    const browser = new Browser();
    const signIn = await openSignIn(browser, sample.url);
    const callback = await answerSignIn(browser, sample.url, signIn, '');
    expect(callback.status).toBe(401);
    expect(callback.headers.get('content-type')).toMatch(/^text\/html/);
    expect(callback.text).toContain('<code id="error">access_denied</code>');
    expect(callback.text).toContain('<a href="/">');
    expect(browser.cookies(sample.url)['sample.sid']).toBeUndefined();
  });

  it('a replayed callback is refused with mismatching_state', async () => {
    const browser = new Browser();
    const signIn = await openSignIn(browser, sample.url);
    const submitted = await browser.request(signIn.url, { method: 'POST', body: new URLSearchParams({ user: 'alice' }) });
    const back = await browser.follow(submitted.location!, { stop: (u) => u.startsWith(sample.url) });
    expect(back.location!.startsWith(`${sample.url}/auth/local?code=`)).toBe(true);
    expect((await browser.get(back.location!)).status).toBe(302);
    const replayed = await browser.get(back.location!);
    expect(replayed.status).toBe(401);
    expect(replayed.text).toContain('<code id="error">mismatching_state</code>');
  });
});

describe('the sample app with GitHub and Google configured', () => {
  let sample: { app: INestApplication; url: string };

  beforeAll(async () => {
    sample = await bootSample({
      SAMPLE_EMBEDDED_PROVIDER: 'false',
      OAUTH_GITHUB_CLIENT_ID: 'gh-client-id',
      OAUTH_GITHUB_CLIENT_SECRET: 'gh-client-secret',
      OAUTH_GOOGLE_CLIENT_ID: 'google-client-id',
      OAUTH_GOOGLE_CLIENT_SECRET: 'google-client-secret',
    });
  });
  afterAll(async () => {
    await sample.app.close();
  });

  it('lists them, and not the embedded provider', async () => {
    const home = await new Browser().get(`${sample.url}/`);
    expect(home.text).toContain('<a href="/auth/github">Log in with GitHub</a>');
    expect(home.text).toContain('<a href="/auth/google">Log in with Google</a>');
    expect(home.text).not.toContain('/auth/local');
  });

  it('sends a GitHub login to GitHub with the configured client id and scope, and back to /auth/github', async () => {
    const login = await new Browser().get(`${sample.url}/auth/github`);
    expect(login.status).toBe(302);
    const to = new URL(login.location!);
    expect(`${to.origin}${to.pathname}`).toBe('https://github.com/login/oauth/authorize');
    expect(to.searchParams.get('client_id')).toBe('gh-client-id');
    expect(to.searchParams.get('scope')).toBe('read:user user:email');
    expect(to.searchParams.get('redirect_uri')).toBe(`${sample.url}/auth/github`);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(login.location).not.toContain('gh-client-secret');
  });

  it('answers a login with the embedded provider, which is off, with a page and no stack', async () => {
    const res = await new Browser().get(`${sample.url}/auth/local`);
    expect(res.status).toBe(500);
    expect(res.text).toContain('No OAuth client named &#34;local&#34;');
  });
});

it('masks tokens', () => {
  expect(maskToken('abcdefghijklmnop')).toBe('abcd…(16 chars)');
  expect(maskToken('short')).toBe('••••');
});
