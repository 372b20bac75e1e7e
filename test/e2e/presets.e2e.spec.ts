/**
 * Every provider preset through `OAuthGuard` on Express and Fastify, against its
 * provider's dialect of the testing kit (which refuses what the provider refuses):
 * login -> callback -> normalised user info -> an API call -> refresh where the
 * provider has one. The authorization URL (scope separator, PKCE, nonce,
 * `response_mode` and the provider's own parameters), the token request as the
 * provider received it, and `req.oauth.userinfo` against the golden profile of
 * test/fixtures/presets/<name>.json.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  OAuthRegistry,
  PRESET_NAMES,
  type OAuth2Client,
  type OAuth2Token,
  type OAuthResult,
  type PresetName,
} from '../../lib/index.js';
import { MockOAuthProvider } from '../../lib/testing/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { loginAtProvider, startAppLogin } from '../support/oidc-provider.js';
import { golden, stable } from '../support/preset-fixtures.js';

const PROTOCOL_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'nonce']);

interface GuardedBody {
  oauth: OAuthResult | null;
}

/** Plays the user: the provider's redirect (GET) or form_post (POST) back to the app. */
async function completeAtProvider(browser: Browser, authorizationUrl: URL, app: TestApp) {
  const back = await loginAtProvider(browser, authorizationUrl.toString(), app.origin);
  if (typeof back === 'string') return { res: await browser.get(back), formPost: false };
  return { res: await browser.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) }), formPost: true };
}

