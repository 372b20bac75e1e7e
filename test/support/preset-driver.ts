/**
 * A reference of what an OAuth 2 client does with a preset's hooks, step by step,
 * written out plainly so the presets can be tested against the mock dialects before
 * (and independently of) the library's own clients. Each step names the hook or
 * extension point it calls and when; it is the order the library's clients follow.
 *
 * It checks only what the tests need (no state store, no caps): it is a test peer,
 * not a client.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import {
  OAuthProviderError,
  OAuthResponseError,
  OAuthValidationError,
  type OAuth1Token,
  type OAuth2Token,
  type OAuthPresetHooks,
  type PresetClientConfig,
  type PresetRequestOptions,
  type ProviderRequest,
  type ProviderResponse,
  type UserInfo,
} from '../../lib/index.js';
import { parseAutoSubmitForm } from './oidc-provider.js';

export interface DriverEndpoints {
  issuer?: string;
  authorize: string;
  token: string;
  userinfo?: string;
  jwks?: string;
  revoke?: string;
}

export interface DriverPending {
  url: URL;
  state: string;
  verifier?: string;
  nonce?: string;
  openid: boolean;
}

export interface DriverLogin {
  authorizationUrl: URL;
  /** The callback's parameters (query, or form_post fields). */
  callback: Map<string, string[]>;
  token: OAuth2Token;
  claims?: Record<string, unknown>;
  userinfo: UserInfo;
}

const USER_AGENT = 'nestjs-oauth-client';

export class PresetDriver {
  readonly hooks: OAuthPresetHooks;
  private endpointsCache?: DriverEndpoints;

  constructor(
    readonly config: PresetClientConfig,
    readonly redirectUri = 'https://app.example/auth/callback',
  ) {
    const hooks = (config.hooks ?? {}) as OAuthPresetHooks;
    // 0. At construction: bind the preset's hooks to the final configuration.
    this.hooks = hooks.bind
      ? hooks.bind({
          name: 'driver',
          clientId: config.clientId!,
          ...(config.clientSecret === undefined ? {} : { clientSecret: config.clientSecret }),
          ...(config.scope === undefined ? {} : { scope: scopeOf(config.scope) }),
          ...(config.apiBaseUrl === undefined ? {} : { apiBaseUrl: config.apiBaseUrl }),
          ...(config.userinfoUrl === undefined ? {} : { userinfoUrl: config.userinfoUrl }),
        })
      : hooks;
  }

  get authMethod(): string {
    return this.config.tokenEndpointAuthMethod ?? (this.config.clientSecret === undefined ? 'none' : 'client_secret_basic');
  }

  /** Discovery (then `serverMetadata`), configured endpoints winning. */
  async endpoints(): Promise<DriverEndpoints> {
    if (this.endpointsCache) return this.endpointsCache;
    const c = this.config;
    let doc: Record<string, unknown> = {};
    if (c.serverMetadataUrl) {
      const res = await fetch(c.serverMetadataUrl, { headers: { accept: 'application/json', 'user-agent': USER_AGENT } });
      if (res.status !== 200) throw new Error(`discovery answered ${res.status}`);
      doc = (await res.json()) as Record<string, unknown>;
      if (this.hooks.serverMetadata) doc = await this.hooks.serverMetadata(doc);
      const expected = c.issuer ?? c.serverMetadataUrl.replace(/\/\.well-known\/openid-configuration$/, '');
      if (doc.issuer !== expected && doc.issuer !== `${expected}/`) throw new Error(`discovery names issuer ${String(doc.issuer)}, not ${expected}`);
    }
    const issuer = c.issuer ?? str(doc.issuer);
    this.endpointsCache = {
      ...(issuer === undefined ? {} : { issuer }),
      authorize: c.authorizeUrl ?? str(doc.authorization_endpoint)!,
      token: c.accessTokenUrl ?? str(doc.token_endpoint)!,
      ...((c.userinfoUrl ?? str(doc.userinfo_endpoint)) ? { userinfo: (c.userinfoUrl ?? str(doc.userinfo_endpoint))! } : {}),
      ...((c.jwksUrl ?? str(doc.jwks_uri)) ? { jwks: (c.jwksUrl ?? str(doc.jwks_uri))! } : {}),
      ...((c.revocationUrl ?? str(doc.revocation_endpoint)) ? { revoke: (c.revocationUrl ?? str(doc.revocation_endpoint))! } : {}),
    };
    return this.endpointsCache;
  }

