import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, HttpCode, Inject, Post, Query, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import {
  OAuth2Client,
  OAuthConfigError,
  OAuthError,
  OAuthGuard,
  OAuthLogoutGuard,
  OAuthRegistry,
  OAuthToken,
  OAuthUser,
  type OAuth1Token,
  type OAuth2Token,
  type UserInfo,
} from '../lib/index.js';
import { SampleActivity } from './activity.js';
import { callApi, describeError } from './api-call.js';
import { APP_HOSTS, SAMPLE_PATHS } from './embedded-provider.js';
import { clearCookie, readCookie, setCookie, type SampleRequest, type SampleResponse } from './http.js';
import { maskToken } from './mask.js';
import { providerLabel } from './sample.config.js';
import { renderHome } from './sample.page.js';
import { SampleSessions, isOAuth2Token, type SampleSession } from './session.js';

const HTML = 'text/html; charset=utf-8';
/** Holds the `state` of an RP-initiated logout until the provider sends the browser back. */
const LOGOUT_STATE_COOKIE = 'sample.logout';

type Redirection = { url: string; statusCode?: number } | undefined;

@Controller()
export class SampleController {
  constructor(
    @Inject(OAuthRegistry) private readonly registry: OAuthRegistry,
    @Inject(SampleSessions) private readonly sessions: SampleSessions,
    @Inject(SampleActivity) private readonly activity: SampleActivity,
    @Inject(ConfigService) private readonly config: ConfigService,
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
  ) {}

  /** The home page; for a logged-in user it calls the provider's API through the client. */
  @Get()
  @Header('content-type', HTML)
  @Header('cache-control', 'no-store')
  async home(@Req() req: SampleRequest): Promise<string> {
    const session = this.sessions.current(req);
    if (!session) return this.render();
    // `{ req }`: the client asks fetchToken for this session's token, refreshing it
    // first if it is about to expire (tokenUpdate$ then stores the new one).
    const api = await callApi(this.registry.get(session.provider), { req });
    return this.render({ session, api });
  }

  // One route per provider serves both steps: the guard answers a plain GET with a
  // redirect to the provider, and completes the callback the provider sends back
  // here; only then does the handler run. Only configured providers are registered:
  // a login with another one is a 500 page naming it.
  @Get(SAMPLE_PATHS.callback)
  @UseGuards(OAuthGuard('local'))
  @Redirect('/')
  local(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse, @OAuthToken() token: OAuth2Token, @OAuthUser() user: UserInfo): void {
    this.sessions.start(req, res, { provider: 'local', claims: { ...user }, token });
  }

  @Get('auth/google')
  @UseGuards(OAuthGuard('google'))
  @Redirect('/')
  google(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse, @OAuthToken() token: OAuth2Token, @OAuthUser() user: UserInfo): void {
    this.sessions.start(req, res, { provider: 'google', claims: { ...user }, token });
  }

  /** GitHub has no ID token: the preset fetched the profile and mapped it to OpenID claim names. */
  @Get('auth/github')
  @UseGuards(OAuthGuard('github'))
  @Redirect('/')
  github(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse, @OAuthToken() token: OAuth2Token, @OAuthUser() user: UserInfo): void {
    this.sessions.start(req, res, { provider: 'github', claims: { ...user }, token });
  }

  /** OAuth 1.0a: the guard fetches the request token, sends the browser to X, and exchanges the verifier. */
  @Get('auth/twitter')
  @UseGuards(OAuthGuard('twitter'))
  @Redirect('/')
  twitter(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse, @OAuthToken() token: OAuth1Token, @OAuthUser() user: UserInfo): void {
    this.sessions.start(req, res, { provider: 'twitter', claims: { ...user }, token });
  }

  /** Refreshes the session's token at once; its tokenUpdate$ event is listed on the page. */
  @Post('refresh')
  @Redirect('/', 303)
  async refresh(@Req() req: SampleRequest): Promise<void> {
    const session = this.sessions.current(req);
    if (!session || !isOAuth2Token(session.token) || session.token.refresh_token === undefined) return;
    const client = this.registry.get(session.provider);
    if (!(client instanceof OAuth2Client)) return;
    try {
      session.token = await client.refreshToken(session.token);
    } catch (err) {
      this.activity.record('refreshToken', session.provider, `refresh failed: ${describeError(err)}`);
    }
  }