describe.each(PLATFORMS)('provider presets through OAuthGuard on %s', (platform) => {
  let mock: MockOAuthProvider | undefined;
  let t: TestApp | undefined;

  afterEach(async () => {
    await t?.close();
    await mock?.stop();
    t = undefined;
    mock = undefined;
  });

  async function appFor(name: PresetName, options: Record<string, unknown> = {}): Promise<TestApp> {
    t = await startTestApp({
      platform,
      routes: [{ path: `/auth/${name}`, client: name }],
      oauth: { clients: { [name]: mock!.clientConfig(options) } },
    });
    return t;
  }

  describe.each(PRESET_NAMES)('%s', (name) => {
    it('login -> callback -> normalised user info -> API call -> refresh', async () => {
      const g = golden(name);
      mock = await MockOAuthProvider.start({ as: name });
      mock.nextLogin(g.login, { raw: g.raw ?? {} });
      const app = await appFor(name, g.options ?? {});
      const browser = new Browser();

      // 1. The login: 302 to the provider with its dialect's authorization request.
      const { authorizationUrl } = await startAppLogin(browser, `${app.origin}/auth/${name}`);
      expect(authorizationUrl.origin).toBe(mock.origin);
      if (g.tokenRequest.auth === 'oauth1') {
        expect(authorizationUrl.pathname).toBe(g.authorization.path);
        expect(authorizationUrl.searchParams.get('oauth_token')).toEqual(expect.any(String));
      } else {
        expect(authorizationUrl.searchParams.get('scope')).toBe(g.authorization.scope);
        expect(authorizationUrl.search).not.toMatch(/scope=[^&]*(%2C|,)/);
        expect(authorizationUrl.searchParams.has('code_challenge')).toBe(g.authorization.pkce);
        expect(authorizationUrl.searchParams.has('nonce')).toBe(g.authorization.nonce);
        const extras = Object.fromEntries([...authorizationUrl.searchParams].filter(([k]) => !PROTOCOL_PARAMS.has(k)));
        expect(extras).toEqual(g.authorization.params ?? {});
      }

      // 2. The callback, and what the guard leaves on req.oauth.
      const { res, formPost } = await completeAtProvider(browser, authorizationUrl, app);
      expect(formPost).toBe(g.authorization.params?.response_mode === 'form_post');
      expect(res.status, res.text).toBe(formPost ? 201 : 200);
      const oauth = res.json<GuardedBody>().oauth!;
      expect(oauth.client).toBe(name);
      expect(oauth.userinfo).toBeDefined();
      expect(stable(oauth.userinfo!)).toEqual(g.userinfo);

      // 3. The token request as the provider received it.
      const tokenRequests = mock.requests.filter((r) => r.path === g.tokenRequest.path && r.method === 'POST');
      expect(tokenRequests).toHaveLength(1);
      const sent = tokenRequests[0]!;
      if (g.tokenRequest.auth === 'oauth1') {
        expect(sent.headers.authorization).toMatch(/^OAuth .*oauth_verifier=/);
      } else {
        expect(Object.keys(sent.form ?? {}).sort()).toEqual(g.tokenRequest.body);
        expect(sent.headers.authorization?.startsWith('Basic ') ?? false).toBe(g.tokenRequest.auth === 'basic');
        expect('client_secret' in (sent.form ?? {})).toBe(g.tokenRequest.auth === 'post');
        const token = oauth.token as OAuth2Token;
        expect(token.scope === undefined || typeof token.scope === 'string').toBe(true);
      }

      // 4. An API call with the token, through the client (the preset's protectedRequest applies).
      const client = app.app.get(OAuthRegistry).get(name);
      if (g.api) {
        const api = await client.request(g.api.method, g.api.path.replace('{origin}', mock.origin), { token: oauth.token as never });
        expect(api.status, await api.clone().text()).toBe(200);
      }

      // 5. Refresh, where the provider gives a refresh token; the new token works.
      expect(typeof (oauth.token as OAuth2Token).refresh_token === 'string').toBe(g.refresh);
      if (g.refresh) {
        const old = oauth.token as OAuth2Token;
        const fresh = await (client as OAuth2Client).refreshToken(old);
        expect(fresh.access_token).not.toBe(old.access_token);
        expect(typeof fresh.refresh_token).toBe('string');
        if (g.api) {
          const api = await client.request(g.api.method, g.api.path.replace('{origin}', mock.origin), { token: fresh as never });
          expect(api.status).toBe(200);
        }
      }
    });
  });

  describe('from settings', () => {
    it('"preset": "github" with the id and secret from flat keys logs in and normalises the user', async () => {
      const g = golden('github');
      mock = await MockOAuthProvider.start({ as: 'github' });
      mock.nextLogin(g.login, { raw: g.raw ?? {} });
      const urls = mock.clientConfig();
      t = await startTestApp({
        platform,
        routes: [{ path: '/auth/gh', client: 'gh' }],
        config: {
          OAUTH_CLIENTS: JSON.stringify({
            gh: { preset: 'github', authorizeUrl: urls.authorizeUrl, accessTokenUrl: urls.accessTokenUrl, apiBaseUrl: urls.apiBaseUrl, userinfoUrl: urls.userinfoUrl },
          }),
          OAUTH_GH_CLIENT_ID: mock.clientId,
          OAUTH_GH_CLIENT_SECRET: mock.clientSecret,
        },
      });
      const browser = new Browser();
      const { authorizationUrl } = await startAppLogin(browser, `${t.origin}/auth/gh`);
      expect(authorizationUrl.searchParams.get('scope')).toBe('read:user user:email');
      const { res } = await completeAtProvider(browser, authorizationUrl, t);
      expect(res.status, res.text).toBe(200);
      expect(stable(res.json<GuardedBody>().oauth!.userinfo!)).toEqual(g.userinfo);
    });

    it('"preset": "microsoft" takes its tenant and allowedTenants from settings, and refuses another tenant', async () => {
      const g = golden('microsoft');
      mock = await MockOAuthProvider.start({ as: 'microsoft' });
      const urls = mock.clientConfig({ tenant: 'organizations' });
      t = await startTestApp({
        platform,
        routes: [{ path: '/auth/entra', client: 'entra' }],
        config: {
          OAUTH_CLIENTS: { entra: { preset: 'microsoft', serverMetadataUrl: urls.serverMetadataUrl, issuer: urls.issuer, tenant: 'organizations' } },
          OAUTH_ENTRA_CLIENT_ID: mock.clientId,
          OAUTH_ENTRA_CLIENT_SECRET: mock.clientSecret,
          OAUTH_ENTRA_ALLOWED_TENANTS: JSON.stringify([g.login.tid]),
        },
      });
      const browser = new Browser();
      mock.nextLogin(g.login);
      const first = await completeAtProvider(browser, (await startAppLogin(browser, `${t.origin}/auth/entra`)).authorizationUrl, t);
      expect(first.res.status, first.res.text).toBe(200);
      expect(first.res.json<GuardedBody>().oauth!.userinfo).toMatchObject({ tid: g.login.tid, sub: g.login.sub });
      mock.nextLogin({ ...g.login, tid: 'cccccccc-0000-0000-0000-00000000000c' });
      const other = await completeAtProvider(browser, (await startAppLogin(browser, `${t.origin}/auth/entra`)).authorizationUrl, t);
      expect(other.res.status).toBe(401);
      expect(other.res.json()).toMatchObject({ statusCode: 401, error: 'invalid_id_token' });
    });

    it('"preset": "apple" without teamId fails bootstrap with an OAuthConfigError naming the client and field', async () => {
      mock = await MockOAuthProvider.start({ as: 'apple' });
      const key = mock.apple!;
      await expect(
        startTestApp({
          platform,
          routes: [{ path: '/auth/apple', client: 'apple' }],
          config: { OAUTH_CLIENTS: { apple: { preset: 'apple', clientId: 'com.example.web', keyId: key.keyId, privateKey: key.privateKey } } },
        }),
      ).rejects.toMatchObject({ name: 'OAuthConfigError', client: 'apple', field: 'teamId' });
    });
  });
});
