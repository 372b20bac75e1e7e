import { decodeJwt } from 'jose';
import { DEFAULTS } from '../../oauth.constants.js';
import {
  OAuthConfigError,
  OAuthError,
  OAuthProviderError,
  OAuthResponseError,
  OAuthTokenUpdateError,
  OAuthValidationError,
} from '../../oauth.errors.js';
import { expectSuccess, parseJsonObject, providerRequest } from '../../http/provider-http.js';
import type { OAuth2Token, TokenUpdateEvent, UserInfo } from '../../interfaces/oauth-token.interface.js';
import type { PlatformRequest, PlatformResponse } from '../../platform/http-platform.js';
import { BaseOAuthClient, single, type StartLoginOptions } from '../base.client.js';
import type { AuthorizeOptions, CallbackOptions, ClientContext, LoginResult } from '../client-context.js';
import { validateIdToken } from '../oidc/id-token.validator.js';
import { JwksCache } from '../oidc/jwks-cache.js';
import { ServerMetadataLoader, type ServerMetadata } from '../oidc/server-metadata.js';
import { ClientAuthenticator } from './client-auth.js';
import { randomToken, s256Challenge } from './pkce.js';
import { OAUTH_ERROR_CODE, parseTokenResponse, throwIfOAuthError } from './token-response.js';

/** Endpoints of a client: configured ones win, discovery fills the rest. */
export interface OAuth2Endpoints {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  refreshEndpoint?: string;
  userinfoEndpoint?: string;
  jwksUri?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  idTokenSigningAlgs?: readonly string[];
  issParameterSupported: boolean;
}

/** What an OAuth 2 login keeps between redirect and callback. */
interface PendingOAuth2Login {
  c: string;
  redirect_uri: string;
  code_verifier?: string;
  nonce?: string;
  openid?: boolean;
  returnTo?: string;
}

type TokenTypeHint = 'access_token' | 'refresh_token';

/** One refresh token's refresh: in flight, or answered and (perhaps not yet) stored. */
interface RefreshEntry {
  at: number;
  promise: Promise<OAuth2Token>;
  busy: boolean;
  /** The provider's answer, once received. */
  token?: OAuth2Token;
  event?: TokenUpdateEvent;
  /** `updateToken` resolved and `tokenUpdate$` emitted. */
  announced: boolean;
}

const CALLBACK_PARAMS = ['code', 'error', 'state'];
// A callback carrying tokens is an implicit or hybrid response this client never
// asked for; accepting it would skip the code exchange and its checks (RFC 9700 2.1.2).
const FORBIDDEN_CALLBACK_PARAMS = ['access_token', 'id_token', 'token'];
const REFRESH_RESULT_TTL_MS = 5 * 60_000;

/** An OAuth 2.0 / OpenID Connect client. */
export class OAuth2Client extends BaseOAuthClient<OAuth2Token> {
  readonly kind = 'oauth2' as const;
  private readonly metadata?: ServerMetadataLoader;
  private readonly jwks: JwksCache;
  private readonly auth: ClientAuthenticator;
  /** Refreshes in flight or just done, by refresh token: one refresh per refresh token. */
  private readonly refreshes = new Map<string, RefreshEntry>();
  /** Tokens this client obtained with client credentials; those are re-fetched, not refreshed. */
  private readonly clientCredentialTokens = new WeakSet<object>();
  /** Re-fetches of client-credentials tokens in flight, by the access token they replace. */
  private readonly refetches = new Map<string, Promise<OAuth2Token>>();
  private endpointCache?: { source: ServerMetadata | undefined; endpoints: OAuth2Endpoints };

  constructor(ctx: ClientContext) {
    super(ctx);
    const c = ctx.config;
    if (c.serverMetadataUrl) {
      this.metadata = new ServerMetadataLoader(c.serverMetadataUrl, c.issuer, () => this.http);
    }
    this.jwks = new JwksCache(async () => {
      const url = (await this.endpoints()).jwksUri;
      if (!url) {
        throw new OAuthValidationError('invalid_id_token', `OAuth client "${this.name}" has no JWKS: set jwksUrl or serverMetadataUrl.`);
      }
      return url;
    }, () => this.http);
    this.auth = new ClientAuthenticator(c);
  }

