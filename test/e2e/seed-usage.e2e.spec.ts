/**
 * The seed's own surface (Authlib's Django client page), without the guard, on
 * Express and Fastify: clients configured the way its `AUTHLIB_OAUTH_CLIENTS` and
 * `oauth.register('google', …)` are, two routes of the app's own calling
 * `authorizeRedirect(req, res)` and `authorizeAccessToken(req, res)` (its
 * `authorize_redirect` / `authorize_access_token`), for OAuth 1.0a against
 * Authlib's own server and OpenID Connect against oidc-provider;
 * `createAuthorizationUrl` and `parseIdToken(token, nonce)` used directly; the
 * `token_update` signal as a `tokenUpdate$` subscriber; and the seed's exact
 * `AUTHLIB_OAUTH_CLIENTS` example loaded as JSON.
 */
import { createHash } from 'node:crypto';
import { Controller, Get, Inject, Module, Param, Req, Res } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuth1Client,
  OAuth2Client,
  OAuthError,
  OAuthException,
  OAuthRegistry,
  type OAuth1Token,
  type OAuth2Token,
  type OAuthToken,
} from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';
import { ALICE, PROVIDER_PATHS, loginForCallbackUrl, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

/**
 * The seed's two routes, as a Nest controller:
 *
 *     def login(request):
 *         redirect_uri = request.build_absolute_uri('/authorize')
 *         return oauth.twitter.authorize_redirect(request, redirect_uri)
 *
 *     def authorize(request):
 *         token = oauth.twitter.authorize_access_token(request)
 */
@Controller()
class SeedController {
  constructor(@Inject(OAuthRegistry) private readonly oauth: OAuthRegistry) {}

  @Get('login/:name')
  async login(@Param('name') name: string, @Req() req: unknown, @Res() res: unknown): Promise<void> {
    // A path: resolved against the request's origin, as build_absolute_uri does.
    await this.oauth.get(name).authorizeRedirect(req, res, { redirectUri: `/authorize/${name}` });
  }

  @Get('authorize/:name')
  async authorize(@Param('name') name: string, @Req() req: unknown, @Res({ passthrough: true }) res: unknown): Promise<{ token: OAuthToken }> {
    try {
      return { token: await this.oauth.get(name).authorizeAccessToken(req, res) };
    } catch (err) {
      // What the guard would answer; the app decides, as a Django view would.
      throw err instanceof OAuthError ? new OAuthException(err) : err;
    }
  }
}

@Module({ controllers: [SeedController] })
class SeedModule {}

/** The seed's example, verbatim but for Python's None, which JSON spells null. */
const SEED_AUTHLIB_OAUTH_CLIENTS = `{
  "twitter": {
    "client_id": "Twitter Consumer Key",
    "client_secret": "Twitter Consumer Secret",
    "request_token_url": "https://api.twitter.com/oauth/request_token",
    "request_token_params": null,
    "access_token_url": "https://api.twitter.com/oauth/access_token",
    "access_token_params": null,
    "refresh_token_url": null,
    "authorize_url": "https://api.twitter.com/oauth/authenticate",
    "api_base_url": "https://api.twitter.com/1.1/",
    "client_kwargs": null
  }
}`;

const SECRET = 'seed-secret-0123456789abcdef0123456789abcdef';

let op: OidcProviderHarness;
let rs: ResourceServer;
let oauth1: OAuth1Server;
let t: TestApp | undefined;
let seq = 0;

beforeAll(async () => {
  op = await startOidcProvider();
  const rsId = 'seed-rs';
  const rsSecret = 'seed-rs-secret-0123456789abcdef0123456789';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startResourceServer({ introspectionUrl: `${op.issuer}${PROVIDER_PATHS.introspection}`, clientId: rsId, clientSecret: rsSecret });
  oauth1 = await startOAuth1Server();
});
afterAll(async () => {
  await rs?.close();
  await op?.close();
  await oauth1?.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  expect(op.serverErrors).toEqual([]);
});

/**
 * An app with the seed's routes and, in `OAUTH_CLIENTS`, the seed's Twitter entry
 * pointed at Authlib's server and its `register('google', …)` pointed at
 * oidc-provider, in Authlib's spelling.
 */
async function startSeedApp(platform: Platform): Promise<{ app: TestApp; googleId: string }> {
  const googleId = `seed-${++seq}`;
  const clients = {
    twitter: {
      client_id: oauth1.clients.hmac.clientId,
      client_secret: oauth1.clients.hmac.clientSecret,
      request_token_url: `${oauth1.origin}/initiate`,
      request_token_params: null,
      access_token_url: `${oauth1.origin}/token`,
      access_token_params: null,
      refresh_token_url: null,
      authorize_url: `${oauth1.origin}/authorize`,
      api_base_url: `${oauth1.origin}/api/`,
      client_kwargs: null,
    },
    google: {
      client_id: googleId,
      client_secret: SECRET,
      server_metadata_url: op.discoveryUrl,
      authorize_params: { prompt: 'consent' },
      api_base_url: `${rs.origin}/api/`,
      client_kwargs: { scope: 'openid profile email offline_access' },
    },
  };
  t = await startTestApp({ platform, imports: [SeedModule], config: { OAUTH_CLIENTS: JSON.stringify(clients) } });
  await op.addClient({ client_id: googleId, client_secret: SECRET, redirect_uris: [`${t.origin}/authorize/google`] });
  return { app: t, googleId };
}

describe.each(PLATFORMS)("the seed's usage without the guard on %s", (platform: Platform) => {
  it('OAuth 1.0a (Twitter at Authlib): authorize_redirect answers 302 with the temporary credential, authorize_access_token returns the token, the API call is signed', async () => {
    const { app } = await startSeedApp(platform);
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/login/twitter`);
    expect(login.status, login.text).toBe(302);
    const authorizeUrl = new URL(login.location!);
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${oauth1.origin}/authorize`);
    const callback = new URL((await browser.get(authorizeUrl.toString())).location!);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${app.origin}/authorize/twitter`);
    expect(callback.searchParams.get('oauth_token')).toBe(authorizeUrl.searchParams.get('oauth_token'));

    const res = await browser.get(callback.toString());
    expect(res.status, res.text).toBe(200);
    const { token } = res.json<{ token: OAuth1Token }>();
    expect(token).toMatchObject({ user_id: 'alice', screen_name: 'alice' });
    expect(token.oauth_token).toMatch(/^\w{20,}$/);
    expect(token.oauth_token_secret).toMatch(/^\w{20,}$/);

    const twitter = app.app.get(OAuthRegistry).get<OAuth1Client>('twitter');
    expect(twitter).toBeInstanceOf(OAuth1Client);
    const me = await twitter.get('me', { token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user_id: 'alice', method: 'GET', signature_method: 'HMAC-SHA1' });

    // The temporary credential was single use.
    const replay = await browser.get(callback.toString());
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ error: 'mismatching_state' });
  });

  it("OpenID Connect (the seed's google registration at oidc-provider): token['userinfo'] holds the validated ID token claims; parseIdToken(token, nonce) checks them again", async () => {
    const { app, googleId } = await startSeedApp(platform);
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/login/google`);
    expect(login.status, login.text).toBe(302);
    const sentRequest = new URL(login.location!).searchParams;
    expect(sentRequest.get('redirect_uri')).toBe(`${app.origin}/authorize/google`);
    const callback = await loginForCallbackUrl(browser, login.location!, app.origin);
    const res = await browser.get(callback);
    expect(res.status, res.text).toBe(200);
    const { token } = res.json<{ token: OAuth2Token }>();
    const userinfo = token.userinfo!;
    expect(userinfo).toMatchObject({ iss: op.issuer, sub: ALICE.sub, aud: googleId, nonce: sentRequest.get('nonce') });

    const google = app.app.get(OAuthRegistry).get<OAuth2Client>('google');
    expect(google).toBeInstanceOf(OAuth2Client);
    expect(await google.parseIdToken(token, sentRequest.get('nonce')!)).toEqual(userinfo);
    await expect(google.parseIdToken(token, 'another-nonce')).rejects.toMatchObject({ code: 'invalid_id_token' });
    await expect(google.parseIdToken(token, '')).rejects.toMatchObject({
      code: 'invalid_id_token',
      message: 'parseIdToken needs the nonce sent with the login; it was not given.',
    });
    const { id_token: _dropped, ...withoutIdToken } = token;
    await expect(google.parseIdToken(withoutIdToken as OAuth2Token, sentRequest.get('nonce')!)).rejects.toMatchObject({
      code: 'invalid_id_token',
      message: 'The token has no id_token.',
    });
    // userinfo(): the provider's userinfo endpoint with this token (Authlib's oauth.google.userinfo(token=token)).
    expect(await google.userinfo({ token })).toMatchObject({ sub: ALICE.sub, email: ALICE.email, name: ALICE.name });
  });

  it("the token_update signal: a tokenUpdate$ subscriber finds the stored row by refresh_token and updates it, as the seed's receiver does", async () => {
    const { app } = await startSeedApp(platform);
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/login/google`);
    const res = await browser.get(await loginForCallbackUrl(browser, login.location!, app.origin));
    expect(res.status, res.text).toBe(200);
    const { token } = res.json<{ token: OAuth2Token }>();

    // The app's OAuth2Token table, one row per login.
    const rows: Array<{ name: string; access_token: string; refresh_token?: string; expires_at?: number }> = [
      { name: 'google', access_token: token.access_token, refresh_token: token.refresh_token!, expires_at: token.expires_at! },
    ];
    const registry = app.app.get(OAuthRegistry);
    const receiver = registry.tokenUpdate$.subscribe(({ name, token: fresh, refreshToken, accessToken }) => {
      const item = refreshToken
        ? rows.find((r) => r.name === name && r.refresh_token === refreshToken)
        : rows.find((r) => r.name === name && r.access_token === accessToken);
      if (!item) return;
      item.access_token = fresh.access_token;
      item.refresh_token = fresh.refresh_token;
      item.expires_at = fresh.expires_at;
    });
    try {
      const expired = { ...token, expires_at: Math.floor(Date.now() / 1000) - 5 };
      const api = await registry.get<OAuth2Client>('google').get('me', { token: expired });
      expect(api.status).toBe(200);
      const answer = (await api.json()) as ResourceAnswer;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.access_token).not.toBe(token.access_token);
      expect(answer.authorization).toBe(`Bearer ${rows[0]!.access_token}`);
      // oidc-provider rotates refresh tokens: the row holds the new one.
      expect(rows[0]!.refresh_token).not.toBe(token.refresh_token);
      expect(rows[0]!.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000));
    } finally {
      receiver.unsubscribe();
    }
  });

  it('createAuthorizationUrl builds the URL and returns what the callback needs, storing nothing; the providers accept the URLs', async () => {
    const { app, googleId } = await startSeedApp(platform);
    const registry = app.app.get(OAuthRegistry);

    const google = registry.get<OAuth2Client>('google');
    const redirectUri = `${app.origin}/authorize/google`;
    const rv = await google.createAuthorizationUrl({ redirectUri, params: { ui_locales: 'en' } });
    const url = new URL(rv.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${op.issuer}${PROVIDER_PATHS.authorization}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: googleId,
      redirect_uri: redirectUri,
      state: rv.state,
      scope: 'openid profile email offline_access',
      code_challenge: createHash('sha256').update(rv.code_verifier!).digest('base64url'),
      code_challenge_method: 'S256',
      nonce: rv.nonce,
      prompt: 'consent',
      ui_locales: 'en',
    });
    expect(rv).toMatchObject({ redirect_uri: redirectUri, openid: true });
    const browser = new Browser();
    const back = new URL(await loginForCallbackUrl(browser, rv.url, app.origin));
    expect(back.searchParams.get('state')).toBe(rv.state);
    expect(back.searchParams.get('code')).toMatch(/.{20,}/);
    // Nothing was stored for this state: the app's callback refuses it.
    const refused = await browser.get(back.toString());
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ error: 'mismatching_state' });

    const twitter = registry.get<OAuth1Client>('twitter');
    const rv1 = await twitter.createAuthorizationUrl({ redirectUri: `${app.origin}/authorize/twitter` });
    expect(rv1.state).toBe(rv1.oauth_token);
    expect(rv1.oauth_token_secret).toMatch(/^\w{20,}$/);
    expect(rv1.url).toBe(`${oauth1.origin}/authorize?oauth_token=${rv1.oauth_token}`);
    const authorized = new URL((await browser.get(rv1.url)).location!);
    expect(`${authorized.origin}${authorized.pathname}`).toBe(`${app.origin}/authorize/twitter`);
    expect(authorized.searchParams.get('oauth_token')).toBe(rv1.oauth_token);
    expect(authorized.searchParams.get('oauth_verifier')).toMatch(/\w+/);
  });

  it("the seed's exact AUTHLIB_OAUTH_CLIENTS example, as JSON in OAUTH_CLIENTS, boots and gives an OAuth1Client named twitter", async () => {
    t = await startTestApp({ platform, config: { OAUTH_CLIENTS: SEED_AUTHLIB_OAUTH_CLIENTS } });
    const registry = t.app.get(OAuthRegistry);
    expect(registry.names()).toEqual(['twitter']);
    const twitter = registry.get('twitter');
    expect(twitter).toBeInstanceOf(OAuth1Client);
    expect(twitter.name).toBe('twitter');
    expect(twitter.kind).toBe('oauth1');
    // The app serves; nothing was fetched from Twitter to boot.
    expect((await new Browser().get(`${t.origin}/health`)).json()).toEqual({ ok: true });
  });
});