  /** 1. The authorization URL: protected parameters, `authorizeParams`, then `authorizationParams`. */
  async authorization(): Promise<DriverPending> {
    const c = this.config;
    const scope = c.scope === undefined ? undefined : scopeOf(c.scope);
    const openid = scope?.split(' ').includes('openid') ?? false;
    const state = randomBytes(24).toString('base64url');
    let params = new URLSearchParams({ response_type: 'code', client_id: c.clientId!, redirect_uri: this.redirectUri, state });
    if (scope) params.set('scope', scope);
    let verifier: string | undefined;
    if ((c.codeChallengeMethod ?? 'S256') === 'S256') {
      verifier = randomBytes(32).toString('base64url');
      params.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
      params.set('code_challenge_method', 'S256');
    }
    let nonce: string | undefined;
    if (openid) {
      nonce = randomBytes(16).toString('base64url');
      params.set('nonce', nonce);
    }
    for (const [k, v] of Object.entries(c.authorizeParams ?? {})) if (!params.has(k)) params.set(k, v);
    if (this.hooks.authorizationParams) params = await this.hooks.authorizationParams(params);
    const url = new URL((await this.endpoints()).authorize);
    for (const [k, v] of params) url.searchParams.set(k, v);
    return { url, state, openid, ...(verifier === undefined ? {} : { verifier }), ...(nonce === undefined ? {} : { nonce }) };
  }

