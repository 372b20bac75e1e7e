/**
 * Audit items 4 and 8, and `parseIdToken` without a nonce ("OpenID Connect
 * details"): a login is OpenID Connect when `openid` is in its effective scope,
 * wherever that scope came from (`authorizeParams.scope`, the guard's `params`), so
 * a nonce is sent and an ID token is required and checked; with `max_age` (or
 * `prompt=login`) sent, `auth_time` must be present and recent enough;
 * `parseIdToken(token, undefined)` is an error, not a skipped check. Against the
 * real oidc-provider where it behaves, the hostile provider where it must not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token, type OAuthClientConfig, type OAuthResult } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileProvider, type LoginWalk } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp, type TestRoute } from '../support/nest-app.js';
import { loginForCallbackUrl, PROVIDER_PATHS, startAppLogin, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';

const A_DAY = 86_400;

interface Body {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

function expectRefused(walk: LoginWalk, status: number, error: string): void {
  expect(walk.callback?.status, walk.callback?.text ?? `login ${walk.login.status}: ${walk.login.text}`).toBe(status);
  expect(walk.callback!.json()).toEqual({ statusCode: status, error, message: expect.any(String) });
}

describe.each(PLATFORMS)('OpenID Connect details on %s', (platform) => {
  describe('against the hostile provider', () => {
    let op: HostileProvider;
    let app: TestApp;

    beforeAll(async () => {
      op = await startHostileProvider();
      const { scope: _scope, ...noScope } = op.client;
      const routes: TestRoute[] = [
        // openid only in authorizeParams: the client's scope says nothing.
        { path: '/auth/ap', client: 'ap' },
        // openid only in the guard's params; the client's own scope has none.
        { path: '/auth/gp', client: 'plain', options: { params: { scope: 'openid profile' } } },
        { path: '/auth/max-age', client: 'oidc', options: { params: { max_age: '60' } } },
        { path: '/auth/prompt-login', client: 'oidc', options: { params: { prompt: 'login' } } },
        { path: '/auth/oidc', client: 'oidc' },
      ];
      const clients: Record<string, OAuthClientConfig> = {
        ap: { ...noScope, authorizeParams: { scope: 'openid' } },
        plain: { ...noScope, scope: 'profile' },
        oidc: op.client,
      };
      app = await startTestApp({ platform, routes, oauth: { clients } });
    });
    afterAll(async () => {
      await app.close();
      await op.close();
    });
    afterEach(() => op.reset());

    const walk = (path: string) => walkLogin(new Browser(), `${app.origin}${path}`, op);

    it.each(['/auth/ap', '/auth/gp'])('%s: a nonce is sent and the ID token carrying it is accepted', async (path) => {
      const w = await walk(path);
      const sent = op.authorizations.at(-1)!;
      expect(sent.scope?.split(' ')).toContain('openid');
      expect(sent.nonce).toMatch(/^[\w-]{43}$/);
      expect(w.callback?.status, w.callback?.text).toBe(200);
      expect(w.callback!.json<Body>().oauth?.userinfo).toMatchObject({ sub: 'user-1', nonce: sent.nonce });
    });

    it.each(['/auth/ap', '/auth/gp'])("%s: an ID token with another login's nonce is 401 invalid_id_token", async (path) => {
      op.scenario = { idToken: { claims: (c) => (c.nonce = 'the-nonce-of-another-login-0123456789abcdefgh') } };
      const w = await walk(path);
      expectRefused(w, 401, 'invalid_id_token');
    });

    it.each(['/auth/ap', '/auth/gp'])('%s: an ID token without nonce is 401 invalid_id_token', async (path) => {
      op.scenario = { idToken: { claims: (c) => delete c.nonce } };
      expectRefused(await walk(path), 401, 'invalid_id_token');
    });

    it.each(['/auth/ap', '/auth/gp'])('%s: a token response without id_token is 502 invalid_response', async (path) => {
      op.scenario = { token: { edit: (body) => delete body.id_token } };
      const w = await walk(path);
      expectRefused(w, 502, 'invalid_response');
      expect(op.count(HOSTILE_PATHS.userinfo, w.mark)).toBe(0);
    });

    it.each([
      ['max_age=60', '/auth/max-age'],
      ['prompt=login', '/auth/prompt-login'],
    ])('%s: a day-old auth_time is 401 invalid_id_token', async (_name, path) => {
      op.scenario = { idToken: { claims: (c, ctx) => (c.auth_time = ctx.now - A_DAY) } };
      expectRefused(await walk(path), 401, 'invalid_id_token');
    });

    it.each([
      ['max_age=60', '/auth/max-age'],
      ['prompt=login', '/auth/prompt-login'],
    ])('%s: a missing auth_time is 401 invalid_id_token', async (_name, path) => {
      op.scenario = { idToken: { claims: (c) => delete c.auth_time } };
      expectRefused(await walk(path), 401, 'invalid_id_token');
    });

    it.each([
      ['max_age=60', '/auth/max-age'],
      ['prompt=login', '/auth/prompt-login'],
    ])('%s: a fresh auth_time is accepted (control)', async (_name, path) => {
      const w = await walk(path);
      expect(w.callback?.status, w.callback?.text).toBe(200);
    });

    it('without max_age a day-old auth_time is fine (control)', async () => {
      op.scenario = { idToken: { claims: (c, ctx) => (c.auth_time = ctx.now - A_DAY) } };
      expect((await walk('/auth/oidc')).callback?.status).toBe(200);
    });

    it('parseIdToken(token, undefined) is invalid_id_token; the nonce that was sent verifies', async () => {
      const w = await walk('/auth/oidc');
      expect(w.callback?.status, w.callback?.text).toBe(200);
      const token = w.callback!.json<Body>().oauth!.token;
      const client = app.app.get(OAuthRegistry).get<OAuth2Client>('oidc');
      const nonce = op.authorizations.at(-1)!.nonce!;
      await expect(client.parseIdToken(token, undefined as unknown as string)).rejects.toMatchObject({ code: 'invalid_id_token' });
      await expect(client.parseIdToken(token, '')).rejects.toMatchObject({ code: 'invalid_id_token' });
      await expect(client.parseIdToken(token, 'another-nonce')).rejects.toMatchObject({ code: 'invalid_id_token' });
      await expect(client.parseIdToken(token, nonce)).resolves.toMatchObject({ sub: 'user-1', nonce });
    });
  });

  describe('against oidc-provider', () => {
    let op: OidcProviderHarness;
    let app: TestApp;
    const clientId = `${platform}-security-openid`;
    const clientSecret = 'security-openid-secret-0123456789abcdef';

    beforeAll(async () => {
      op = await startOidcProvider();
      const base = { clientId, clientSecret, serverMetadataUrl: op.discoveryUrl };
      app = await startTestApp({
        platform,
        routes: [
          { path: '/auth/ap', client: 'ap' },
          { path: '/auth/gp', client: 'plain', options: { params: { scope: 'openid email' } } },
          { path: '/auth/max-age', client: 'oidc', options: { params: { max_age: '60' } } },
        ],
        oauth: {
          clients: {
            ap: { ...base, authorizeParams: { scope: 'openid email' } },
            plain: { ...base, scope: 'email' },
            oidc: { ...base, scope: 'openid' },
          },
        },
      });
      await op.addClient({
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: ['/auth/ap', '/auth/gp', '/auth/max-age'].map((p) => `${app.origin}${p}`),
      });
    });
    afterAll(async () => {
      await app.close();
      await op.close();
    });

    it.each(['/auth/ap', '/auth/gp', '/auth/max-age'])('%s: the nonce sent comes back in the validated ID token', async (path) => {
      const browser = new Browser();
      const { authorizationUrl } = await startAppLogin(browser, `${app.origin}${path}`);
      const nonce = authorizationUrl.searchParams.get('nonce');
      expect(nonce).toMatch(/^[\w-]{43}$/);
      const res = await browser.get(await loginForCallbackUrl(browser, authorizationUrl.toString(), app.origin));
      expect(res.status, res.text).toBe(200);
      const { oauth } = res.json<Body>();
      expect(oauth?.userinfo).toMatchObject({ sub: 'alice', nonce, iss: op.issuer });
      expect(typeof oauth?.token.id_token).toBe('string');
      expect(op.count(PROVIDER_PATHS.token)).toBeGreaterThan(0);
      expect(op.serverErrors).toEqual([]);
    });
  });
});
