import { OAuthResponseError, OAuthTokenUpdateError, OAuthUsageError, OAuthValidationError } from '../../errors/oauth.error.js';
import type { LogoutEvent, LogoutUrlOptions } from '../../interfaces/logout-event.interface.js';
import type { OAuth2Token, TokenUpdateEvent, UserInfo } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { ConsumedStates } from '../../state/consumed-states.js';
import { BaseOAuthClient } from '../base.client.js';
import type { ClientContext } from '../client-context.js';
import { missingEndpoint } from '../missing-endpoint.js';
import { validateLogoutToken } from '../oidc/logout-token.validator.js';
import type { ServerMetadata } from '../oidc/server-metadata.js';
import type { AuthorizationResult, AuthorizeOptions, CallbackParams } from '../protocol-client.js';
import { runHook } from '../run-hook.js';
import { appendQuery, buildAuthorizationRequest, type OAuth2AuthorizationRequest, type PendingOAuth2Login } from './authorization-request.js';
import { authorizationCode, callbackState } from './authorization-response.js';
import { ClientCredentialsTokens } from './client-credentials.js';
import { createDpopSigner, type DpopSigner } from './dpop.js';
import { EndpointResolver, type OAuth2Endpoints } from './endpoints.js';
import { pushAuthorizationRequest, pushedAuthorizationEndpoint, pushedAuthorizationUrl } from './pushed-authorization.js';
import { IdTokenVerifier } from './id-token.verifier.js';
import { buildLogoutUrl } from './logout-url.js';
import { TokenEndpointCaller } from './token-endpoint.js';
import { TokenPresenter } from './token-presenter.js';
import { checkRevocation, parseIntrospection, tokenManagementBody, type TokenTypeHint } from './token-management.js';
import { assertSameSubject, TokenRefresher } from './token-refresher.js';
import { fetchUserinfo } from './userinfo.js';
import { mappedProfile, rawProfile, type ProfileSource } from '../profile.js';

const CALLBACK_PARAMS = ['code', 'error', 'state'];

/** An OAuth 2.0 / OpenID Connect client. */
export class OAuth2Client extends BaseOAuthClient<OAuth2Token> {
  readonly kind = 'oauth2' as const;
  private readonly endpointResolver: EndpointResolver;
  private readonly idTokens: IdTokenVerifier;
  private readonly tokenEndpoint: TokenEndpointCaller;
  private readonly refresher: TokenRefresher;
  private readonly clientCredentials: ClientCredentialsTokens;
  private readonly dpop?: DpopSigner;
  private readonly presenter: TokenPresenter;
  /** `jti`s of accepted logout tokens (OpenID Back-Channel Logout 1.0 section 2.6 step 8). */
  private readonly logoutTokenIds = new ConsumedStates(DEFAULTS.maxLogoutTokenIds);

  /** @internal Clients are built by `OAuthRegistry`. */
  constructor(ctx: ClientContext) {
    super(ctx);
    const http = () => this.http;
    this.endpointResolver = new EndpointResolver(ctx.config, http);
    this.idTokens = new IdTokenVerifier(ctx.config, this.endpointResolver, http);
    this.dpop = createDpopSigner(ctx.config.dpop, { client: ctx.config.name, warn: (m) => ctx.logger.warn(m) });
    this.tokenEndpoint = new TokenEndpointCaller(ctx.config, http, this.dpop);
    this.presenter = new TokenPresenter(ctx.config.tokenPlacement, this.dpop);
    const announce = (event: TokenUpdateEvent) => this.announce(event);
    this.refresher = new TokenRefresher({
      name: ctx.config.name,
      refreshLeeway: () => this.settings.refreshLeeway,
      request: (old, refreshToken) => this.requestRefresh(old, refreshToken),
      announce,
      ...(ctx.refreshCoordinator ? { coordinator: ctx.refreshCoordinator } : {}),
      timeoutMs: () => this.http.timeout,
    });
    this.clientCredentials = new ClientCredentialsTokens(ctx.config.name, () => this.requestClientCredentials({}), announce);
  }

  /** The discovery document, or one made of the configured endpoints. @throws OAuthTransportError, OAuthResponseError */
  loadServerMetadata(): Promise<ServerMetadata> {
    return this.endpointResolver.serverMetadata();
  }

  /** Fetches the provider's keys; `force` refetches now. */
  fetchJwkSet(force = false): Promise<unknown[]> {
    return this.idTokens.jwks.refresh(force);
  }

  /** @internal The merged endpoints. */
  endpoints(): Promise<OAuth2Endpoints> {
    return this.endpointResolver.get();
  }

