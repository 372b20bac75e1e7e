/**
 * The module's own cookies, on Express and Fastify (contract: State, Limits).
 *
 * Audit item 1, the lock-out: however many logins a browser starts (one after the
 * other, or all at once from one page), the pending-login cookies stay under 4 KB
 * each and 8 KB together, the oldest pending login going first, so the browser's
 * Cookie header never grows past what the server accepts (HTTP 431 on every
 * request for the life of the cookies). Also for form_post clients, whose
 * SameSite=None cookies plain cross-site requests can set.
 *
 * And planting: on HTTPS (the platform's trust-proxy setting, or an `https:`
 * redirectUri) the cookies are `Secure` with the `__Host-` prefix, which a sibling
 * subdomain cannot set, so a pending login planted under the bare name is never
 * read; a cookie name sent twice (one planted) is never resolved in the planter's
 * favour. Shown with the cookie store and the memory store: the attacker starts
 * their own login, plants its cookie in the victim's browser and sends the victim
 * to their callback URL, which would log the victim in as the attacker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthModuleOptions } from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

let op: HostileProvider;

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});

const HTTPS = { 'x-forwarded-proto': 'https' };
const isOurs = (name: string) => /^(__Host-)?oauth_/.test(name);
const nameOf = (setCookie: string) => setCookie.slice(0, setCookie.indexOf('='));
const ourSetCookies = (res: BrowserResponse) => res.headers.getSetCookie().filter((c) => isOurs(nameOf(c)));

/** Bytes our cookies add to the browser's Cookie header (`name=value` joined by `; `). */
function cookieHeaderBytes(browser: Browser, origin: string): number {
  const pairs = Object.entries(browser.cookies(origin)).filter(([name]) => isOurs(name));
  return pairs.reduce((sum, [k, v]) => sum + Buffer.byteLength(`${k}=${v}`), 0) + Math.max(0, pairs.length - 1) * 2;
}

function expectMismatchingState(res: Response | BrowserResponse, text: string): void {
  expect(res.status, text).toBe(401);
  expect(JSON.parse(text)).toMatchObject({ statusCode: 401, error: 'mismatching_state' });
}

/**
 * The attacker's own login, up to the provider's answer: the cookies the app set
 * in the attacker's browser and the callback URL it will send the victim to.
 */
async function attackerLogin(origin: string, headers: Record<string, string> = {}) {
  const attacker = new Browser();
  const login = await attacker.get(`${origin}/auth/op`, headers);
  expect(login.status, login.text).toBe(302);
  const authorize = await attacker.get(login.location!);
  expect(authorize.status).toBe(302);
  const callback = new URL(authorize.location!);
  callback.protocol = 'http:';
  const planted = ourSetCookies(login).map((line) => {
    const pair = line.split(';')[0]!;
    // A sibling subdomain (or a man in the middle on http) can set any bare name,
    // never a __Host- one.
    return pair.replace(/^__Host-/, '');
  });
  return { callback: callback.toString(), planted };
}

/** The victim's request to the attacker's callback URL, with the planted cookies first. */
async function victimFollows(victim: Browser, url: string, planted: string[], headers: Record<string, string> = {}) {
  const own = Object.entries(victim.cookies(url)).map(([k, v]) => `${k}=${v}`);
  const res = await fetch(url, { headers: { ...headers, cookie: [...planted, ...own].join('; ') }, redirect: 'manual' });
  return { res, text: await res.text() };
}

