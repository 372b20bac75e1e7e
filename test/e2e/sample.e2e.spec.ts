/**
 * The sample app (`npm start`) in a real browser: Debian's Chromium through
 * puppeteer-core, on Express and on Fastify. With no configuration it logs in at its
 * embedded OpenID provider (oidc-provider): the sign-in page clicked, the claims
 * and an API call through the client on the page, "Refresh now" and its
 * tokenUpdate$ event, then logout: revocation, RP-initiated logout at the provider
 * and its back-channel logout$ event. With keys for GitHub, Google and X it lists
 * those and logs in with each (the testing kit's stand-ins of the three).
 *
 * The browser calls the app http://localhost:<port> and the provider sits on
 * http://127.0.0.1:<port>: two sites, so the app's SameSite=Lax cookies must survive
 * the cross-site redirects back from the provider, as they must for a real user.
 * Screenshots go to a temp dir (printed once), never into the repository.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthClientConfig } from '../../lib/index.js';
import { MockOAuthProvider } from '../../lib/testing/index.js';
import { createSampleApp } from '../../sample/app.js';
import type { EmbeddedProvider } from '../../sample/embedded-provider.js';
import { EMBEDDED_PROVIDER } from '../../sample/embedded-provider.module.js';
import { maskToken } from '../../sample/sample.page.js';
import { clickAndWait, launchChromium, textOf, type Chromium } from '../support/chromium.js';
import { PLATFORMS, type Platform } from '../support/nest-app.js';
import { reservePort } from '../support/oidc-provider.js';

const SHOTS = mkdtempSync(join(tmpdir(), 'sample-e2e-screenshots-'));
console.info(`sample e2e screenshots: ${SHOTS}`);

interface Sample {
  app: INestApplication;
  /** As the README tells users to open it. */
  url: string;
}

/** Boots the sample as `npm start` does, on free ports, with `env` as its only settings. */
async function bootSample(platform: Platform, env: Record<string, string>): Promise<Sample> {
  const port = await reservePort();
  const app = await createSampleApp({ env: { NODE_ENV: 'test', PORT: String(port), SAMPLE_PROVIDER_PORT: '0', SAMPLE_PLATFORM: platform, ...env } });
  await app.listen(port, '127.0.0.1');
  return { app, url: `http://localhost:${port}` };
}

/** A token response the provider sent to the app, seen on its way (the real fetch still runs). */
interface Issued {
  url: string;
  access_token: string;
  refresh_token?: string;
}

/** A request the app or a provider made through fetch, and the status it got. */
interface Sent {
  url: string;
  method: string;
  status: number;
}

const issued: Issued[] = [];
const sent: Sent[] = [];
const realFetch = globalThis.fetch;

beforeAll(() => {
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    sent.push({ url: url.toString(), method, status: res.status });
    // OAuth 2 token responses (JSON); OAuth 1.0a answers a form, which is not read here.
    if (method === 'POST' && url.pathname.endsWith('/token') && res.ok && res.headers.get('content-type')?.startsWith('application/json')) {
      const body = (await res.clone().json()) as { access_token: string; refresh_token?: string };
      issued.push({ url: url.toString(), access_token: body.access_token, ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}) });
    }
    return res;
  };
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

let shot = 0;
async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function eventTexts(page: Page, kind: string): Promise<string[]> {
  return page.$$eval(`#events li[data-kind="${kind}"]`, (items) => items.map((li) => li.textContent ?? ''));
}

async function claims(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#claims tr', (rows) => Object.fromEntries(rows.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? ''])));
}

