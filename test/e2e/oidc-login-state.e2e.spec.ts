/**
 * The state of OpenID Connect logins against a real provider, on Express and Fastify:
 * single use, binding to the browser, forged callbacks, concurrent logins, form_post.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OAuthResult, OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import {
  PROVIDER_PATHS,
  loginForCallbackUrl,
  loginForFormPost,
  startAppLogin,
  startOidcProvider,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';

interface GuardedBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

/** A completed login; a POST callback (form_post) answers Nest's POST default, 201. */
function expectOk(res: { status: number; text: string; json<T>(): T }, status = 200): GuardedBody {
  expect(res.status, res.text).toBe(status);
  const body = res.json<GuardedBody>();
  expect(body.oauth?.client).toBe('op');
  expect(body.oauth?.token.access_token).toEqual(expect.any(String));
  expect(body.oauth?.userinfo?.sub).toBe('alice');
  return body;
}

function expectMismatchingState(res: { status: number; text: string; json<T>(): T }): void {
  expect(res.status, res.text).toBe(401);
  expect(res.json()).toEqual({ statusCode: 401, error: 'mismatching_state', message: expect.any(String) });
}

let seq = 0;

describe.each(PLATFORMS)('OpenID Connect login state on %s', (platform) => {
  let op: OidcProviderHarness;
  let t: TestApp | undefined;

  beforeAll(async () => {
    op = await startOidcProvider();
  });
  afterAll(async () => {
    await op.close();
  });
  beforeEach(() => op.resetRequests());
  afterEach(async () => {
    op.interactionOutcome = 'approve';
    await t?.close();
    t = undefined;
    expect(op.serverErrors).toEqual([]);
  });

  /** An app with one client `op` at `/auth/op`, registered at the provider. */
  async function appWithClient(authorizeParams?: Record<string, string>): Promise<{ a: TestApp; clientId: string }> {
    const clientId = `${platform}-state-${++seq}`;
    const secret = `state-secret-${seq}`;
    t = await startTestApp({
      platform,
      routes: [{ path: '/auth/op', client: 'op' }],
      config: {
        OAUTH_CLIENTS: {
          op: {
            clientId,
            clientSecret: secret,
            serverMetadataUrl: op.discoveryUrl,
            scope: 'openid email profile',
            ...(authorizeParams ? { authorizeParams } : {}),
          },
        },
      },
    });
    await op.addClient({ client_id: clientId, client_secret: secret, redirect_uris: [`${t.origin}/auth/op`] });
    return { a: t, clientId };
  }

  it('refuses a replayed callback with mismatching_state, sending nothing to the provider', async () => {
    const { a } = await appWithClient();
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    expectOk(await browser.get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);

    expectMismatchingState(await browser.get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('refuses a replay from a copy of the cookie jar taken before the callback', async () => {
    const { a } = await appWithClient();
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    const copy = new Browser();
    browser.copyTo(copy);
    expectOk(await browser.get(callbackUrl));
    expectMismatchingState(await copy.get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('refuses a callback from a browser without the state cookie, and the real one still completes', async () => {
    const { a } = await appWithClient();
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);

    expectMismatchingState(await new Browser().get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(0);

    expectOk(await browser.get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('refuses error=access_denied with a forged state, and the pending login still completes', async () => {
    const { a } = await appWithClient();
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);

    const forged = await browser.get(`${a.origin}/auth/op?${new URLSearchParams({ error: 'access_denied', state: 'forged-state-value-0123456789abcdefghijklmn' })}`);
    expectMismatchingState(forged);

    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    expectOk(await browser.get(callbackUrl));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('answers 401 access_denied when the user denies at the provider', async () => {
    const { a } = await appWithClient();
    op.interactionOutcome = 'deny';
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const res = await browser.get(callbackUrl);
    expect(res.status, res.text).toBe(401);
    expect(res.json()).toEqual({ statusCode: 401, error: 'access_denied', message: expect.any(String) });
    expect(op.count(PROVIDER_PATHS.token)).toBe(0);
  });

  it('completes five logins started in one browser in reverse order', async () => {
    const { a } = await appWithClient();
    const browser = new Browser();
    const started: URL[] = [];
    for (let i = 0; i < 5; i++) started.push((await startAppLogin(browser, `${a.origin}/auth/op`)).authorizationUrl);
    expect(new Set(started.map((u) => u.searchParams.get('state'))).size).toBe(5);

    const tokens = new Set<string>();
    for (const url of started.toReversed()) {
      const callbackUrl = await loginForCallbackUrl(browser, url.toString(), a.origin);
      const body = expectOk(await browser.get(callbackUrl));
      tokens.add(body.oauth!.token.access_token);
    }
    expect(tokens.size).toBe(5);
    expect(op.count(PROVIDER_PATHS.token)).toBe(5);
  });

  it('completes a form_post login from the provider\'s auto-submit form', async () => {
    const { a } = await appWithClient({ response_mode: 'form_post' });
    const browser = new Browser();
    const { login, authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    expect(authorizationUrl.searchParams.get('response_mode')).toBe('form_post');
    // The form is a cross-site POST: only a SameSite=None (and so Secure) cookie travels with it.
    const stateCookies = login.headers.getSetCookie().filter((c) => c.startsWith('__Host-oauth_s_none='));
    expect(stateCookies).toHaveLength(1);
    expect(stateCookies[0]).toContain('SameSite=None');
    expect(stateCookies[0]).toContain('Secure');

    const form = await loginForFormPost(browser, authorizationUrl.toString(), a.origin);
    expect(form.action).toBe(`${a.origin}/auth/op`);
    expect(form.fields.state).toBe(authorizationUrl.searchParams.get('state'));
    expect(form.fields.code).toEqual(expect.any(String));

    const res = await browser.request(form.action, { method: 'POST', body: new URLSearchParams(form.fields) });
    expectOk(res, 201);
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);

    // The same form posted again is a replay.
    expectMismatchingState(await browser.request(form.action, { method: 'POST', body: new URLSearchParams(form.fields) }));
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });
});
