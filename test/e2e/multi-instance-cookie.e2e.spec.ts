/**
 * The default cookie store across instances: apps sharing OAUTH_STATE_SECRET read
 * each other's login cookies, a secret list rotates without failing logins in
 * flight (the first secret encrypts, every secret decrypts), and an app with
 * another secret refuses. Five instances behind one origin:
 *   0  old secret (option, Express)   1  "new, old" (OAUTH_STATE_SECRET from config)
 *   2  new secret only (option list, Fastify)   3  an unrelated secret (Fastify)
 *   4  old secret again (option, Fastify)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { getOn, loginOn } from '../support/fleet.js';
import { startLoadBalancer, type LoadBalancer } from '../support/load-balancer.js';
import { startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { ALICE, PROVIDER_PATHS, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';

const OLD = 'old-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const NEW = 'new-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const OTHER = 'other-secret-0123456789abcdefghijklmnopqrstuvwxyz';

const OLD_ONLY = 0;
const ROTATED = 1;
const NEW_ONLY = 2;
const STRANGER = 3;
const OLD_TWIN = 4;

let op: OidcProviderHarness;
let apps: TestApp[] = [];
let lb: LoadBalancer;
let loginUrl: string;

beforeAll(async () => {
  op = await startOidcProvider();
  const client = { clientId: 'cookie-fleet', clientSecret: 'cookie-fleet-secret-0123456789abcdef', serverMetadataUrl: op.discoveryUrl, scope: 'openid profile' };
  const routes = [{ path: '/auth/op', client: 'op' }];
  const instances: Array<{ platform: Platform; oauth?: { stateSecret: string | string[] }; config?: Record<string, unknown> }> = [
    { platform: 'express', oauth: { stateSecret: OLD } },
    // As an environment variable would carry it: comma-separated, spaces allowed.
    { platform: 'express', config: { OAUTH_STATE_SECRET: `${NEW}, ${OLD}` } },
    { platform: 'fastify', oauth: { stateSecret: [NEW] } },
    { platform: 'fastify', oauth: { stateSecret: OTHER } },
    { platform: 'fastify', oauth: { stateSecret: OLD } },
  ];
  apps = await Promise.all(
    instances.map((i) => startTestApp({ platform: i.platform, routes, oauth: { ...i.oauth, clients: { op: client } }, config: i.config ?? {} })),
  );
  lb = await startLoadBalancer(apps.map((a) => a.origin));
  loginUrl = `${lb.origin}/auth/op`;
  await op.addClient({ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [loginUrl] });
});
afterAll(async () => {
  await lb?.close();
  await Promise.all(apps.map((a) => a.close()));
  await op?.close();
});

const tokenRequests = (): number => op.count(PROVIDER_PATHS.token, 'POST');

function stateCookies(res: BrowserResponse): string[] {
  return res.headers.getSetCookie().filter((c) => c.startsWith('oauth_s_'));
}

function expectMismatch(res: BrowserResponse): void {
  expect(res.status, res.text).toBe(401);
  expect(res.json()).toMatchObject({ statusCode: 401, error: 'mismatching_state' });
}

async function expectLogin(res: BrowserResponse): Promise<void> {
  expect(res.status, res.text).toBe(200);
  expect(res.json<{ oauth: { client: string; userinfo: { sub: string } } }>().oauth).toMatchObject({ client: 'op', userinfo: { sub: ALICE.sub } });
}

describe('the cookie store across instances', () => {
  it('instances sharing a secret accept each other\'s cookies, on Express and Fastify', async () => {
    for (const [from, to] of [
      [OLD_ONLY, OLD_TWIN],
      [OLD_TWIN, OLD_ONLY],
    ]) {
      const browser = new Browser();
      const { login, callback } = await loginOn(browser, loginUrl, from!, op.issuer);
      const [cookie] = stateCookies(login);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(cookie).toMatch(/;\s*SameSite=Lax/i);
      expect(login.headers.getSetCookie().some((c) => c.startsWith('oauth_bind='))).toBe(false);
      await expectLogin(await getOn(browser, callback, to!));
    }
  });

  it('the used cookie is cleared: the same browser replaying on another instance is refused before any token request', async () => {
    const browser = new Browser();
    const { callback } = await loginOn(browser, loginUrl, ROTATED, op.issuer);
    const done = await getOn(browser, callback, NEW_ONLY);
    await expectLogin(done);
    expect(stateCookies(done).every((c) => /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c))).toBe(true);
    expect(Object.keys(browser.cookies(loginUrl)).filter((n) => n.startsWith('oauth_s_'))).toEqual([]);
    const before = tokenRequests();
    expectMismatch(await getOn(browser, callback, ROTATED));
    expect(tokenRequests()).toBe(before);
  });

  it('rotation: a login started under the old secret completes on an instance listing [new, old]', async () => {
    const browser = new Browser();
    const { callback } = await loginOn(browser, loginUrl, OLD_ONLY, op.issuer);
    await expectLogin(await getOn(browser, callback, ROTATED));
  });

  it('rotation: the first secret of the list encrypts, so an instance knowing only the new one reads it and one knowing only the old one cannot', async () => {
    const toNew = new Browser();
    const first = await loginOn(toNew, loginUrl, ROTATED, op.issuer);
    await expectLogin(await getOn(toNew, first.callback, NEW_ONLY));
    const back = new Browser();
    const second = await loginOn(back, loginUrl, NEW_ONLY, op.issuer);
    await expectLogin(await getOn(back, second.callback, ROTATED));

    const toOld = new Browser();
    const { callback } = await loginOn(toOld, loginUrl, ROTATED, op.issuer);
    const before = tokenRequests();
    expectMismatch(await getOn(toOld, callback, OLD_ONLY));
    expect(tokenRequests()).toBe(before);
  });

  it('an instance with only another secret refuses the cookie, both ways, before any token request', async () => {
    const pairs: Array<[number, number]> = [
      [OLD_ONLY, STRANGER],
      [ROTATED, STRANGER],
      [NEW_ONLY, STRANGER],
      [OLD_TWIN, STRANGER],
      [STRANGER, OLD_ONLY],
      [STRANGER, ROTATED],
      [STRANGER, NEW_ONLY],
    ];
    for (const [from, to] of pairs) {
      const browser = new Browser();
      const { callback } = await loginOn(browser, loginUrl, from, op.issuer);
      const before = tokenRequests();
      expectMismatch(await getOn(browser, callback, to));
      expect(tokenRequests()).toBe(before);
    }
  });

  it('no instance logged a provider error', () => {
    expect(op.serverErrors).toEqual([]);
  });
});