  /**
   * The authorization URL (RFC 6749 4.1.1) with state, PKCE and, for OpenID
   * Connect, a nonce; and what the callback needs. Stores nothing.
   */
  async createAuthorizationUrl(opts: AuthorizeOptions = {}): Promise<OAuth2AuthorizationRequest> {
    const redirectUri = this.absoluteRedirectUri(opts.redirectUri);
    const endpoints = await this.endpoints();
    const endpoint = endpoints.authorizationEndpoint;
    if (!endpoint) throw missingEndpoint(this.name, 'authorization endpoint', 'authorizeUrl');
    const { params, pending } = buildAuthorizationRequest(this.settings, redirectUri, opts, this.dpop?.thumbprint);
    const hook = this.settings.hooks?.authorizationParams;
    const sent = hook ? await runHook(this.name, 'authorizationParams', () => hook(params)) : params;
    const url = (this.settings.pushedAuthorizationRequests ?? endpoints.requirePushedAuthorizationRequests)
      ? await this.pushed(endpoint, sent, endpoints)
      : appendQuery(endpoint, sent);
    const request: OAuth2AuthorizationRequest = { url, ...pending };
    return request;
  }

  /** RFC 9126: the parameters go to the provider over the back channel; the browser carries `request_uri` only. */
  private async pushed(authorizationEndpoint: string, params: URLSearchParams, endpoints: OAuth2Endpoints): Promise<string> {
    const what = 'pushed authorization request endpoint';
    const parEndpoint = pushedAuthorizationEndpoint(this.name, {
      pushed_authorization_request_endpoint: endpoints.pushedAuthorizationRequestEndpoint,
    });
    const { requestUri } = await pushAuthorizationRequest({
      endpoint: parEndpoint,
      params: Object.fromEntries(params),
      send: (url, form, headers) => this.tokenEndpoint.postOnce(url, form, endpoints.issuer, what, undefined, headers),
      ...(this.dpop ? { dpop: this.dpop } : {}),
    });
    return pushedAuthorizationUrl(authorizationEndpoint, this.settings.clientId, requestUri);
  }

  /** @internal */
  isCallback(params: CallbackParams): boolean {
    return CALLBACK_PARAMS.some((p) => params.has(p));
  }

  /** @internal State first: nothing else in a callback is trusted until it is known (RFC 6749 10.12). */
  callbackKey(params: CallbackParams): string {
    return callbackState(params);
  }

