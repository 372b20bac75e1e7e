/**
 * OpenID Connect logins through `OAuthGuard` against a real provider (oidc-provider),
 * on Express and Fastify: discovery, client authentication, PKCE, state stores,
 * two-route logins, returnTo and the registry.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuth2Client, OAuthRegistry, type OAuthClientConfig, type OAuthResult, type OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp, type TestAppOptions } from '../support/nest-app.js';
import {
  ALICE,
  PROVIDER_PATHS,
  loginForCallbackUrl,
  loginThroughApp,
  startAppLogin,
  startOidcProvider,
  type ClientMetadata,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';

interface GuardedBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

let seq = 0;

describe.each(PLATFORMS)('OpenID Connect login on %s', (platform) => {
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
    await t?.close();
    t = undefined;
    expect(op.serverErrors).toEqual([]);
  });

  /** A fresh client id, so every test registers its own redirect URIs. */
  const nextId = (kind: string): string => `${platform}-${kind}-${++seq}`;

  async function app(opts: Omit<TestAppOptions, 'platform'>): Promise<TestApp> {
    t = await startTestApp({ platform, ...opts });
    return t;
  }

  async function register(metadata: ClientMetadata, origin: string, paths: string[]): Promise<void> {
    await op.addClient({ ...metadata, redirect_uris: paths.map((p) => `${origin}${p}`) });
  }

  function expectAuthorizationRedirect(url: URL, clientId: string, redirectUri: string): void {
    expect(url.origin + url.pathname).toBe(`${op.issuer}${PROVIDER_PATHS.authorization}`);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(redirectUri);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  }

  function expectLoggedIn(body: GuardedBody, clientName: string, clientId: string): OAuth2Token {
    expect(body.oauth).not.toBeNull();
    const oauth = body.oauth!;
    expect(oauth.client).toBe(clientName);
    expect(oauth.token.access_token).toEqual(expect.any(String));
    expect(oauth.token.id_token).toEqual(expect.any(String));
    expect(oauth.token.token_type.toLowerCase()).toBe('bearer');
    const now = Math.floor(Date.now() / 1000);
    expect(oauth.token.expires_at).toBeGreaterThan(now + 3500);
    expect(oauth.token.expires_at).toBeLessThanOrEqual(now + 3601);
    expect(oauth.userinfo).toMatchObject({ sub: 'alice', iss: op.issuer, aud: clientId });
    return oauth.token;
  }

  describe.each([
    { kind: 'basic', method: 'client_secret_basic', secret: 'basic secret: with +&% chars', via: 'config object' },
    { kind: 'post', method: 'client_secret_post', secret: 'post-secret-0123456789', via: 'module options' },
    { kind: 'public', method: 'none', secret: undefined, via: 'config JSON string' },
  ] as const)('with a $method client from $via', ({ kind, method, secret, via }) => {
    it('logs in: 302 to the provider with state, PKCE and nonce, then 200 with the token and ID token claims', async () => {
      const clientId = nextId(kind);
      const client: OAuthClientConfig = {
        clientId,
        serverMetadataUrl: op.discoveryUrl,
        scope: 'openid email profile',
        ...(secret === undefined ? {} : { clientSecret: secret }),
        ...(method === 'client_secret_post' ? { tokenEndpointAuthMethod: method } : {}),
      };
      const routes = [{ path: '/auth/op', client: 'op' }];
      const a =
        via === 'module options'
          ? await app({ routes, oauth: { clients: { op: client } } })
          : await app({ routes, config: { OAUTH_CLIENTS: via === 'config object' ? { op: client } : JSON.stringify({ op: client }) } });
      await register(
        { client_id: clientId, token_endpoint_auth_method: method, ...(secret === undefined ? {} : { client_secret: secret }) },
        a.origin,
        ['/auth/op'],
      );

      const browser = new Browser();
      const { login, authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
      expect(login.text).not.toContain('"oauth"');
      expectAuthorizationRedirect(authorizationUrl, clientId, `${a.origin}/auth/op`);
      expect(op.count(PROVIDER_PATHS.token)).toBe(0);

      const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
      expect(new URL(callbackUrl).searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
      const callback = await browser.get(callbackUrl);
      expect(callback.status).toBe(200);
      expectLoggedIn(callback.json<GuardedBody>(), 'op', clientId);
      expect(op.count(PROVIDER_PATHS.token, 'POST')).toBe(1);
      // The provider would have refused the wrong client authentication; check it was the configured one.
      const tokenRequest = op.requests.find((r) => r.path === PROVIDER_PATHS.token)!;
      if (method === 'client_secret_basic') expect(tokenRequest.headers.authorization).toMatch(/^Basic /);
      else expect(tokenRequest.headers.authorization).toBeUndefined();
    });
  });

  it('keeps pending logins in the session with stateStore "session"', async () => {
    const clientId = nextId('session');
    const a = await app({
      session: true,
      routes: [{ path: '/auth/op', client: 'op' }],
      oauth: { stateStore: 'session' },
      config: { OAUTH_CLIENTS: { op: { clientId, clientSecret: 'session-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid email profile' } } },
    });
    await register({ client_id: clientId, client_secret: 'session-secret' }, a.origin, ['/auth/op']);

    const browser = new Browser();
    const { login, authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    expectAuthorizationRedirect(authorizationUrl, clientId, `${a.origin}/auth/op`);
    // No state cookie of the cookie store: the session holds the pending login.
    expect(login.headers.getSetCookie().filter((c) => c.startsWith('oauth_s_'))).toEqual([]);
    expect(Object.keys(browser.cookies(a.origin)).length).toBeGreaterThan(0);

    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    // Without the session cookie the pending login cannot be found.
    const stranger = await new Browser().get(callbackUrl);
    expect(stranger.status).toBe(401);
    expect(stranger.json()).toMatchObject({ statusCode: 401, error: 'mismatching_state' });

    const callback = await browser.get(callbackUrl);
    expect(callback.status).toBe(200);
    expectLoggedIn(callback.json<GuardedBody>(), 'op', clientId);
    const replay = await browser.get(callbackUrl);
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ statusCode: 401, error: 'mismatching_state' });
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('serves two-route logins: the login route names the callback route as redirectUri', async () => {
    const clientId = nextId('tworoute');
    const a = await app({
      routes: [
        { path: '/auth/op', client: 'op', options: { redirectUri: '/auth/op/callback' } },
        { path: '/auth/op/callback', client: 'op' },
      ],
      config: { OAUTH_CLIENTS: { op: { clientId, clientSecret: 'two-route-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid email profile' } } },
    });
    await register({ client_id: clientId, client_secret: 'two-route-secret' }, a.origin, ['/auth/op/callback']);

    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    expectAuthorizationRedirect(authorizationUrl, clientId, `${a.origin}/auth/op/callback`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    expect(new URL(callbackUrl).pathname).toBe('/auth/op/callback');
    const callback = await browser.get(callbackUrl);
    expect(callback.status).toBe(200);
    expectLoggedIn(callback.json<GuardedBody>(), 'op', clientId);
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });

  it('keeps a safe ?next= as returnTo and drops unsafe ones without failing the login', async () => {
    const clientId = nextId('returnto');
    const a = await app({
      routes: [{ path: '/auth/op', client: 'op', options: { returnTo: true } }],
      oauth: { clients: { op: { clientId, clientSecret: 'return-to-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid email profile' } } },
    });
    await register({ client_id: clientId, client_secret: 'return-to-secret' }, a.origin, ['/auth/op']);
    const browser = new Browser();
    const loginWithNext = async (next: string): Promise<GuardedBody> => {
      const res = await loginThroughApp(browser, `${a.origin}/auth/op?${new URLSearchParams({ next })}`);
      expect(res.status, `next=${JSON.stringify(next)}: ${res.text}`).toBe(200);
      return res.json<GuardedBody>();
    };

    const safe = await loginWithNext('/dashboard?tab=1');
    expect(safe.oauth?.returnTo).toBe('/dashboard?tab=1');
    expectLoggedIn(safe, 'op', clientId);

    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/dash\u0001board', '/a\r\nLocation: /x']) {
      const body = await loginWithNext(next);
      expectLoggedIn(body, 'op', clientId);
      expect(body.oauth, `next=${JSON.stringify(next)}`).not.toHaveProperty('returnTo');
    }
    expect(op.count(PROVIDER_PATHS.token)).toBe(7);
  });

  it('exposes the client in the registry: userinfo with the login token returns alice', async () => {
    const clientId = nextId('registry');
    const a = await app({
      routes: [{ path: '/auth/op', client: 'op' }],
      config: { OAUTH_CLIENTS: { op: { clientId, clientSecret: 'registry-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid email profile' } } },
    });
    await register({ client_id: clientId, client_secret: 'registry-secret' }, a.origin, ['/auth/op']);
    const res = await loginThroughApp(new Browser(), `${a.origin}/auth/op`);
    expect(res.status).toBe(200);
    const token = expectLoggedIn(res.json<GuardedBody>(), 'op', clientId);

    const client = a.app.get(OAuthRegistry).get('op');
    expect(client).toBeInstanceOf(OAuth2Client);
    op.resetRequests();
    const info = await (client as OAuth2Client).userinfo({ token });
    expect(info).toEqual({ ...ALICE });
    expect(op.count(PROVIDER_PATHS.userinfo)).toBe(1);
    expect(op.requests.find((r) => r.path === PROVIDER_PATHS.userinfo)?.headers.authorization).toBe(`Bearer ${token.access_token}`);
  });
});