describe.each(PLATFORMS)('cookies on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    op.reset();
    await app?.close();
    app = undefined;
  });

  async function start(oauth: OAuthModuleOptions = {}, extra: { trustProxy?: boolean; formPost?: boolean } = {}): Promise<TestApp> {
    const form = { ...op.client, authorizeParams: { response_mode: 'form_post' } };
    app = await startTestApp({
      platform,
      trustProxy: extra.trustProxy ?? false,
      routes: [
        { path: '/auth/op', client: 'op', options: { returnTo: true } },
        { path: '/auth/form', client: 'form', options: { returnTo: true } },
      ],
      oauth: { ...oauth, clients: { op: op.client, form } },
    });
    return app;
  }

  describe('the lock-out (audit 1)', () => {
    const next1024 = `/${'n'.repeat(1023)}`;

    it.each([
      ['one after the other', '/auth/op', false],
      ['all at once', '/auth/op', true],
      ['form_post, one after the other', '/auth/form', false],
      ['form_post, all at once', '/auth/form', true],
    ])('twelve logins with a 1,024-character next, %s: under 4 KB each and 8 KB together, the app still answers', async (_name, path, parallel) => {
      const a = await start();
      const browser = new Browser();
      const url = `${a.origin}${path}?next=${next1024}`;
      const answers: BrowserResponse[] = [];
      if (parallel) answers.push(...(await Promise.all(Array.from({ length: 12 }, () => browser.get(url)))));
      else for (let i = 0; i < 12; i++) answers.push(await browser.get(url));
      for (const res of answers) {
        expect(res.status, res.text).toBe(302);
        for (const line of ourSetCookies(res)) expect(Buffer.byteLength(line), line.slice(0, 80)).toBeLessThan(4096);
      }
      expect(cookieHeaderBytes(browser, a.origin)).toBeLessThan(8192);
      expect((await browser.get(`${a.origin}/health`)).status).toBe(200);
    });

    it('logins with a 3,000-character next (dropped) in both kinds of cookie: the app still answers, and the newest logins complete', async () => {
      const a = await start();
      const browser = new Browser();
      for (let i = 0; i < 8; i++) {
        for (const path of ['/auth/op', '/auth/form']) {
          const res = await browser.get(`${a.origin}${path}?next=/${'x'.repeat(3000)}`);
          expect(res.status, res.text).toBe(302);
        }
      }
      expect(cookieHeaderBytes(browser, a.origin)).toBeLessThan(8192);
      expect((await browser.get(`${a.origin}/health`)).status).toBe(200);
      const walk = await walkLogin(browser, `${a.origin}/auth/op?next=${next1024}`, op);
      expect(walk.callback?.status, walk.callback?.text).toBe(200);
      expect(walk.callback!.json<{ oauth: { returnTo?: string } }>().oauth.returnTo).toBe(next1024);
    });

    it('the oldest pending login is dropped first; the newest survive', async () => {
      const a = await start();
      const browser = new Browser();
      const started: string[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await browser.get(`${a.origin}/auth/op?next=${next1024}`);
        started.push(res.location!);
      }
      const callbackOf = async (authorizeUrl: string) => (await browser.get(authorizeUrl)).location!;
      const oldest = await browser.get(await callbackOf(started[0]!));
      expectMismatchingState(oldest, oldest.text);
      const newest = await browser.get(await callbackOf(started.at(-1)!));
      expect(newest.status, newest.text).toBe(200);
    });
  });

  describe('__Host- prefix and Secure', () => {
    it.each([
      ['cookie', {}],
      ['memory', { stateStore: 'memory' as const }],
    ])('%s store behind a TLS proxy the app trusts: __Host-, Secure, Path=/, no Domain', async (_name, oauth) => {
      const a = await start(oauth, { trustProxy: true });
      const res = await new Browser().get(`${a.origin}/auth/op`, HTTPS);
      expect(res.status, res.text).toBe(302);
      const lines = ourSetCookies(res);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(/^__Host-/);
        expect(line).toMatch(/; Secure(;|$)/);
        expect(line).toMatch(/; Path=\/(;|$)/);
        expect(line).not.toMatch(/; Domain=/i);
      }
    });

    it.each([
      ['cookie', {}],
      ['memory', { stateStore: 'memory' as const }],
    ])("%s store, a proxy the app does not trust but an https: redirectUri: __Host- and Secure", async (_name, oauth) => {
      app = await startTestApp({ platform, oauth: { ...oauth, clients: { op: { ...op.client, redirectUri: 'https://app.example/auth/op' } } }, routes: [{ path: '/auth/op', client: 'op' }] });
      const res = await new Browser().get(`${app.origin}/auth/op`, HTTPS);
      expect(res.status, res.text).toBe(302);
      const lines = ourSetCookies(res);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(/^__Host-/);
        expect(line).toMatch(/; Secure(;|$)/);
      }
    });

    it('plain http with a relative redirect URI: no prefix, no Secure (control)', async () => {
      const a = await start();
      const lines = ourSetCookies(await new Browser().get(`${a.origin}/auth/op`));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(/^oauth_/);
        expect(line).not.toMatch(/; Secure/);
      }
    });
  });

  describe('a planted pending login', () => {
    it.each([
      ['cookie', {}],
      ['memory', { stateStore: 'memory' as const }],
    ])('%s store on https: a bare-name plant is never read, nothing reaches the provider', async (_name, oauth) => {
      const a = await start(oauth, { trustProxy: true });
      const { callback, planted } = await attackerLogin(a.origin, HTTPS);
      const victim = new Browser();
      await victim.get(`${a.origin}/auth/op`, HTTPS);
      const mark = op.mark();
      const { res, text } = await victimFollows(victim, callback, planted, HTTPS);
      expectMismatchingState(res, text);
      expect(op.count(HOSTILE_PATHS.token, mark)).toBe(0);
    });

    it.each([
      ['cookie', {}],
      ['memory', { stateStore: 'memory' as const }],
    ])('%s store on http: a planted duplicate of the victim\'s cookie is not resolved in its favour', async (_name, oauth) => {
      const a = await start(oauth);
      const { callback, planted } = await attackerLogin(a.origin);
      const victim = new Browser();
      // The victim has a pending login of its own: its cookie has the planted name too.
      await victim.get(`${a.origin}/auth/op`);
      const plantedNames = planted.map((p) => p.slice(0, p.indexOf('=')));
      const victimNames = Object.keys(victim.cookies(a.origin));
      expect(plantedNames.every((n) => victimNames.includes(n)), `${plantedNames} / ${victimNames}`).toBe(true);
      const mark = op.mark();
      const { res, text } = await victimFollows(victim, callback, planted);
      expectMismatchingState(res, text);
      expect(op.count(HOSTILE_PATHS.token, mark)).toBe(0);
    });
  });
});