  /** The user at the provider: follows the authorization URL to the callback (redirect or form_post). */
  async approve(url: URL): Promise<Map<string, string[]>> {
    const res = await fetch(url, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (driver)' } });
    const text = await res.text();
    let fields: Iterable<[string, string]>;
    if (res.status >= 300 && res.status < 400) {
      const back = new URL(res.headers.get('location')!);
      if (!back.href.startsWith(this.redirectUri)) throw new Error(`redirected to ${back.href}`);
      fields = back.searchParams;
    } else {
      const form = parseAutoSubmitForm(text, url.toString());
      if (!form || form.action !== this.redirectUri) throw new Error(`provider answered ${res.status}: ${text.slice(0, 300)}`);
      fields = Object.entries(form.fields);
    }
    const out = new Map<string, string[]>();
    for (const [k, v] of fields) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  }

  /** A token-style request: client authentication, then the request hook, sent, then the response hook. */
  async tokenEndpoint(
    url: string,
    body: URLSearchParams,
    requestHook: keyof Pick<OAuthPresetHooks, 'accessTokenRequest' | 'refreshTokenRequest' | 'revokeTokenRequest'>,
    responseHook?: keyof Pick<OAuthPresetHooks, 'accessTokenResponse' | 'refreshTokenResponse'>,
  ): Promise<ProviderResponse> {
    const c = this.config;
    let req: ProviderRequest = {
      method: 'POST',
      url,
      headers: new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT }),
      body,
    };
    switch (this.authMethod) {
      case 'client_secret_basic':
        req.headers.set('authorization', `Basic ${Buffer.from(`${enc(c.clientId!)}:${enc(c.clientSecret ?? '')}`).toString('base64')}`);
        break;
      case 'client_secret_post':
        body.set('client_id', c.clientId!);
        body.set('client_secret', c.clientSecret ?? '');
        break;
      default:
        body.set('client_id', c.clientId!);
    }
    const hook = this.hooks[requestHook];
    if (hook) req = await hook.call(this.hooks, req);
    const sent = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body?.toString() ?? null, redirect: 'manual' });
    let res: ProviderResponse = { status: sent.status, headers: sent.headers, body: parseBody(await sent.text(), sent.headers) };
    const after = responseHook === undefined ? undefined : this.hooks[responseHook];
    if (after) res = await after.call(this.hooks, res);
    return res;
  }

  /** RFC 6749 section 5.1/5.2 judgement, after the response hook. */
  judgeToken(res: ProviderResponse): OAuth2Token {
    const body = res.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new OAuthResponseError('invalid_response', `token endpoint answered ${res.status} with a body that is not an object`);
    }
    const fields = body as Record<string, unknown>;
    if (fields.error !== undefined) {
      if (typeof fields.error !== 'string') throw new OAuthResponseError('invalid_response', 'error is not a string');
      throw new OAuthProviderError(fields.error, `The token endpoint refused the request: ${fields.error}.`, { status: res.status });
    }
    if (res.status < 200 || res.status >= 300) throw new OAuthResponseError('invalid_response', `token endpoint answered ${res.status}`);
    if (typeof fields.access_token !== 'string') throw new OAuthResponseError('invalid_response', 'no access_token');
    if (typeof fields.token_type !== 'string' || fields.token_type.toLowerCase() !== 'bearer') {
      throw new OAuthResponseError('invalid_response', 'token_type is not bearer');
    }
    if (fields.scope !== undefined && typeof fields.scope !== 'string') throw new OAuthResponseError('invalid_response', 'scope is not a string');
    return { ...fields } as OAuth2Token;
  }

  /** 2. The code exchange: `accessTokenRequest`, `accessTokenResponse`, the checks. */
  async exchange(pending: DriverPending, callback: Map<string, string[]>): Promise<OAuth2Token> {
    const error = callback.get('error')?.[0];
    if (error !== undefined) throw new OAuthProviderError(error, `The provider refused the authorization: ${error}.`);
    if (callback.get('state')?.[0] !== pending.state) throw new OAuthValidationError('mismatching_state', 'state differs');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: callback.get('code')![0]!, redirect_uri: this.redirectUri });
    if (pending.verifier) body.set('code_verifier', pending.verifier);
    for (const [k, v] of Object.entries(this.config.accessTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const res = await this.tokenEndpoint((await this.endpoints()).token, body, 'accessTokenRequest', 'accessTokenResponse');
    return this.judgeToken(res);
  }

  /**
   * 3. The ID token: `idTokenIssuer` picks the expected `iss` from the unverified
   * claims, the signature and claims are verified, `idTokenNonce` says whether a
   * missing nonce is tolerated, then `idTokenClaims` checks the rest.
   */
  async verifyIdToken(idToken: string, nonce: string | undefined): Promise<Record<string, unknown>> {
    const e = await this.endpoints();
    const unverified = decodeJwt(idToken) as Record<string, unknown>;
    const issuer = this.hooks.idTokenIssuer ? this.hooks.idTokenIssuer(unverified, e.issuer!) : e.issuer!;
    const jwks = (await (await fetch(e.jwks!, { headers: { 'user-agent': USER_AGENT } })).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer, audience: this.config.clientId!, algorithms: ['RS256'] }).catch(
      (cause: unknown) => {
        throw new OAuthValidationError('invalid_id_token', `ID token refused: ${(cause as Error).message}`, { cause });
      },
    );
    const claims = payload as Record<string, unknown>;
    if (nonce !== undefined) {
      const lenient = this.hooks.idTokenNonce === 'if-present';
      if (claims.nonce === undefined ? !lenient : claims.nonce !== nonce) {
        throw new OAuthValidationError('invalid_id_token', 'nonce mismatch');
      }
    }
    this.hooks.idTokenClaims?.(claims);
    return claims;
  }

  /** An API call as `client.request()` makes it: `protectedRequest(req, token)`, then the token. */
  async api(token: OAuth2Token, method: string, path: string, opts: PresetRequestOptions = {}): Promise<ProviderResponse> {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path, this.config.apiBaseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers = new Headers({ 'user-agent': USER_AGENT, ...(opts.headers ?? {}) });
    let body: string | undefined = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers.set('content-type', 'application/json');
    }
    let req: ProviderRequest = { method, url: url.toString(), headers, ...(body === undefined ? {} : { body }) };
    if (this.hooks.protectedRequest) req = await this.hooks.protectedRequest(req, token);
    req.headers.set('authorization', `Bearer ${token.access_token}`);
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body?.toString() ?? null, redirect: 'manual' });
    return { status: res.status, headers: res.headers, body: parseBody(await res.text(), res.headers) };
  }

  /**
   * 4. The user: with `fetchUserinfo` (or a `profile` without OpenID), `profile(ctx)`
   * or one GET of the userinfo endpoint, merged over the ID token claims; then
   * `userinfo(raw, token)`; `sub` must equal the ID token's.
   */
  async user(token: OAuth2Token, claims: Record<string, unknown> | undefined, callback?: Map<string, string[]>): Promise<UserInfo> {
    const fetchIt = this.config.fetchUserinfo ?? claims === undefined;
    let raw: Record<string, unknown> = { ...(claims ?? {}) };
    if (fetchIt) {
      if (this.hooks.profile) {
        raw = {
          ...raw,
          ...(await this.hooks.profile({
            token,
            ...(claims === undefined ? {} : { claims: claims as UserInfo }),
            ...(callback === undefined ? {} : { callbackParams: callback }),
            request: (method, url, opts) => this.api(token, method, url, opts),
          })),
        };
      } else {
        const e = await this.endpoints();
        const res = await this.api(token, 'GET', e.userinfo!);
        if (res.status !== 200) throw new OAuthResponseError('invalid_response', `userinfo answered ${res.status}`);
        raw = { ...raw, ...(res.body as Record<string, unknown>) };
      }
    }
    const user = this.hooks.userinfo ? await this.hooks.userinfo(raw, token) : (raw as UserInfo);
    if (claims !== undefined && user.sub !== claims.sub) throw new OAuthValidationError('invalid_userinfo', 'sub differs from the ID token');
    return user;
  }

  /** A whole login, steps 1 to 4. */
  async login(): Promise<DriverLogin> {
    const pending = await this.authorization();
    const callback = await this.approve(pending.url);
    const token = await this.exchange(pending, callback);
    if (pending.openid && typeof token.id_token !== 'string') throw new OAuthResponseError('invalid_response', 'no id_token');
    const claims = typeof token.id_token === 'string' ? await this.verifyIdToken(token.id_token, pending.nonce) : undefined;
    const userinfo = await this.user(token, claims, callback);
    return { authorizationUrl: pending.url, callback, token, ...(claims === undefined ? {} : { claims }), userinfo };
  }

  /** Refresh: `refreshTokenRequest`, `refreshTokenResponse`, the checks. */
  async refresh(token: OAuth2Token): Promise<OAuth2Token> {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token! });
    for (const [k, v] of Object.entries(this.config.refreshTokenParams ?? {})) if (!body.has(k)) body.set(k, v);
    const url = this.config.refreshTokenUrl ?? (await this.endpoints()).token;
    return this.judgeToken(await this.tokenEndpoint(url, body, 'refreshTokenRequest', 'refreshTokenResponse'));
  }

  /** RFC 7009 revocation: `revokeTokenRequest`. */
  async revoke(value: string): Promise<ProviderResponse> {
    return this.tokenEndpoint((await this.endpoints()).revoke!, new URLSearchParams({ token: value }), 'revokeTokenRequest');
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** RFC 6749 section 2.3.1: form-encoding before Basic. */
function enc(s: string): string {
  return new URLSearchParams({ v: s }).toString().slice(2);
}

function scopeOf(scope: string | string[]): string {
  return (Array.isArray(scope) ? scope : scope.split(/\s+/)).filter(Boolean).join(' ');
}

/** The body parsed as the library hands it to hooks: JSON, else form fields as an object, else text. */
export function parseBody(text: string, headers: Headers): unknown {
  const type = (headers.get('content-type') ?? '').toLowerCase();
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return text;
}

/**
 * The OAuth 1.0a side (Twitter): temporary credential, authorization, verifier
 * exchange, then `profile(ctx)` with signed calls and `userinfo(raw, token)`. Signs
 * with the `oauth-1.0a` package, an implementation independent of the mock's verifier.
 */
export class OAuth1PresetDriver {
  private readonly oauth: OAuth;

  constructor(
    readonly config: PresetClientConfig,
    readonly callbackUrl = 'https://app.example/auth/twitter',
  ) {
    this.oauth = new OAuth({
      consumer: { key: config.clientId!, secret: config.clientSecret! },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
  }

  /** A signed request; `oauthExtra` are protocol parameters that go in the header (oauth_callback, oauth_verifier). */
  async signed(
    method: string,
    url: string,
    token?: { key: string; secret: string },
    oauthExtra: Record<string, string> = {},
  ): Promise<Response> {
    const data = this.oauth.authorize({ url, method, data: oauthExtra }, token);
    const header = this.oauth.toHeader({ ...data, ...oauthExtra } as OAuth.Authorization);
    return fetch(url, { method, headers: { ...header, 'user-agent': USER_AGENT }, redirect: 'manual' });
  }

  async login(): Promise<{ token: Record<string, string>; userinfo: UserInfo; authorizationUrl: URL }> {
    const c = this.config;
    const temp = Object.fromEntries(new URLSearchParams(await (await this.signed('POST', c.requestTokenUrl!, undefined, { oauth_callback: this.callbackUrl })).text()));
    if (temp.oauth_callback_confirmed !== 'true') throw new Error(`request token refused: ${JSON.stringify(temp)}`);
    const authorizationUrl = new URL(c.authorizeUrl!);
    authorizationUrl.searchParams.set('oauth_token', temp.oauth_token!);
    const back = await fetch(authorizationUrl, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    const res = await this.signed('POST', c.accessTokenUrl!, { key: temp.oauth_token!, secret: temp.oauth_token_secret! }, {
      oauth_verifier: callback.searchParams.get('oauth_verifier')!,
    });
    if (res.status !== 200) throw new Error(`access token refused: ${res.status} ${await res.text()}`);
    const token = Object.fromEntries(new URLSearchParams(await res.text()));
    const hooks = (c.hooks ?? {}) as OAuthPresetHooks;
    const oauthToken = token as unknown as OAuth1Token;
    const raw = await hooks.profile!({
      token: oauthToken,
      request: async (method, path, opts) => {
        const url = new URL(path, c.apiBaseUrl);
        for (const [k, v] of Object.entries(opts?.query ?? {})) url.searchParams.set(k, v);
        const answer = await this.signed(method, url.toString(), { key: token.oauth_token!, secret: token.oauth_token_secret! });
        return { status: answer.status, headers: answer.headers, body: parseBody(await answer.text(), answer.headers) };
      },
    });
    const userinfo = await hooks.userinfo!(raw, oauthToken);
    return { token, userinfo, authorizationUrl };
  }
}