  /** The discovery document, or one made of the configured endpoints. */
  async loadServerMetadata(): Promise<ServerMetadata> {
    const c = this.config;
    const discovered = this.metadata ? await this.metadata.get() : undefined;
    const doc: ServerMetadata = { ...(discovered ?? {}), issuer: c.issuer ?? discovered?.issuer ?? '' };
    const set = (key: string, value: string | undefined) => {
      if (value !== undefined) doc[key] = value;
    };
    set('authorization_endpoint', c.authorizeUrl);
    set('token_endpoint', c.accessTokenUrl);
    set('userinfo_endpoint', c.userinfoUrl);
    set('jwks_uri', c.jwksUrl);
    set('revocation_endpoint', c.revocationUrl);
    set('introspection_endpoint', c.introspectionUrl);
    return doc;
  }

  /** Fetches the provider's keys; `force` refetches now. */
  fetchJwkSet(force = false): Promise<unknown[]> {
    return this.jwks.refresh(force);
  }

  protected async endpoints(): Promise<OAuth2Endpoints> {
    // Recomputed only when discovery hands out a new document (after its TTL).
    const discovered = this.metadata ? await this.metadata.get() : undefined;
    if (this.endpointCache && this.endpointCache.source === discovered) return this.endpointCache.endpoints;
    const endpoints = await this.computeEndpoints();
    this.endpointCache = { source: discovered, endpoints };
    return endpoints;
  }

  private async computeEndpoints(): Promise<OAuth2Endpoints> {
    const m = await this.loadServerMetadata();
    const c = this.config;
    return {
      issuer: m.issuer === '' ? undefined : m.issuer,
      authorizationEndpoint: m.authorization_endpoint,
      tokenEndpoint: m.token_endpoint,
      refreshEndpoint: c.refreshTokenUrl ?? m.token_endpoint,
      userinfoEndpoint: m.userinfo_endpoint,
      jwksUri: m.jwks_uri,
      revocationEndpoint: m.revocation_endpoint,
      introspectionEndpoint: m.introspection_endpoint,
      idTokenSigningAlgs: m.id_token_signing_alg_values_supported,
      issParameterSupported: m.authorization_response_iss_parameter_supported === true,
    };
  }

  private scopeOf(opts?: AuthorizeOptions): string | undefined {
    if (opts?.scope !== undefined) {
      return (Array.isArray(opts.scope) ? opts.scope.join(' ') : String(opts.scope)).split(/\s+/).filter(Boolean).join(' ');
    }
    return this.config.scope;
  }

  async createAuthorizationUrl(opts: AuthorizeOptions = {}): Promise<{
    url: string;
    state: string;
    redirect_uri: string;
    code_verifier?: string;
    nonce?: string;
    openid: boolean;
  }> {
    return this.buildAuthorization(undefined, opts);
  }

