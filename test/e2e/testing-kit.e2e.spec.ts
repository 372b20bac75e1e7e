/**
 * The testing kit as a user drives it: an app's real login route, guarded by
 * `OAuthGuard`, logs in through `MockOAuthProvider` on Express and Fastify with a
 * chosen identity and no network; then an API call, a refresh, a revocation, a
 * refused login, and the requests the provider saw.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token, type OAuthResult } from '../../lib/index.js';
import { MockOAuthProvider } from '../../lib/testing/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { loginThroughApp } from '../support/oidc-provider.js';

interface GuardedBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

describe.each(PLATFORMS)('MockOAuthProvider with OAuthGuard on %s', (platform) => {
  let mock: MockOAuthProvider;
  let t: TestApp;
  let client: OAuth2Client;

  beforeAll(async () => {
    mock = await MockOAuthProvider.start();
    t = await startTestApp({ platform, routes: [{ path: '/auth/login', client: 'idp' }], oauth: { clients: { idp: mock.clientConfig() } } });
    client = t.app.get(OAuthRegistry).get('idp') as OAuth2Client;
  });
  afterAll(async () => {
    await t.close();
    await mock.stop();
  });
  afterEach(() => mock.clearRequests());

  async function login(): Promise<OAuthResult & { token: OAuth2Token }> {
    const res = await loginThroughApp(new Browser(), `${t.origin}/auth/login`);
    expect(res.status, res.text).toBe(200);
    return res.json<GuardedBody>().oauth!;
  }

  it('logs in the identity given to nextLogin, with its claims in req.oauth.userinfo', async () => {
    mock.nextLogin({ sub: 'u-42', name: 'Grace Hopper', email: 'grace@example.com', email_verified: true, role: 'admiral' });
    const oauth = await login();
    expect(oauth.client).toBe('idp');
    expect(oauth.userinfo).toMatchObject({
      sub: 'u-42',
      name: 'Grace Hopper',
      email: 'grace@example.com',
      email_verified: true,
      role: 'admiral',
      iss: mock.issuer,
      aud: mock.clientId,
    });
    expect(mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /.well-known/openid-configuration',
      'GET /authorize',
      'POST /token',
      'GET /jwks',
    ]);
    const authorize = mock.requests[1]!;
    expect(authorize.query).toMatchObject({ client_id: mock.clientId, code_challenge_method: 'S256', scope: 'openid profile email offline_access' });
    expect(mock.requests[2]!.headers.authorization).toMatch(/^Basic /);
  });

  it('falls back to alice, and the token calls the API, refreshes and is revoked', async () => {
    const oauth = await login();
    expect(oauth.userinfo!.sub).toBe('alice');
    const me = await client.get('me', { token: oauth.token });
    expect(await me.json()).toEqual({ sub: 'alice' });

    const fresh = await client.refreshToken(oauth.token);
    expect(fresh.access_token).not.toBe(oauth.token.access_token);
    expect((await client.get('me', { token: fresh })).status).toBe(200);

    await client.revokeToken(fresh.refresh_token!, 'refresh_token');
    expect((await client.get('me', { token: fresh })).status).toBe(401);
  });

  it('answers a refused login as the provider\'s error (401 access_denied)', async () => {
    mock.failNextLogin();
    const res = await loginThroughApp(new Browser(), `${t.origin}/auth/login`);
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, error: 'access_denied' });
  });
});