  /**
   * Ends the sample's session, revokes its tokens at the provider (RFC 7009), then
   * sends the browser to end its session there too (RP-Initiated Logout), with the
   * ID token as `id_token_hint` and a `state` it must bring back.
   */
  @Post('logout')
  @Redirect('/', 303)
  async logout(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse): Promise<Redirection> {
    const session = this.sessions.end(req, res);
    if (!session || !isOAuth2Token(session.token)) return undefined;
    const client = this.registry.get(session.provider);
    if (!(client instanceof OAuth2Client)) return undefined;
    await this.revoke(client, session.provider, session.token);
    if (session.token.id_token === undefined) return undefined;
    const state = randomBytes(16).toString('base64url');
    try {
      const url = await client.logoutUrl({
        idTokenHint: session.token.id_token,
        postLogoutRedirectUri: `${this.appOrigin(req)}${SAMPLE_PATHS.loggedOut}`,
        state,
      });
      setCookie(res, LOGOUT_STATE_COOKIE, state, { path: SAMPLE_PATHS.loggedOut, maxAge: 600 });
      return { url, statusCode: 303 };
    } catch (err) {
      // A provider without end_session_endpoint (Google): the sample's own logout is all there is.
      if (!(err instanceof OAuthError && err.code === 'logout_not_supported')) {
        this.activity.record('logoutUrl', session.provider, `no logout at the provider: ${describeError(err)}`);
      }
      return undefined;
    }
  }

  /** Where the provider sends the browser after its logout, with the state the sample gave it. */
  @Get(SAMPLE_PATHS.loggedOut)
  @Header('content-type', HTML)
  @Header('cache-control', 'no-store')
  loggedOut(@Req() req: SampleRequest, @Res({ passthrough: true }) res: SampleResponse, @Query('state') state?: string): string {
    const expected = readCookie(req, LOGOUT_STATE_COOKIE);
    clearCookie(res, LOGOUT_STATE_COOKIE, { path: SAMPLE_PATHS.loggedOut });
    const matches =
      typeof state === 'string' && expected !== undefined && state.length === expected.length && timingSafeEqual(Buffer.from(state), Buffer.from(expected));
    return this.render({
      notice: matches
        ? 'You are logged out of the sample, your tokens are revoked, and the provider ended its session.'
        : 'This logout confirmation was not started from this browser; nothing was done.',
    });
  }

  /**
   * Back-channel logout (OpenID Back-Channel Logout 1.0): the provider POSTs a logout
   * token here; the guard validates it and emits `logout$`, where the sessions of
   * that provider session are ended (SampleActivity). The spec wants a 200.
   */
  @Post(SAMPLE_PATHS.backchannel)
  @HttpCode(200)
  @UseGuards(OAuthLogoutGuard('local'))
  backchannel(): void {}

  private async revoke(client: OAuth2Client, provider: string, token: OAuth2Token): Promise<void> {
    const revoked: string[] = [];
    try {
      // The refresh token first: revoking it also ends the grant its access tokens came from.
      if (token.refresh_token !== undefined) {
        await client.revokeToken(token.refresh_token, 'refresh_token');
        revoked.push(`refresh token ${maskToken(token.refresh_token)}`);
      }
      await client.revokeToken(token.access_token, 'access_token');
      revoked.push(`access token ${maskToken(token.access_token)}`);
    } catch (err) {
      // GitHub, for one, has no RFC 7009 endpoint: its tokens live until the user revokes the app.
      const text = err instanceof OAuthConfigError ? 'the provider has no revocation endpoint; the token stays valid until it expires' : `revocation failed: ${describeError(err)}`;
      this.activity.record('revokeToken', provider, text);
      return;
    }
    // The proof: the same call that worked a moment ago, with the revoked token.
    const check = await callApi(client, { token: { access_token: token.access_token, token_type: token.token_type } });
    const outcome = check.status !== undefined ? `the API now answers ${check.status}` : `the API call failed: ${check.error ?? ''}`;
    this.activity.record('revokeToken', provider, `${revoked.join(' and ')} revoked at the provider; ${outcome}`);
  }

  /** The app's origin as this browser calls it, among the names the provider accepts. */
  private appOrigin(req: SampleRequest): string {
    const port = Number(this.config.get('PORT') ?? 3000);
    const host = req.headers.host ?? '';
    const known = APP_HOSTS.map((name) => `${name}:${port}`);
    return `http://${known.includes(host) ? host : known[0]}`;
  }

  private render(view: { session?: SampleSession; api?: Awaited<ReturnType<typeof callApi>>; notice?: string } = {}): string {
    return renderHome({
      platform: this.adapter.httpAdapter.getType(),
      providers: this.registry.names().map((name) => ({ name, label: providerLabel(name) })),
      ...(view.session ? { user: { provider: view.session.provider, claims: view.session.claims, token: view.session.token } } : {}),
      ...(view.api ? { api: view.api } : {}),
      ...(view.notice === undefined ? {} : { notice: view.notice }),
      activity: this.activity.list(),
    });
  }
}