describe.each(PLATFORMS)('the sample on %s, in Chromium, with no configuration (embedded provider)', (platform) => {
  let sample: Sample;
  let chromium: Chromium;
  let issuer: string;

  beforeAll(async () => {
    sample = await bootSample(platform, {});
    chromium = await launchChromium();
    issuer = sample.app.get<EmbeddedProvider>(EMBEDDED_PROVIDER).issuer;
  });
  afterAll(async () => {
    await chromium?.close();
    await sample?.app.close();
  });

  /** From the home page to the provider's sign-in page, and back as `user`. */
  async function logIn(page: Page, user: 'alice' | 'bob'): Promise<string> {
    await page.goto(`${sample.url}/`);
    await clickAndWait(page, '#providers a[href="/auth/local"]');
    expect(page.url().startsWith(`${issuer}/interaction/`)).toBe(true);
    expect(await page.content()).toContain('Continue as Alice Liddell');
    await screenshot(page, `${platform}-provider-sign-in`);
    // The app's callback URL, as the provider sent the browser there.
    let callback = '';
    const seen = (req: { url(): string }): void => {
      if (req.url().startsWith(`${sample.url}/auth/local?`)) callback = req.url();
    };
    page.on('request', seen);
    await clickAndWait(page, `button[name="user"][value="${user}"]`);
    page.off('request', seen);
    expect(page.url()).toBe(`${sample.url}/`);
    return callback;
  }

  it('login, claims and the API answer, refresh now, then logout: revocation, RP-initiated logout and the back-channel logout$ event', { timeout: 120_000 }, async () => {
    const page = await chromium.page();
    issued.length = 0;
    sent.length = 0;

    // Only the configured provider is offered.
    await page.goto(`${sample.url}/`);
    expect(await textOf(page, '#platform')).toBe(platform);
    expect(await page.$$eval('#providers a', (links) => links.map((a) => a.getAttribute('href')))).toEqual(['/auth/local']);
    expect(await page.cookies()).toEqual([]);
    await screenshot(page, `${platform}-home`);

    // Login at the provider's own page; back on the app with its claims.
    const callback = await logIn(page, 'alice');
    expect(callback).toMatch(/\?code=/);
    await screenshot(page, `${platform}-logged-in`);
    expect(await textOf(page, '#provider')).toBe('local');
    const first = await claims(page);
    expect(first).toMatchObject({ sub: 'alice', name: 'Alice Liddell', email: 'alice@example.com', iss: issuer, aud: 'sample-app' });
    expect(first.sid).toMatch(/\S/);

    // The app's session cookie, as the browser keeps it: HttpOnly, SameSite=Lax, no script can read it.
    const cookies = await page.cookies();
    expect(cookies.map((c) => c.name)).toEqual(['sample.sid']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', session: true });
    expect(await page.evaluate('document.cookie')).toBe('');

    // The token stays on the server: the page shows it masked.
    expect(issued).toHaveLength(1);
    const login = issued[0]!;
    expect(login.url).toBe(`${issuer}/token`);
    expect(login.refresh_token).toBeDefined();
    expect(await textOf(page, '#access-token')).toBe(maskToken(login.access_token));
    expect(await textOf(page, '#refresh-token')).toBe(maskToken(login.refresh_token!));
    const html = await page.content();
    expect(html).not.toContain(login.access_token);
    expect(html).not.toContain(login.refresh_token);

    // The API call through the client: the provider's protected API answered with who the token is for.
    expect(await textOf(page, '#api-request')).toBe(`GET ${issuer}/api/greeting`);
    expect(await textOf(page, '#api-status')).toBe('200');
    const greeting = JSON.parse((await textOf(page, '#api-body'))!) as Record<string, unknown>;
    expect(greeting).toMatchObject({ message: 'Hello, Alice Liddell!', sub: 'alice', client_id: 'sample-app' });

    // The same callback again (back button, a leaked URL): refused, and the session is untouched.
    const replay = await page.goto(callback);
    expect(replay?.status()).toBe(401);
    expect(await textOf(page, '#error')).toBe('mismatching_state');
    await page.goto(`${sample.url}/`);
    expect(await textOf(page, '#provider')).toBe('local');

    // "Refresh now": a new token from the provider, on the page, and its tokenUpdate$ event listed.
    expect(await eventTexts(page, 'tokenUpdate$')).toEqual([]);
    await clickAndWait(page, '#refresh');
    expect(page.url()).toBe(`${sample.url}/`);
    expect(issued).toHaveLength(2);
    const refreshed = issued[1]!;
    expect(refreshed.access_token).not.toBe(login.access_token);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(login.refresh_token);
    expect(await textOf(page, '#access-token')).toBe(maskToken(refreshed.access_token));
    expect(await textOf(page, '#refresh-token')).toBe(maskToken(refreshed.refresh_token!));
    const updates = await eventTexts(page, 'tokenUpdate$');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toContain(`local: new access token ${maskToken(refreshed.access_token)} replaces ${maskToken(login.access_token)}; new refresh token; 1 session(s) updated`);
    // The API still answers, now with the new token.
    expect(await textOf(page, '#api-status')).toBe('200');
    await screenshot(page, `${platform}-refreshed`);

    // Log out: the provider asks to confirm the end of its session.
    await clickAndWait(page, '#logout');
    const confirm = new URL(page.url());
    expect(confirm.origin).toBe(issuer);
    expect(await page.$('#sign-out')).not.toBeNull();
    // Already revoked at the provider before the browser left the app.
    const revocations = sent.filter((r) => r.url === `${issuer}/token/revocation` && r.method === 'POST');
    expect(revocations.map((r) => r.status)).toEqual([200, 200]);
    expect(await page.cookies(`${sample.url}/logged-out`)).toEqual([expect.objectContaining({ name: 'sample.logout', path: '/logged-out', httpOnly: true, sameSite: 'Lax' })]);
    await screenshot(page, `${platform}-provider-sign-out`);

    // Confirmed: the provider POSTs its logout token to the app, then sends the browser back with the state.
    await clickAndWait(page, '#sign-out');
    const landing = new URL(page.url());
    expect(`${landing.origin}${landing.pathname}`).toBe(`${sample.url}/logged-out`);
    expect(landing.searchParams.get('state')).toMatch(/^[\w-]{22}$/);
    expect(await textOf(page, '#notice')).toBe('You are logged out of the sample, your tokens are revoked, and the provider ended its session.');
    const backchannel = sent.filter((r) => r.url.endsWith('/auth/local/backchannel'));
    expect(backchannel).toEqual([{ url: `${sample.url.replace('localhost', '127.0.0.1')}/auth/local/backchannel`, method: 'POST', status: 200 }]);
    const logouts = await eventTexts(page, 'logout$');
    expect(logouts).toHaveLength(1);
    // The sample's own session had ended already, at the start of the logout.
    expect(logouts[0]).toContain(`local: back-channel logout from ${issuer}: sub alice, sid ${first.sid}; 0 sample session(s) ended`);
    const revoked = await eventTexts(page, 'revokeToken');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toContain(
      `local: refresh token ${maskToken(refreshed.refresh_token!)} and access token ${maskToken(refreshed.access_token)} revoked at the provider; the API now answers 401`,
    );
    expect(await page.$('#logout')).toBeNull();
    expect(await page.cookies(sample.url, `${sample.url}/logged-out`)).toEqual([]);
    await screenshot(page, `${platform}-logged-out`);

    // The provider's session is over: the next login asks who is signing in again.
    await page.goto(`${sample.url}/`);
    await clickAndWait(page, '#providers a[href="/auth/local"]');
    expect(page.url().startsWith(`${issuer}/interaction/`)).toBe(true);
    await clickAndWait(page, 'button[name="user"][value="bob"]');
    expect(await claims(page)).toMatchObject({ sub: 'bob', name: 'Bob Builder' });
    expect((await claims(page)).sid).not.toBe(first.sid);
    expect(await page.content()).not.toContain('Alice Liddell!');
    await page.close();
  });

  it('a logout at the provider that the sample did not start ends the sample session too (back-channel logout$, by sid)', { timeout: 60_000 }, async () => {
    const page = await (await chromium.browser.createBrowserContext()).newPage();
    await logIn(page, 'bob');
    const { sid } = await claims(page);
    expect(sid).toMatch(/\S/);
    // As another app at the same provider, or the provider's own "sign out", would.
    const discovery = (await (await realFetch(`${issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
    await page.goto(discovery.end_session_endpoint);
    await clickAndWait(page, '#sign-out');
    expect(await page.content()).toContain('You are signed out of the embedded provider.');
    await page.goto(`${sample.url}/`);
    expect(await page.$('#logout')).toBeNull();
    const logouts = await eventTexts(page, 'logout$');
    expect(logouts[0]).toContain(`local: back-channel logout from ${issuer}: sub bob, sid ${sid}; 1 sample session(s) ended`);
    await screenshot(page, `${platform}-ended-by-provider`);
    await page.browserContext().close();
  });

  it('a user who denies at the provider gets a page with access_denied and a way back, and no session', { timeout: 60_000 }, async () => {
    const page = await (await chromium.browser.createBrowserContext()).newPage();
    await page.goto(`${sample.url}/`);
    await clickAndWait(page, '#providers a[href="/auth/local"]');
    await clickAndWait(page, 'button[name="user"][value=""]');
    expect(new URL(page.url()).pathname).toBe('/auth/local');
    expect(await textOf(page, '#error')).toBe('access_denied');
    expect(await page.$('a[href="/"]')).not.toBeNull();
    await screenshot(page, `${platform}-denied`);
    expect((await page.cookies(sample.url)).map((c) => c.name)).toEqual([]);
    await page.browserContext().close();
  });

  it('a logout confirmation that this browser did not start does nothing', async () => {
    const page = await (await chromium.browser.createBrowserContext()).newPage();
    const res = await page.goto(`${sample.url}/logged-out?state=forged`);
    expect(res?.status()).toBe(200);
    expect(await textOf(page, '#notice')).toBe('This logout confirmation was not started from this browser; nothing was done.');
    await page.browserContext().close();
  });
});

/** The flat settings a user would write in sample/.env, here pointing a preset at a stand-in. */
function flatKeys(name: string, config: OAuthClientConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of ['clientId', 'clientSecret', 'authorizeUrl', 'accessTokenUrl', 'requestTokenUrl', 'serverMetadataUrl', 'userinfoUrl', 'revocationUrl', 'apiBaseUrl'] as const) {
    const value = config[field];
    if (typeof value === 'string') out[`OAUTH_${name.toUpperCase()}_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = value;
  }
  return out;
}

describe.each(PLATFORMS)('the sample on %s, in Chromium, with GitHub, Google and X configured', (platform) => {
  let sample: Sample;
  let chromium: Chromium;
  const mocks: Record<'github' | 'google' | 'twitter', MockOAuthProvider> = {} as never;

  beforeAll(async () => {
    const env: Record<string, string> = { SAMPLE_EMBEDDED_PROVIDER: 'false' };
    for (const name of ['github', 'google', 'twitter'] as const) {
      mocks[name] = await MockOAuthProvider.start({ as: name });
      Object.assign(env, flatKeys(name, mocks[name].clientConfig()));
    }
    sample = await bootSample(platform, env);
    chromium = await launchChromium();
  });
  afterEach(() => {
    for (const mock of Object.values(mocks)) mock.clearRequests();
  });
  afterAll(async () => {
    await chromium?.close();
    await sample?.app.close();
    for (const mock of Object.values(mocks)) await mock?.stop();
  });

  it('lists exactly those three; a login with the embedded provider, which is off, is a page naming it', async () => {
    const page = await chromium.page();
    await page.goto(`${sample.url}/`);
    expect(await page.$$eval('#providers a', (links) => links.map((a) => [a.getAttribute('href'), a.textContent]))).toEqual([
      ['/auth/github', 'Log in with GitHub'],
      ['/auth/google', 'Log in with Google'],
      ['/auth/twitter', 'Log in with X (Twitter, OAuth 1.0a)'],
    ]);
    const off = await page.goto(`${sample.url}/auth/local`);
    expect(off?.status()).toBe(500);
    expect(await page.content()).toContain('No OAuth client named "local"');
    await page.close();
  });

  // What logging out does with the token: GitHub has no revocation endpoint, Google
  // one (and no end_session_endpoint), X's OAuth 1.0a tokens are not revocable.
  const logins = [
    {
      name: 'github',
      who: { sub: '4242', name: 'Grace Hopper', email: 'grace@example.com', preferred_username: 'grace' },
      apiPath: '/user',
      subject: '4242',
      revocation: 'github: the provider has no revocation endpoint; the token stays valid until it expires',
    },
    {
      name: 'google',
      who: { sub: '1098765', name: 'Grace Hopper', email: 'grace@example.com', email_verified: true },
      apiPath: '/oauth2/v3/userinfo',
      subject: '1098765',
      revocation: /^google: access token .+ revoked at the provider; the API now answers 401$/,
    },
    { name: 'twitter', who: { sub: '777', name: 'Grace Hopper', preferred_username: 'grace' }, apiPath: '/1.1/account/verify_credentials.json', subject: '777', revocation: undefined },
  ] as const;

  it.each(logins)('logs in with $name: its claims and its API answer through the client, then logs out', { timeout: 60_000 }, async ({ name, who, apiPath, subject, revocation }) => {
    const page = await chromium.page();
    const mock = mocks[name];
    mock.nextLogin({ ...who });
    await page.goto(`${sample.url}/`);
    await clickAndWait(page, `#providers a[href="/auth/${name}"]`);
    expect(page.url()).toBe(`${sample.url}/`);
    expect(await textOf(page, '#provider')).toBe(name);
    expect(await claims(page)).toMatchObject({ sub: subject, name: 'Grace Hopper' });
    expect(await textOf(page, '#api-request')).toMatch(new RegExp(`^GET ${mock.origin}${apiPath.replace(/\./g, '\\.')}`));
    expect(await textOf(page, '#api-status')).toBe('200');
    expect(await textOf(page, '#api-body')).toContain('Grace Hopper');
    await screenshot(page, `${platform}-${name}`);
    // The stand-in saw the API call signed (OAuth 1.0a) or with the bearer token.
    const call = mock.requests.filter((r) => r.path === apiPath);
    expect(call.length).toBeGreaterThan(0);
    expect(call.at(-1)!.headers.authorization).toMatch(name === 'twitter' ? /^OAuth / : /^Bearer /);

    await clickAndWait(page, '#logout');
    expect(page.url()).toBe(`${sample.url}/`);
    expect(await page.$('#logout')).toBeNull();
    expect(await page.cookies(sample.url)).toEqual([]);
    // Entries read "<time> revokeToken <client>: <text>".
    const revoked = (await eventTexts(page, 'revokeToken')).map((text) => text.replace(/^\S+ revokeToken /, '')).filter((text) => text.startsWith(`${name}:`));
    if (revocation === undefined) expect(revoked).toEqual([]);
    else expect(revoked).toEqual([typeof revocation === 'string' ? revocation : expect.stringMatching(revocation)]);
    await page.close();
  });
});

it('masks tokens', () => {
  expect(maskToken('abcdefghijklmnop')).toBe('abcd…(16 chars)');
  expect(maskToken('short')).toBe('••••');
});
