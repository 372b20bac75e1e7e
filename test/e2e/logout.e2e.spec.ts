/**
 * Logout against a real OpenID provider (oidc-provider with RP-Initiated and
 * Back-Channel Logout on), on Express and Fastify: a login, then the browser sent
 * to `logoutUrl`, the provider's confirm form submitted, the provider POSTing its
 * logout token to the app's `OAuthLogoutGuard` route, and the browser landing on
 * the post-logout URI with its state.
 */
import { Controller, Get, HttpCode, Module, Post, Query, Req, UseGuards } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuthLogoutGuard,
  OAuthRegistry,
  OAuthUsageError,
  type LogoutEvent,
  type OAuth2Client,
  type OAuth2Token,
  type OAuthLogout,
  type OAuthResult,
} from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { logoutAtProvider, loginThroughApp, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';

const BACKCHANNEL_PATH = '/auth/op/backchannel';
const LOGGED_OUT_PATH = '/logged-out';

@Controller()
class LogoutController {
  @Post(BACKCHANNEL_PATH)
  @HttpCode(200)
  @UseGuards(OAuthLogoutGuard('op'))
  backchannel(@Req() req: { oauth?: { logout?: OAuthLogout } }): { logout: OAuthLogout | null } {
    return { logout: req.oauth?.logout ?? null };
  }

  @Get(LOGGED_OUT_PATH)
  loggedOut(@Query() query: Record<string, string>): { query: Record<string, string> } {
    return { query };
  }
}

@Module({ controllers: [LogoutController] })
class LogoutModule {}

interface LoggedIn {
  oauth: OAuthResult & { token: OAuth2Token };
}

let seq = 0;

describe.each(PLATFORMS)('logout on %s', (platform) => {
  let op: OidcProviderHarness;
  let t: TestApp;
  let client: OAuth2Client;
  let clientId: string;
  const events: LogoutEvent[] = [];

  beforeAll(async () => {
    op = await startOidcProvider({ logout: true });
  });
  afterAll(async () => {
    await op.close();
  });

  /** A fresh app and provider client per test: each logout ends its provider session. */
  async function start(): Promise<void> {
    clientId = `${platform}-logout-${++seq}`;
    const config = { clientId, clientSecret: 'logout-secret-0123456789', serverMetadataUrl: op.discoveryUrl, scope: 'openid email profile' };
    t = await startTestApp({ platform, client: config, imports: [LogoutModule] });
    const registry = t.app.get(OAuthRegistry);
    // The redirect URI is absolute once the port is known: postLogoutRedirectUri paths resolve against its origin.
    client = registry.register('op', { ...config, redirectUri: `${t.origin}/auth/op` }, { replace: true }) as OAuth2Client;
    events.length = 0;
    registry.logout$.subscribe((e) => events.push(e));
    await op.addClient({
      client_id: clientId,
      client_secret: 'logout-secret-0123456789',
      redirect_uris: [`${t.origin}/auth/op`],
      post_logout_redirect_uris: [`${t.origin}${LOGGED_OUT_PATH}`],
      backchannel_logout_uri: `${t.origin}${BACKCHANNEL_PATH}`,
      backchannel_logout_session_required: true,
    });
  }
  afterEach(async () => {
    await t?.close();
    expect(op.serverErrors).toEqual([]);
  });

  async function login(browser: Browser): Promise<LoggedIn['oauth']> {
    const res = await loginThroughApp(browser, `${t.origin}/auth/op`);
    expect(res.status, res.text).toBe(200);
    const { oauth } = res.json<LoggedIn>();
    expect(oauth.userinfo).toMatchObject({ sub: 'alice', iss: op.issuer, aud: clientId });
    // The provider puts the session id in the ID token of a client registered for session-bound logout.
    expect(oauth.userinfo!.sid).toEqual(expect.any(String));
    return oauth;
  }

  it('RP-initiated logout ends the provider session; its back-channel logout reaches the guard (200, no-store) and logout$ carries sub and sid of that login', async () => {
    await start();
    const browser = new Browser();
    const { token, userinfo } = await login(browser);

    const url = new URL(await client.logoutUrl({ idTokenHint: token.id_token, postLogoutRedirectUri: LOGGED_OUT_PATH, state: 'after-logout-7' }));
    const metadata = await client.loadServerMetadata();
    expect(url.origin + url.pathname).toBe(metadata.end_session_endpoint);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: clientId,
      id_token_hint: token.id_token,
      post_logout_redirect_uri: `${t.origin}${LOGGED_OUT_PATH}`,
      state: 'after-logout-7',
    });
    expect(events).toEqual([]);

    const { location } = await logoutAtProvider(browser, url.toString());

    // The provider POSTed the logout token before it redirected the browser.
    const sent = op.outgoing.filter((r) => r.url === `${t.origin}${BACKCHANNEL_PATH}`);
    expect(sent).toHaveLength(1);
    expect(sent[0].method).toBe('POST');
    expect(sent[0].status).toBe(200);
    expect(sent[0].headers?.get('cache-control')).toBe('no-store');
    expect(op.backchannel.filter((d) => d.clientId === clientId)).toEqual([{ clientId, accountId: 'alice', sid: userinfo!.sid }]);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({ name: 'op', client: 'op', iss: op.issuer, sub: 'alice', sid: userinfo!.sid, jti: expect.any(String) });

    // The browser lands on the post-logout URI with the state.
    const landing = new URL(location);
    expect(landing.origin + landing.pathname).toBe(`${t.origin}${LOGGED_OUT_PATH}`);
    expect(landing.searchParams.get('state')).toBe('after-logout-7');
    const page = await browser.get(location);
    expect(page.status).toBe(200);
    expect(page.json<{ query: Record<string, string> }>().query).toEqual({ state: 'after-logout-7' });

    // The provider session is over: a new login has to authenticate again (a new sid).
    const again = await login(browser);
    expect(again.userinfo!.sid).not.toBe(userinfo!.sid);
  });

  it('the same logout token delivered twice is accepted once: the replay is a 400 and emits nothing', async () => {
    await start();
    const browser = new Browser();
    const { token } = await login(browser);
    await logoutAtProvider(browser, await client.logoutUrl({ idTokenHint: token.id_token }));
    const sent = op.outgoing.filter((r) => r.url === `${t.origin}${BACKCHANNEL_PATH}`);
    expect(sent.map((r) => r.status)).toEqual([200]);
    expect(events).toHaveLength(1);

    const replay = await fetch(`${t.origin}${BACKCHANNEL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: sent[0].body,
    });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('cache-control')).toBe('no-store');
    const body = (await replay.json()) as Record<string, unknown>;
    expect(body).toEqual({ statusCode: 400, error: 'invalid_request', message: expect.stringContaining('received before') });
    expect(events).toHaveLength(1);
  });

  it('logoutUrl: extra params never replace the named ones; unsafe or unresolvable post-logout paths are refused', async () => {
    await start();
    const url = new URL(await client.logoutUrl({ params: { client_id: 'someone-else', ui_locales: 'fr', state: 'from-params' }, state: 'named' }));
    expect(url.searchParams.getAll('client_id')).toEqual([clientId]);
    expect(url.searchParams.getAll('state')).toEqual(['named']);
    expect(url.searchParams.get('ui_locales')).toBe('fr');
    expect(url.searchParams.has('post_logout_redirect_uri')).toBe(false);

    const absolute = new URL(await client.logoutUrl({ postLogoutRedirectUri: 'https://app.example/bye?x=1' }));
    expect(absolute.searchParams.get('post_logout_redirect_uri')).toBe('https://app.example/bye?x=1');

    for (const bad of ['//evil.example/bye', '/\\evil.example', 'bye', 'javascript:alert(1)']) {
      await expect(client.logoutUrl({ postLogoutRedirectUri: bad }), bad).rejects.toMatchObject({ code: 'invalid_url' });
    }
    // Without an absolute redirectUri there is no origin to resolve a path against.
    const registry = t.app.get(OAuthRegistry);
    const relative = registry.register('rel', { clientId, serverMetadataUrl: op.discoveryUrl, redirectUri: '/auth/op' }) as OAuth2Client;
    const err = await relative.logoutUrl({ postLogoutRedirectUri: LOGGED_OUT_PATH }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthUsageError);
    expect(err).toMatchObject({ code: 'invalid_url', message: expect.stringContaining('absolute redirectUri') });
    expect(new URL(await relative.logoutUrl({ postLogoutRedirectUri: `${t.origin}${LOGGED_OUT_PATH}` })).searchParams.get('post_logout_redirect_uri')).toBe(
      `${t.origin}${LOGGED_OUT_PATH}`,
    );
  });
});