  private async buildAuthorization(req: PlatformRequest | undefined, opts: AuthorizeOptions) {
    const c = this.config;
    const redirectUri = this.redirectUriFor(req, opts.redirectUri);
    const endpoint = (await this.endpoints()).authorizationEndpoint;
    if (!endpoint) {
      throw new OAuthConfigError(`OAuth client "${this.name}" has no authorization endpoint: set authorizeUrl or serverMetadataUrl.`, {
        client: this.name,
        field: 'authorizeUrl',
      });
    }
    const scope = this.scopeOf(opts);
    const openid = scope?.split(' ').includes('openid') ?? false;
    const state = randomToken();
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: c.clientId,
      redirect_uri: redirectUri,
      state,
    };
    if (scope) params.scope = scope;
    let codeVerifier: string | undefined;
    if (c.codeChallengeMethod === 'S256') {
      codeVerifier = randomToken();
      params.code_challenge = s256Challenge(codeVerifier);
      params.code_challenge_method = 'S256';
    }
    let nonce: string | undefined;
    if (openid) {
      nonce = randomToken();
      params.nonce = nonce;
    }
    // Extra parameters may add to the request but never replace what protects it.
    const protectedNames = new Set(Object.keys(params));
    for (const extra of [c.authorizeParams, opts.params]) {
      for (const [k, v] of Object.entries(extra ?? {})) {
        if (!protectedNames.has(k)) params[k] = v;
      }
    }
    // One serialisation of the query, appended to any the endpoint already has
    // (parameters of the endpoint's own query keep their place).
    const [base, existing] = splitQuery(endpoint);
    const query = new URLSearchParams(existing);
    for (const [k, v] of Object.entries(params)) query.set(k, v);
    return {
      url: `${base}?${query.toString()}`,
      state,
      redirect_uri: redirectUri,
      ...(codeVerifier === undefined ? {} : { code_verifier: codeVerifier }),
      ...(nonce === undefined ? {} : { nonce }),
      openid,
      responseMode: params.response_mode,
    };
  }

  async startLogin(req: PlatformRequest, res: PlatformResponse, opts: StartLoginOptions = {}): Promise<string> {
    const auth = await this.buildAuthorization(req, opts);
    const pending: PendingOAuth2Login = { c: this.name, redirect_uri: auth.redirect_uri, openid: auth.openid };
    if (auth.code_verifier !== undefined) pending.code_verifier = auth.code_verifier;
    if (auth.nonce !== undefined) pending.nonce = auth.nonce;
    if (opts.returnTo !== undefined) pending.returnTo = opts.returnTo;
    await this.ctx.state.save(req, res, auth.state, pending as unknown as Record<string, unknown>, this.ctx.stateTtl, {
      crossSite: auth.responseMode === 'form_post',
    });
    return auth.url;
  }

  isCallback(req: PlatformRequest): boolean {
    const params = this.callbackParams(req);
    return CALLBACK_PARAMS.some((p) => params.has(p));
  }

  async completeLogin(req: PlatformRequest, res: PlatformResponse, opts?: CallbackOptions): Promise<LoginResult<OAuth2Token>> {
    const params = this.callbackParams(req, opts);
    // 1. State first: nothing else in the callback is trusted (or acted on) until it
    //    is known to answer a login this browser started (RFC 6749 section 10.12).
    const state = single(params, 'state');
    if (typeof state !== 'string' || state === '') {
      throw new OAuthValidationError('mismatching_state', 'The callback has no single "state"; it does not answer a login of this browser.');
    }
    const pending = (await this.ctx.state.take(req, res, state)) as PendingOAuth2Login | undefined;
    if (!pending || pending.c !== this.name || typeof pending.redirect_uri !== 'string') {
      throw new OAuthValidationError(
        'mismatching_state',
        'The callback state is unknown, expired, already used, or belongs to another browser or client; start the login again.',
      );
    }
    // 2. RFC 9207: the issuer identifies who answered, against mix-up attacks.
    const endpoints = await this.endpoints();
    const iss = single(params, 'iss');
    if (iss === null) throw new OAuthValidationError('invalid_issuer', 'The callback repeats "iss".');
    if (iss !== undefined) {
      if (endpoints.issuer === undefined || iss !== endpoints.issuer) {
        throw new OAuthValidationError('invalid_issuer', 'The callback "iss" is not this client\'s issuer (RFC 9207); possible mix-up attack.');
      }
    } else if (endpoints.issParameterSupported) {
      throw new OAuthValidationError('invalid_issuer', 'The callback lacks "iss", which this provider always sends (RFC 9207).');
    }
    // 3. The provider's own refusal.
    const error = single(params, 'error');
    if (error !== undefined) {
      if (typeof error !== 'string' || !OAUTH_ERROR_CODE.test(error)) {
        throw new OAuthValidationError('invalid_request', 'The callback "error" is repeated or not a valid OAuth error code.');
      }
      const code = error;
      const description = single(params, 'error_description');
      throw new OAuthProviderError(code, `The provider refused the authorization: ${code}.`, {
        ...(typeof description === 'string' ? { description: description.slice(0, 500) } : {}),
      });
    }
    for (const name of FORBIDDEN_CALLBACK_PARAMS) {
      if (params.has(name)) {
        throw new OAuthValidationError('invalid_request', `The callback carries "${name}"; only the authorization code flow is accepted.`);
      }
    }
    const code = single(params, 'code');
    if (typeof code !== 'string' || code === '') {
      throw new OAuthValidationError('invalid_request', 'The callback has no single "code".');
    }
    // 4. The code exchange, with the same redirect_uri and the PKCE verifier.
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirect_uri });
    if (pending.code_verifier) body.set('code_verifier', pending.code_verifier);
    for (const [k, v] of Object.entries(this.config.accessTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const token = await this.tokenRequest(endpoints, body, 'token endpoint');
    if (pending.openid && token.id_token === undefined) {
      throw new OAuthResponseError('invalid_response', 'The token endpoint answered without an id_token although "openid" was requested.');
    }
    if (token.id_token !== undefined) {
      token.userinfo = await this.validateIdTokenOf(token, endpoints, pending.nonce ?? null);
    }
    const result: LoginResult<OAuth2Token> = { token };
    if (token.userinfo) result.userinfo = token.userinfo;
    if (pending.returnTo !== undefined) result.returnTo = pending.returnTo;
    return result;
  }

  /** Validates an ID token of `token` against `nonce`; returns the claims. */
  async parseIdToken(token: OAuth2Token, nonce: string | null | undefined): Promise<UserInfo> {
    if (typeof token.id_token !== 'string') {
      throw new OAuthValidationError('invalid_id_token', 'The token has no id_token.');
    }
    return this.validateIdTokenOf(token, await this.endpoints(), nonce ?? null);
  }

  private async validateIdTokenOf(token: OAuth2Token, endpoints: OAuth2Endpoints, nonce: string | null): Promise<UserInfo> {
    const c = this.config;
    if (!endpoints.issuer) {
      throw new OAuthValidationError('invalid_id_token', `OAuth client "${this.name}" received an ID token but knows no issuer: set issuer or serverMetadataUrl.`);
    }
    const explicit = c.idTokenSigningAlgs;
    const algorithms = (explicit ?? endpoints.idTokenSigningAlgs?.filter((a) => !a.startsWith('HS') && a !== 'none') ?? ['RS256']).filter(
      (a) => a.toLowerCase() !== 'none',
    );
    return validateIdToken(token.id_token as string, {
      issuer: endpoints.issuer,
      clientId: c.clientId,
      ...(c.clientSecret === undefined ? {} : { clientSecret: c.clientSecret }),
      algorithms: algorithms.length > 0 ? algorithms : ['RS256'],
      allowHmac: explicit?.some((a) => a.startsWith('HS')) ?? false,
      leeway: c.leeway,
      ...(nonce === null ? {} : { nonce }),
      accessToken: token.access_token,
      jwks: this.jwks,
    });
  }

  /** RFC 6749 section 3.2 request with client authentication, parsed per section 5. */
  private async tokenRequest(endpoints: OAuth2Endpoints, body: URLSearchParams, what: string, url = endpoints.tokenEndpoint): Promise<OAuth2Token> {
    if (!url) {
      throw new OAuthConfigError(`OAuth client "${this.name}" has no token endpoint: set accessTokenUrl or serverMetadataUrl.`, {
        client: this.name,
        field: 'accessTokenUrl',
      });
    }
    return parseTokenResponse(await this.endpointRequest(url, body, endpoints, what), what);
  }

  /** Calls the userinfo endpoint; refuses a `sub` other than the ID token's. */
  async userinfo({ token }: { token: OAuth2Token }): Promise<UserInfo> {
    const endpoints = await this.endpoints();
    const url = endpoints.userinfoEndpoint;
    if (!url) {
      throw new OAuthConfigError(`OAuth client "${this.name}" has no userinfo endpoint: set userinfoUrl or serverMetadataUrl.`, {
        client: this.name,
        field: 'userinfoUrl',
      });
    }
    const fresh = await this.prepareToken(token);
    const what = 'userinfo endpoint';
    const res = await providerRequest(
      url,
      { headers: { accept: 'application/json', authorization: `Bearer ${fresh.access_token}` }, maxBytes: DEFAULTS.maxBodyBytes, what },
      this.http,
    );
    const body = parseJsonObject(res, what);
    throwIfOAuthError(body, res.status, what);
    expectSuccess(res, what);
    if (typeof body.sub !== 'string' || body.sub === '') {
      throw new OAuthValidationError('invalid_userinfo', 'The userinfo answer has no string "sub".');
    }
    const expectedSub = token.userinfo?.sub;
    // OIDC Core 5.3.2: a different sub means the answer is not about this user.
    if (expectedSub !== undefined && body.sub !== expectedSub) {
      throw new OAuthValidationError('invalid_userinfo', 'The userinfo "sub" differs from the ID token\'s; the answer is refused.');
    }
    return body as UserInfo;
  }

  /**
   * Refreshes `token`. Concurrent and repeated calls with the same refresh token
   * share one request: providers that rotate refresh tokens revoke the whole grant
   * when an old one is reused (RFC 9700 section 4.14.2).
   */
  refreshToken(token: OAuth2Token): Promise<OAuth2Token> {
    const refreshToken = token.refresh_token;
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      return Promise.reject(new OAuthError('token_expired', `The token of OAuth client "${this.name}" has no refresh_token; log in again.`));
    }
    const now = Date.now();
    for (const [key, entry] of this.refreshes) {
      if (!entry.busy && entry.announced && now - entry.at > REFRESH_RESULT_TTL_MS) this.refreshes.delete(key);
    }
    const existing = this.refreshes.get(refreshToken);
    if (existing) {
      if (existing.busy) return existing.promise;
      // The provider already answered but updateToken failed: store it again rather
      // than sending a used refresh token, which would revoke the grant.
      if (existing.token && !existing.announced) return this.runEntry(existing, async (e) => this.announceEntry(e));
      // A late caller holding the old token gets the new one, unless that one is itself
      // about to expire (a refresh token that does not rotate is used again then).
      if (existing.token && !this.expiresSoon(existing.token)) return Promise.resolve(existing.token);
    }
    const entry: RefreshEntry = { at: now, busy: false, announced: false, promise: Promise.resolve(token) };
    this.refreshes.set(refreshToken, entry);
    return this.runEntry(entry, async (e) => {
      try {
        e.token = await this.doRefresh(token, refreshToken);
      } catch (err) {
        // Nothing usable came back: a later call may try again.
        this.refreshes.delete(refreshToken);
        throw err;
      }
      e.event = { name: this.name, token: e.token, refreshToken, accessToken: token.access_token };
      await this.announceEntry(e);
    });
  }

  /** Runs `step` as the entry's single in-flight operation; resolves to its token. */
  private runEntry(entry: RefreshEntry, step: (e: RefreshEntry) => Promise<void>): Promise<OAuth2Token> {
    entry.busy = true;
    entry.promise = (async () => {
      try {
        await step(entry);
        return entry.token!;
      } finally {
        entry.busy = false;
      }
    })();
    return entry.promise;
  }

  private async announceEntry(entry: RefreshEntry): Promise<void> {
    await this.announce(entry.event!);
    entry.announced = true;
    entry.at = Date.now();
  }

  private expiresSoon(token: OAuth2Token): boolean {
    return typeof token.expires_at === 'number' && token.expires_at - this.config.refreshLeeway <= Date.now() / 1000;
  }

  private async doRefresh(old: OAuth2Token, refreshToken: string): Promise<OAuth2Token> {
    const endpoints = await this.endpoints();
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    for (const [k, v] of Object.entries(this.config.refreshTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const token = await this.tokenRequest(endpoints, body, 'refresh endpoint', endpoints.refreshEndpoint);
    // RFC 6749 section 6: a response without refresh_token keeps the old one.
    if (token.refresh_token === undefined) token.refresh_token = refreshToken;
    if (token.id_token !== undefined) {
      const claims = await this.validateIdTokenOf(token, endpoints, null);
      // OIDC Core 12.2: a refreshed ID token must be about the same user, from the
      // same issuer, for the same client.
      const before = old.userinfo ?? (typeof old.id_token === 'string' ? safeDecode(old.id_token) : undefined);
      if (before) {
        for (const claim of ['iss', 'sub', 'aud', 'azp']) {
          if (JSON.stringify(before[claim]) !== JSON.stringify(claims[claim])) {
            throw new OAuthValidationError('invalid_id_token', `The refreshed ID token changes "${claim}"; it is refused.`);
          }
        }
      }
      token.userinfo = claims;
    } else if (old.userinfo !== undefined) {
      token.userinfo = old.userinfo;
      if (old.id_token !== undefined) token.id_token = old.id_token;
    }
    return token;
  }

  private async announce(event: { name: string; token: OAuth2Token; refreshToken?: string; accessToken?: string }): Promise<void> {
    const update = this.config.updateToken ?? this.ctx.updateToken;
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

  /** RFC 7009 token revocation. */
  async revokeToken(token: OAuth2Token | string, hint?: TokenTypeHint): Promise<void> {
    const what = 'revocation endpoint';
    const res = await this.tokenOperation('revocationEndpoint', 'revocationUrl', what, token, hint);
    if (res.status === 200) return;
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = parseJsonObject(res, what);
    } catch {
      parsed = undefined;
    }
    if (parsed) throwIfOAuthError(parsed, res.status, what);
    expectSuccess(res, what);
  }

  /** RFC 7662 token introspection. */
  async introspectToken(token: OAuth2Token | string, hint?: TokenTypeHint): Promise<Record<string, unknown>> {
    const what = 'introspection endpoint';
    const res = await this.tokenOperation('introspectionEndpoint', 'introspectionUrl', what, token, hint);
    const parsed = parseJsonObject(res, what);
    throwIfOAuthError(parsed, res.status, what);
    expectSuccess(res, what);
    if (typeof parsed.active !== 'boolean') {
      throw new OAuthResponseError('invalid_response', 'The introspection endpoint answered without a boolean "active".');
    }
    return parsed;
  }

  /** A token-management request (RFC 7009, RFC 7662) with client authentication. */
  private async tokenOperation(
    endpoint: 'revocationEndpoint' | 'introspectionEndpoint',
    field: 'revocationUrl' | 'introspectionUrl',
    what: string,
    token: OAuth2Token | string,
    hint: TokenTypeHint | undefined,
  ) {
    const endpoints = await this.endpoints();
    const url = endpoints[endpoint];
    if (!url) {
      throw new OAuthConfigError(`OAuth client "${this.name}" has no ${what}: set ${field} or serverMetadataUrl.`, {
        client: this.name,
        field,
      });
    }
    const value = typeof token === 'string' ? token : hint === 'refresh_token' ? token.refresh_token : token.access_token;
    const body = new URLSearchParams({ token: value ?? '' });
    if (hint) body.set('token_type_hint', hint);
    return this.endpointRequest(url, body, endpoints, what);
  }

  /** RFC 6749 section 4.4: a token for the client itself. */
  async fetchClientCredentialsToken(params: Record<string, string> = {}): Promise<OAuth2Token> {
    const endpoints = await this.endpoints();
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = this.config.scope;
    if (scope) body.set('scope', scope);
    for (const [k, v] of Object.entries({ ...this.config.accessTokenParams, ...params })) body.set(k, v);
    body.set('grant_type', 'client_credentials');
    const token = await this.tokenRequest(endpoints, body, 'token endpoint');
    this.clientCredentialTokens.add(token);
    return token;
  }

  /** A form POST to a token-style endpoint, with the client's authentication. */
  private async endpointRequest(url: string, body: URLSearchParams, endpoints: OAuth2Endpoints, what: string) {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    await this.auth.apply(body, headers, endpoints.issuer ?? url);
    return providerRequest(url, { method: 'POST', headers, body: body.toString(), maxBytes: DEFAULTS.maxBodyBytes, what }, this.http);
  }

  /** Refreshes a token that expires within `refreshLeeway`; others are used as they are. */
  protected override async prepareToken(token: OAuth2Token): Promise<OAuth2Token> {
    if (typeof token.access_token !== 'string') {
      throw new OAuthError('missing_token', `The token given to OAuth client "${this.name}" has no access_token; nothing was sent.`);
    }
    const expiresAt = token.expires_at;
    if (typeof expiresAt !== 'number') return token;
    if (expiresAt - this.config.refreshLeeway > Date.now() / 1000) return token;
    if (token.refresh_token) return this.refreshToken(token);
    if (this.clientCredentialTokens.has(token) || this.isClientCredentialsOnly()) {
      return this.refetchClientCredentials(token.access_token);
    }
    throw new OAuthError('token_expired', `The token of OAuth client "${this.name}" has expired and has no refresh_token; nothing was sent.`);
  }

  /** Concurrent calls holding the same expired client-credentials token share one re-fetch. */
  private refetchClientCredentials(accessToken: string): Promise<OAuth2Token> {
    let pending = this.refetches.get(accessToken);
    if (!pending) {
      pending = (async () => {
        const fresh = await this.fetchClientCredentialsToken();
        await this.announce({ name: this.name, token: fresh, accessToken });
        return fresh;
      })();
      this.refetches.set(accessToken, pending);
      const forget = () => setTimeout(() => this.refetches.delete(accessToken), REFRESH_RESULT_TTL_MS).unref();
      pending.then(forget, () => this.refetches.delete(accessToken));
    }
    return pending;
  }

  private isClientCredentialsOnly(): boolean {
    return !this.config.authorizeUrl && !this.config.serverMetadataUrl;
  }

  protected authorizeRequest(token: OAuth2Token, _method: string, _url: URL, headers: Record<string, string>): void {
    // RFC 6750 section 2.1; never the query (section 2.3 leaks it to logs and Referer).
    headers.authorization = `Bearer ${token.access_token}`;
  }
}

function splitQuery(url: string): [string, string] {
  const hash = url.indexOf('#');
  const clean = hash < 0 ? url : url.slice(0, hash);
  const q = clean.indexOf('?');
  return q < 0 ? [clean, ''] : [clean.slice(0, q), clean.slice(q + 1)];
}

function safeDecode(jwt: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(jwt) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