  /** @internal Called by the login layer once the pending login of `callbackKey` was taken. */
  async completeAuthorization(params: CallbackParams, stored: Readonly<Record<string, unknown>>): Promise<AuthorizationResult<OAuth2Token>> {
    const pending = stored as Partial<PendingOAuth2Login>;
    if (typeof pending.redirect_uri !== 'string') {
      throw new OAuthValidationError('mismatching_state', 'The pending login of this callback is unreadable; start the login again.');
    }
    const endpoints = await this.endpoints();
    const code = authorizationCode(params, endpoints);
    // The code exchange, with the same redirect_uri and the PKCE verifier (RFC 7636 4.5).
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirect_uri });
    if (typeof pending.code_verifier === 'string') body.set('code_verifier', pending.code_verifier);
    for (const [k, v] of Object.entries(this.settings.accessTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const token = await this.tokenEndpoint.token(endpoints.tokenEndpoint, body, endpoints.issuer, 'token endpoint');
    if (pending.openid === true && token.id_token === undefined) {
      throw new OAuthResponseError('invalid_response', 'The token endpoint answered without an id_token although "openid" was requested.');
    }
    if (token.id_token !== undefined) {
      token.userinfo = await this.idTokens.verify(token, endpoints, {
        nonce: typeof pending.nonce === 'string' ? pending.nonce : null,
        ...(typeof pending.max_age === 'number' ? { maxAge: pending.max_age } : {}),
      });
    }
    const claims = token.userinfo;
    const src = this.profileSource(token, endpoints.userinfoEndpoint);
    if (this.settings.fetchUserinfo) {
      // The profile is part of this login: merged over the ID token claims, its `sub`
      // must be the ID token's, if any.
      const raw = await rawProfile(src, token, claims, params);
      return { token, userinfo: await mappedProfile(src, { ...claims, ...raw }, token, claims?.sub) };
    }
    // A preset maps even ID token claims to OpenID names (Slack's namespaced ones).
    if (claims && src.hooks?.userinfo) return { token, userinfo: await mappedProfile(src, claims, token, claims.sub) };
    return token.userinfo ? { token, userinfo: token.userinfo } : { token };
  }

  /**
   * Validates the ID token of `token` against the nonce sent with its login.
   * @throws OAuthValidationError `invalid_id_token`, also when no nonce is given:
   * a missing nonce is an error, never a skipped check.
   */
  async parseIdToken(token: OAuth2Token, nonce: string): Promise<UserInfo> {
    if (typeof token.id_token !== 'string') {
      throw new OAuthValidationError('invalid_id_token', 'The token has no id_token.');
    }
    if (typeof nonce !== 'string' || nonce === '') {
      throw new OAuthValidationError('invalid_id_token', 'parseIdToken needs the nonce sent with the login; it was not given.');
    }
    return this.idTokens.verify(token, await this.endpoints(), { nonce });
  }

  /**
   * Calls the userinfo endpoint with `token` (refreshed first when it expires) or
   * the token `fetchToken` gives for `req` (Authlib's `userinfo(request=...)`); the
   * `userinfo` hook maps the answer to OpenID claims.
   * @throws OAuthValidationError `invalid_userinfo` when its `sub` differs from the ID token's.
   */
  async userinfo(opts: { token?: OAuth2Token; req?: unknown } = {}): Promise<UserInfo> {
    const fresh = await this.prepareToken(await this.resolveToken(opts));
    const src = this.profileSource(fresh, (await this.endpoints()).userinfoEndpoint);
    return mappedProfile(src, await rawProfile(src, fresh, fresh.userinfo, undefined), fresh, fresh.userinfo?.sub);
  }

  /** Where a profile comes from: the preset's calls, else the userinfo endpoint. */
  private profileSource(token: OAuth2Token, userinfoUrl: string | undefined): ProfileSource {
    return {
      client: this.name,
      hooks: this.settings.hooks,
      userinfo: () => {
        if (!userinfoUrl) throw missingEndpoint(this.name, 'userinfo endpoint', 'userinfoUrl');
        return fetchUserinfo(userinfoUrl, token, this.http, this.presenter.signerFor(token));
      },
      request: (method, url, o) => this.request(method, url, { ...o, token }),
    };
  }

  /**
   * Refreshes `token` (RFC 6749 section 6). Concurrent and repeated calls with the
   * same refresh token share one request.
   * @throws OAuthUsageError `token_expired` without a refresh token; OAuthTokenUpdateError when `updateToken` throws.
   */
  refreshToken(token: OAuth2Token): Promise<OAuth2Token> {
    const refreshToken = token.refresh_token;
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      return Promise.reject(new OAuthUsageError('token_expired', `The token of OAuth client "${this.name}" has no refresh_token; log in again.`));
    }
    return this.refresher.refresh(token, refreshToken);
  }

  private async requestRefresh(old: OAuth2Token, refreshToken: string): Promise<OAuth2Token> {
    const endpoints = await this.endpoints();
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    for (const [k, v] of Object.entries(this.settings.refreshTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const token = await this.tokenEndpoint.token(endpoints.refreshEndpoint, body, endpoints.issuer, 'refresh endpoint', 'refresh');
    // RFC 6749 section 6: a response without refresh_token keeps the old one.
    if (token.refresh_token === undefined) token.refresh_token = refreshToken;
    if (token.id_token !== undefined) {
      const claims = await this.idTokens.verify(token, endpoints, { nonce: null });
      assertSameSubject(old, claims);
      token.userinfo = claims;
    } else if (old.userinfo !== undefined) {
      token.userinfo = old.userinfo;
      if (old.id_token !== undefined) token.id_token = old.id_token;
    }
    return token;
  }

  private async announce(event: TokenUpdateEvent): Promise<void> {
    const update = this.settings.updateToken ?? this.ctx.updateToken;
    if (update) {
      try {
        await update(event);
      } catch (cause) {
        throw new OAuthTokenUpdateError(
          `updateToken failed for OAuth client "${this.name}"; the new token is on this error's "token" property.`,
          event.token,
          cause,
        );
      }
    }
    this.ctx.emitTokenUpdate(event);
  }

  /**
   * The URL that ends the user's session at the provider (OpenID RP-Initiated
   * Logout 1.0): its `end_session_endpoint` with `client_id` and the given
   * parameters. Send the browser there after ending the app's own session.
   * @throws OAuthUsageError `logout_not_supported` when the provider publishes no
   * end_session_endpoint; `invalid_url` for a `postLogoutRedirectUri` path without
   * an absolute `redirectUri` to resolve it against.
   */
  async logoutUrl(opts: LogoutUrlOptions = {}): Promise<string> {
    const endpoint = (await this.endpoints()).endSessionEndpoint;
    if (!endpoint) {
      throw new OAuthUsageError(
        'logout_not_supported',
        `The provider of OAuth client "${this.name}" publishes no end_session_endpoint (OpenID RP-Initiated Logout); end the app's own session only.`,
      );
    }
    return buildLogoutUrl({ name: this.name, clientId: this.settings.clientId, redirectUri: this.settings.redirectUri }, endpoint, opts);
  }

  /**
   * Validates a back-channel logout token (OpenID Back-Channel Logout 1.0 section
   * 2.6) and announces it on `registry.logout$`, as `OAuthLogoutGuard` does, for
   * apps that receive it on their own route. Each token is accepted once.
   * @throws OAuthValidationError `invalid_logout_token` (answer 400); transport and
   * response errors while fetching the provider's keys.
   */
  async verifyLogoutToken(jwt: string): Promise<LogoutEvent> {
    const endpoints = await this.endpoints();
    if (!endpoints.issuer) {
      throw new OAuthValidationError('invalid_logout_token', `OAuth client "${this.name}" received a logout token but knows no issuer: set issuer or serverMetadataUrl.`);
    }
    const claims = await validateLogoutToken(jwt, {
      ...this.idTokens.signatureRules(endpoints),
      issuer: endpoints.issuer,
      clientId: this.settings.clientId,
      leeway: this.settings.leeway,
      seen: this.logoutTokenIds,
    });
    const event: LogoutEvent = Object.freeze({ name: this.name, client: this.name, ...claims });
    this.ctx.emitLogout(event);
    return event;
  }

  /** RFC 7009 token revocation. */
  async revokeToken(token: OAuth2Token | string, hint?: TokenTypeHint): Promise<void> {
    const what = 'revocation endpoint';
    const endpoints = await this.endpoints();
    if (!endpoints.revocationEndpoint) throw missingEndpoint(this.name, what, 'revocationUrl');
    const body = tokenManagementBody(token, hint);
    checkRevocation(await this.tokenEndpoint.post(endpoints.revocationEndpoint, body, endpoints.issuer, what, 'revokeTokenRequest'), what);
  }

  /** RFC 7662 token introspection. */
  async introspectToken(token: OAuth2Token | string, hint?: TokenTypeHint): Promise<Record<string, unknown>> {
    const what = 'introspection endpoint';
    const endpoints = await this.endpoints();
    if (!endpoints.introspectionEndpoint) throw missingEndpoint(this.name, what, 'introspectionUrl');
    const body = tokenManagementBody(token, hint);
    return parseIntrospection(await this.tokenEndpoint.post(endpoints.introspectionEndpoint, body, endpoints.issuer, what, 'introspectTokenRequest'), what);
  }

  /** RFC 6749 section 4.4: a token for the client itself. */
  async fetchClientCredentialsToken(params: Record<string, string> = {}): Promise<OAuth2Token> {
    return this.clientCredentials.remember(await this.requestClientCredentials(params));
  }

  private async requestClientCredentials(params: Record<string, string>): Promise<OAuth2Token> {
    const endpoints = await this.endpoints();
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = this.settings.scope;
    if (scope) body.set('scope', scope);
    for (const [k, v] of Object.entries({ ...this.settings.accessTokenParams, ...params })) body.set(k, v);
    body.set('grant_type', 'client_credentials');
    return this.tokenEndpoint.token(endpoints.tokenEndpoint, body, endpoints.issuer, 'token endpoint');
  }

  /** Refreshes a token that expires within `refreshLeeway`; others are used as they are. */
  protected override async prepareToken(token: OAuth2Token): Promise<OAuth2Token> {
    if (typeof token.access_token !== 'string') {
      throw new OAuthUsageError('missing_token', `The token given to OAuth client "${this.name}" has no access_token; nothing was sent.`);
    }
    if (!this.refresher.expiresSoon(token)) return token;
    if (token.refresh_token) return this.refreshToken(token);
    if (this.clientCredentials.isOwn(token) || this.isClientCredentialsOnly()) {
      return this.clientCredentials.refetch(token.access_token);
    }
    throw new OAuthUsageError('token_expired', `The token of OAuth client "${this.name}" has expired and has no refresh_token; nothing was sent.`);
  }

  private isClientCredentialsOnly(): boolean {
    return !this.settings.authorizeUrl && !this.settings.serverMetadataUrl;
  }

  protected override transmit(
    token: OAuth2Token,
    method: string,
    url: URL,
    send: (extra: Record<string, string>) => Promise<Response>,
    replayable: boolean,
  ): Promise<Response> {
    return this.presenter.transmit(token, method, url, send, replayable);
  }

  protected authorizeRequest(token: OAuth2Token, _method: string, url: URL, headers: Record<string, string>, form: URLSearchParams | undefined): void {
    this.presenter.attach(token, url, headers, form);
  }
}
