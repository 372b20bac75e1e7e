import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';
import { PRESETS, isPresetName } from '../presets/preset-registry.js';
import { applyPreset } from '../presets/preset-config.js';
import { PRESET_SOURCE, type PresetClientConfig, type PresetName } from '../presets/preset.types.js';
import { DIALECTS } from './dialects/index.js';
import {
  scopedClaims,
  type MockAccessToken,
  type MockClient,
  type MockContext,
  type MockDialect,
  type MockGrant,
  type MockIdentity,
  type MockPath,
} from './mock-dialect.js';
import {
  basicCredentials,
  bearerToken,
  formPostPage,
  readBody,
  recordRequest,
  redirectWith,
  writeReply,
  type MockReply,
  type MockRequest,
} from './mock-http.js';
import { MockOAuth1Server } from './mock-oauth1.js';

/** Options of `MockOAuthProvider.start()`. */
export interface MockOAuthProviderOptions {
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
  /** Speak this preset's dialect (its endpoints and quirks) instead of generic OpenID Connect. */
  as?: PresetName;
  /** Lifetime of access tokens in seconds; default 3600. */
  accessTokenTtl?: number;
}

/** Options of `nextLogin()`. */
export interface MockLoginOptions {
  /** Fields laid over the dialect's raw profile answer (e.g. `{ email: null }` hides GitHub's email). */
  raw?: Record<string, unknown>;
}

const URL_FIELDS = [
  'authorizeUrl',
  'accessTokenUrl',
  'refreshTokenUrl',
  'requestTokenUrl',
  'serverMetadataUrl',
  'issuer',
  'jwksUrl',
  'userinfoUrl',
  'revocationUrl',
  'introspectionUrl',
  'apiBaseUrl',
] as const;

const DEFAULT_IDENTITY: MockIdentity = Object.freeze({ sub: 'alice' });
const CODE_TTL = 600;

/**
 * A provider for tests, on 127.0.0.1 with no network: a generic OpenID provider
 * (discovery, JWKS, authorize, token, userinfo, refresh, revocation, end session)
 * that approves every authorization at once and redirects straight back, or, with
 * `as`, that preset's dialect with its quirks enforced as the provider enforces them.
 */
export class MockOAuthProvider {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The issuer named by discovery and ID tokens (OpenID dialects). */
  readonly issuer: string;
  /** The dialect spoken, `oidc` for the generic provider. */
  readonly as: PresetName | 'oidc';
  /** The client id `clientConfig()` uses by default. */
  readonly clientId: string;
  /** Its secret. */
  readonly clientSecret: string;
  /** Every request received, in order. */
  readonly requests: MockRequest[] = [];

  private readonly clients = new Map<string, MockClient>();
  private readonly codes = new Map<string, { grant: MockGrant; expiresAt: number }>();
  private readonly usedCodes = new Map<string, string[]>();
  private readonly accessTokens = new Map<string, MockAccessToken>();
  private readonly refreshTokens = new Map<string, { grant: MockGrant; revoked: boolean; accessTokens: string[] }>();
  private readonly consented = new Set<string>();
  private readonly logins: Array<{ identity: MockIdentity; raw: Record<string, unknown> }> = [];
  private failures: Array<{ error: string; description: string }> = [];
  private readonly oauth1?: MockOAuth1Server;
  private readonly context: MockContext;
  private appleKey?: { teamId: string; keyId: string; privateKey: string };

  /**
   * With `as: 'apple'`: the team ID, key ID and private key (PKCS#8 PEM) the mock
   * expects the client secret to be made with; `clientConfig()` passes them.
   */
  get apple(): Readonly<{ teamId: string; keyId: string; privateKey: string }> | undefined {
    return this.appleKey;
  }

  private constructor(
    private readonly server: Server,
    private readonly dialect: MockDialect,
    private readonly signing: { key: CryptoKey; jwk: JWK },
    port: number,
    private readonly accessTokenTtl: number,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
    this.as = dialect.name;
    this.issuer = `${this.origin}${dialect.issuerPath ?? ''}`;
    this.clientId = dialect.defaultClientId ?? 'mock-client';
    this.clientSecret = randomBytes(24).toString('base64url');
    this.context = { origin: this.origin, issuer: this.issuer, client: (id) => this.clients.get(id) };
    this.clients.set(this.clientId, { clientId: this.clientId, clientSecret: this.clientSecret });
    if (dialect.name === 'apple') this.registerAppleKey();
    if (dialect.name === 'twitter') this.oauth1 = new MockOAuth1Server(this.context, () => this.takeLogin());
  }

  /** Starts a provider; `stop()` it when done. */
  static async start(opts: MockOAuthProviderOptions = {}): Promise<MockOAuthProvider> {
    if (opts.as !== undefined && !isPresetName(opts.as)) throw new Error(`MockOAuthProvider: no preset named "${String(opts.as)}".`);
    const dialect = DIALECTS[opts.as ?? 'oidc'];
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: `mock-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' };
    let provider: MockOAuthProvider | undefined;
    const server = createServer((req, res) => {
      if (!provider) {
        res.writeHead(503).end();
        return;
      }
      provider.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('mock provider failure');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    provider = new MockOAuthProvider(server, dialect, { key: privateKey, jwk }, port, opts.accessTokenTtl ?? 3600);
    return provider;
  }

  /**
   * An `OAuthClientConfig` pointing at this provider: for a dialect, the preset's
   * configuration with its URLs moved to this origin (paths kept); `overrides` win.
   * A `clientId` the mock does not know yet is registered with the given secret
   * (none: a public client).
   */
  clientConfig(overrides: OAuthClientConfig & Record<string, unknown> = {}): OAuthClientConfig {
    const clientId = overrides.clientId ?? this.clientId;
    let client = this.clients.get(clientId);
    if (!client) {
      const apple = this.clients.get(this.clientId)?.apple;
      client = {
        clientId,
        ...(overrides.clientSecret === undefined ? {} : { clientSecret: overrides.clientSecret }),
        ...(apple ? { apple } : {}),
      };
      this.clients.set(clientId, client);
    }
    const credentials: Record<string, unknown> = { clientId };
    if (client.clientSecret !== undefined) credentials.clientSecret = client.clientSecret;
    if (this.appleKey) Object.assign(credentials, this.appleKey);
    if (this.dialect.name === 'oidc') {
      return {
        ...credentials,
        serverMetadataUrl: `${this.issuer}/.well-known/openid-configuration`,
        apiBaseUrl: `${this.origin}/api/`,
        scope: 'openid profile email offline_access',
        ...overrides,
      } as OAuthClientConfig;
    }
    const preset = PRESETS[this.dialect.name as PresetName];
    const base = applyPreset(preset, { ...credentials, ...(this.dialect.presetOptions?.(this.context) ?? {}), ...overrides });
    const moved: Record<string, unknown> = {};
    for (const field of URL_FIELDS) {
      const value = (base as Record<string, unknown>)[field];
      // Only the preset's own URLs move; a URL the caller gave is used as given.
      if (typeof value === 'string' && overrides[field] === undefined) moved[field] = value.replace(/^https?:\/\/[^/]+/, this.origin);
    }
    const config: PresetClientConfig = { ...base, ...moved };
    // The moved URLs count as given by the caller, so a loader that ranks the
    // preset's defaults below settings still points at this mock.
    const source = base[PRESET_SOURCE];
    if (source) config[PRESET_SOURCE] = { ...source, explicit: { ...source.explicit, ...moved } };
    return config;
  }

  /**
   * Who the next authorization logs in (default `{ sub: 'alice' }`); calls queue up,
   * one login each. Claims are OpenID names; a dialect renders them in its own shape.
   */
  nextLogin(claims: MockIdentity, opts: MockLoginOptions = {}): this {
    if (typeof claims?.sub !== 'string' || claims.sub === '') throw new Error('MockOAuthProvider.nextLogin: claims need a string "sub".');
    this.logins.push({ identity: { ...claims }, raw: { ...(opts.raw ?? {}) } });
    return this;
  }

  /** The next authorization is refused with `error` (default `access_denied`) instead. */
  failNextLogin(error = 'access_denied', description = 'The user denied the request.'): this {
    this.failures.push({ error, description });
    return this;
  }

  /** Forgets the recorded requests. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeLogin(): { identity: MockIdentity; raw: Record<string, unknown> } {
    return this.logins.shift() ?? { identity: { ...DEFAULT_IDENTITY }, raw: {} };
  }

  private registerAppleKey(): void {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const key = {
      teamId: 'MOCKTEAM01',
      keyId: 'MOCKKEY001',
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    this.appleKey = key;
    this.clients.set(this.clientId, {
      clientId: this.clientId,
      apple: { teamId: key.teamId, keyId: key.keyId, publicKey },
    });
  }

  // ---------------------------------------------------------------- routing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const request = recordRequest(req, url, body);
    this.requests.push(request);
    writeReply(res, await this.route(request, url));
  }

  private async route(request: MockRequest, url: URL): Promise<MockReply> {
    const d = this.dialect;
    const path = url.pathname;
    if (d.userAgent && !request.headers['user-agent']) return { status: d.userAgent.status, text: d.userAgent.text };
    if (this.oauth1) {
      const reply = await this.oauth1.route(request, url);
      if (reply) return reply;
    }
    if (d.openid && at(d.paths.discovery, path)) {
      const doc = this.discovery();
      return { status: 200, json: d.discovery ? d.discovery(doc, path, this.context) : doc };
    }
    if (d.openid && at(d.paths.jwks, path)) return { status: 200, json: { keys: [this.signing.jwk] } };
    if (at(d.paths.authorize, path) && request.method === 'GET') return this.authorize(url.searchParams, path);
    if (at(d.paths.token, path)) return this.token(request);
    if (at(d.paths.revoke, path)) return this.revoke(request);
    if (d.openid && at(d.paths.userinfo, path)) return this.userinfo(request);
    if (at(d.paths.endSession, path)) return this.endSession(url.searchParams);
    for (const route of d.api) {
      if (!at(route.path, path) || (route.method !== '*' && route.method !== request.method)) continue;
      if (route.auth === 'none') return route.handle({ request, url, token: undefined as never, mock: this.context });
      const token = this.activeToken(request.headers.authorization, ['bearer', 'token', 'oauth']);
      if (!token) return { status: 401, json: { error: 'invalid_token', error_description: 'The access token is missing, expired or revoked.' }, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
      return route.handle({ request, url, token, mock: this.context });
    }
    return { status: 404, json: { error: 'not_found', error_description: `No such endpoint: ${request.method} ${path}` } };
  }

  private discovery(): Record<string, unknown> {
    const d = this.dialect;
    const endpoint = (p: MockPath | undefined) => (typeof p === 'string' ? `${this.origin}${p}` : undefined);
    const auth = d.clientAuth.map((m) => (m === 'basic' ? 'client_secret_basic' : 'client_secret_post'));
    const doc: Record<string, unknown> = {
      issuer: this.issuer,
      authorization_endpoint: endpoint(d.paths.authorize),
      token_endpoint: endpoint(d.paths.token),
      jwks_uri: endpoint(d.paths.jwks),
      userinfo_endpoint: endpoint(d.paths.userinfo),
      revocation_endpoint: endpoint(d.paths.revoke),
      end_session_endpoint: endpoint(d.paths.endSession),
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: auth,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'email', 'email_verified', 'picture', 'preferred_username'],
      ...(d.pkce === 'refused' ? {} : { code_challenge_methods_supported: ['S256'] }),
      ...(d.issParameter ? { authorization_response_iss_parameter_supported: true } : {}),
    };
    for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
    return doc;
  }

  // ---------------------------------------------------------- authorization

  private authorize(params: URLSearchParams, path: string): MockReply {
    const d = this.dialect;
    const clientId = params.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    // RFC 6749 section 4.1.2.1: with an unknown client or a bad redirect URI the
    // user is told, never redirected.
    if (!client) return { status: 400, html: '<h1>Unknown client</h1>' };
    const redirectUri = params.get('redirect_uri') ?? '';
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return { status: 400, html: '<h1>Invalid redirect_uri</h1>' };
    }
    if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.hash !== '') {
      return { status: 400, html: '<h1>Invalid redirect_uri</h1>' };
    }
    const state = params.get('state');
    const responseMode = params.get('response_mode') ?? 'query';
    const answer = (fields: Record<string, string>): MockReply => {
      const out = { ...fields, ...(state === null ? {} : { state }), ...(d.issParameter ? { iss: this.issuer } : {}) };
      if (responseMode === 'form_post') return { status: 200, html: formPostPage(redirectUri, out) };
      return { status: 302, redirect: redirectWith(redirectUri, out) };
    };
    if (responseMode !== 'query' && responseMode !== 'form_post') {
      return answer({ error: 'invalid_request', error_description: 'response_mode must be query or form_post.' });
    }
    if (params.get('response_type') !== 'code') {
      return answer({ error: 'unsupported_response_type', error_description: 'Only response_type=code is supported.' });
    }
    const challenge = params.get('code_challenge') ?? undefined;
    if (challenge !== undefined && d.pkce !== 'refused') {
      if ((params.get('code_challenge_method') ?? 'plain') !== 'S256') {
        return answer({ error: 'invalid_request', error_description: 'code_challenge_method must be S256.' });
      }
      if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return answer({ error: 'invalid_request', error_description: 'code_challenge is malformed.' });
    } else if (d.pkce === 'required') {
      return answer({ error: 'invalid_request', error_description: 'Missing required parameter [code_challenge].' });
    }
    const refusal = d.authorizeError?.(params, client, path);
    if (refusal?.page) return { status: 400, html: `<h1>${refusal.error}</h1><p>${refusal.description}</p>` };
    if (refusal) return answer({ error: refusal.error, error_description: refusal.description });
    const failure = this.failures.shift();
    if (failure) return answer({ error: failure.error, error_description: failure.description });

    const { identity, raw } = this.takeLogin();
    const consentKey = `${clientId}\u0000${identity.sub}`;
    const grant: MockGrant = {
      clientId,
      redirectUri,
      scope: (params.get('scope') ?? '').split(/[\s,]+/).filter(Boolean),
      params: new URLSearchParams(params),
      identity,
      authorizePath: path,
      raw,
      ...(params.get('nonce') ? { nonce: params.get('nonce')! } : {}),
      ...(challenge !== undefined && d.pkce !== 'refused' ? { codeChallenge: challenge } : {}),
      firstConsent: !this.consented.has(consentKey),
      authTime: Math.floor(Date.now() / 1000),
    };
    this.consented.add(consentKey);
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { grant, expiresAt: Date.now() / 1000 + CODE_TTL });
    return answer({ code, ...(d.callbackExtras?.(grant) ?? {}) });
  }

  // ------------------------------------------------------------------ token

  /** Client authentication at the token and revocation endpoints: the dialect's rules. */
  private async authenticateClient(request: MockRequest, form: URLSearchParams): Promise<MockClient | MockReply> {
    const d = this.dialect;
    if (d.authenticate) return d.authenticate(form, request, this.context);
    const fail = (description: string, status = 401) => d.tokenError(status, 'invalid_client', description, request);
    const basic = basicCredentials(request.headers.authorization);
    const postSecret = form.get('client_secret');
    // RFC 6749 section 2.3: one authentication method per request.
    if (basic && postSecret !== null) return fail('Client authentication was sent twice (Basic and body).', 400);
    const clientId = basic?.id ?? form.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (!client) return fail('Unknown client.');
    if (basic && form.has('client_id') && form.get('client_id') !== basic.id) return fail('client_id differs from the Basic credentials.', 400);
    if (client.clientSecret === undefined) {
      if (basic || postSecret !== null) return fail('This public client has no secret.');
      return client;
    }
    if (basic) {
      if (!d.clientAuth.includes('basic')) return fail('HTTP Basic authentication is not supported; send client_secret in the body.');
      if (d.clientIdInBody && !form.has('client_id')) return d.tokenError(400, 'invalid_request', 'Missing required parameter [client_id].', request);
      return equal(basic.secret, client.clientSecret) ? client : fail('Client authentication failed.');
    }
    if (postSecret !== null) {
      if (!d.clientAuth.includes('post')) return fail('Missing valid authorization header');
      return equal(postSecret, client.clientSecret) ? client : fail('Client authentication failed.');
    }
    return fail(d.clientAuth.includes('basic') ? 'Missing valid authorization header' : 'Missing client_secret.');
  }

  private async token(request: MockRequest): Promise<MockReply> {
    const d = this.dialect;
    if (request.method !== 'POST') return d.tokenError(405, 'invalid_request', 'The token endpoint takes POST.', request);
    if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return d.tokenError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded.', request);
    }
    const form = new URLSearchParams(request.body);
    const client = await this.authenticateClient(request, form);
    if (!('clientId' in client)) return client;
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.codeGrant(request, form, client);
    if (grantType === 'refresh_token') return this.refreshGrant(request, form, client);
    return d.tokenError(400, 'unsupported_grant_type', 'Only authorization_code and refresh_token are supported.', request);
  }

  private async codeGrant(request: MockRequest, form: URLSearchParams, client: MockClient): Promise<MockReply> {
    const d = this.dialect;
    const code = form.get('code') ?? '';
    const entry = this.codes.get(code);
    if (!entry) {
      // RFC 6749 section 4.1.2: a code used twice revokes what it gave.
      for (const t of this.usedCodes.get(code) ?? []) this.revokeAny(t);
      return d.tokenError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used.', request);
    }
    this.codes.delete(code);
    const { grant } = entry;
    if (entry.expiresAt < Date.now() / 1000) return d.tokenError(400, 'invalid_grant', 'The authorization code has expired.', request);
    if (grant.clientId !== client.clientId) return d.tokenError(400, 'invalid_grant', 'The authorization code was issued to another client.', request);
    if (form.get('redirect_uri') !== grant.redirectUri) {
      return d.tokenError(400, 'invalid_grant', 'redirect_uri differs from the authorization request.', request);
    }
    const verifier = form.get('code_verifier');
    if (verifier !== null && d.pkce === 'refused') {
      return d.tokenError(401, 'invalid_client', 'Client authentication failed: PKCE is only for native apps.', request);
    }
    if (grant.codeChallenge !== undefined) {
      if (verifier === null) return d.tokenError(400, 'invalid_grant', 'Missing code_verifier.', request);
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
        return d.tokenError(400, 'invalid_grant', 'code_verifier does not match the code_challenge.', request);
      }
    } else if (verifier !== null) {
      return d.tokenError(400, 'invalid_grant', 'code_verifier given, but the authorization request had no code_challenge.', request);
    }
    const reply = await this.issue(request, grant, true, undefined);
    this.usedCodes.set(code, reply.issued);
    return reply.reply;
  }

  private async refreshGrant(request: MockRequest, form: URLSearchParams, client: MockClient): Promise<MockReply> {
    const d = this.dialect;
    const value = form.get('refresh_token') ?? '';
    const entry = this.refreshTokens.get(value);
    if (!entry || entry.revoked) return d.tokenError(400, 'invalid_grant', 'The refresh token is invalid or revoked.', request);
    if (entry.grant.clientId !== client.clientId) return d.tokenError(400, 'invalid_grant', 'The refresh token was issued to another client.', request);
    if (d.rotateRefreshTokens) entry.revoked = true;
    return (await this.issue(request, entry.grant, false, d.rotateRefreshTokens ? undefined : value)).reply;
  }

  /** Issues tokens for a grant; `keptRefresh` is a refresh token that stays valid (not rotated). */
  private async issue(request: MockRequest, grant: MockGrant, first: boolean, keptRefresh: string | undefined): Promise<{ reply: MockReply; issued: string[] }> {
    const d = this.dialect;
    const accessToken = randomBytes(24).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    this.accessTokens.set(accessToken, { token: accessToken, grant, expiresAt: now + this.accessTokenTtl, revoked: false });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTokenTtl,
      scope: grant.scope.join(' '),
    };
    const issued = [accessToken];
    if (keptRefresh !== undefined) this.refreshTokens.get(keptRefresh)?.accessTokens.push(accessToken);
    if (keptRefresh === undefined && (first ? d.refreshIssued(grant) : true)) {
      const refreshToken = randomBytes(32).toString('base64url');
      this.refreshTokens.set(refreshToken, { grant, revoked: false, accessTokens: [accessToken] });
      body.refresh_token = refreshToken;
      issued.push(refreshToken);
    }
    if (d.openid && grant.scope.includes('openid')) body.id_token = await this.idToken(grant, accessToken, first);
    const reply = d.tokenAnswer ? d.tokenAnswer(body, grant, request) : { status: 200, json: body };
    return { reply, issued };
  }

  private async idToken(grant: MockGrant, accessToken: string, first: boolean): Promise<string> {
    const d = this.dialect;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { ...(d.claims ? d.claims(grant, 'id_token') : scopedClaims(grant)) };
    for (const k of ['iss', 'aud', 'exp', 'iat', 'nonce', 'at_hash', 'auth_time']) delete claims[k];
    // OpenID Connect Core 3.1.3.6: at_hash is the left half of the token's SHA-256.
    const digest = createHash('sha256').update(accessToken).digest();
    claims.at_hash = digest.subarray(0, digest.length / 2).toString('base64url');
    claims.auth_time = grant.authTime;
    // The nonce belongs to the login; refreshed ID tokens carry none (Core 12.2).
    if (first && grant.nonce !== undefined && !d.omitsNonce) claims.nonce = grant.nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.signing.jwk.kid!, typ: 'JWT' })
      .setIssuer(d.idTokenIssuer ? d.idTokenIssuer(this.issuer, grant) : this.issuer)
      .setSubject(grant.identity.sub)
      .setAudience(grant.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(this.signing.key);
  }

  // ------------------------------------------------- userinfo, revocation, logout

  private userinfo(request: MockRequest): MockReply {
    const token = this.activeToken(request.headers.authorization, ['bearer']);
    if (!token) {
      return { status: 401, json: { error: 'invalid_token' }, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
    }
    const d = this.dialect;
    const claims = d.claims ? d.claims(token.grant, 'userinfo') : scopedClaims(token.grant);
    return { status: 200, json: { ...claims, sub: token.grant.identity.sub } };
  }

  private async revoke(request: MockRequest): Promise<MockReply> {
    const form = new URLSearchParams(request.body);
    const client = await this.authenticateClient(request, form);
    if (!('clientId' in client)) return client;
    const value = form.get('token') ?? '';
    const access = this.accessTokens.get(value);
    const refresh = this.refreshTokens.get(value);
    // RFC 7009 section 2.2: an unknown or foreign token is answered 200 all the same.
    if (access?.grant.clientId === client.clientId || refresh?.grant.clientId === client.clientId) this.revokeAny(value);
    return { status: 200, text: '' };
  }

  private revokeAny(value: string): void {
    const access = this.accessTokens.get(value);
    if (access) access.revoked = true;
    const refresh = this.refreshTokens.get(value);
    if (refresh) {
      refresh.revoked = true;
      for (const t of refresh.accessTokens) this.revokeAny(t);
    }
  }

  private endSession(params: URLSearchParams): MockReply {
    const target = params.get('post_logout_redirect_uri');
    if (target) {
      const state = params.get('state');
      return { status: 302, redirect: state === null ? target : redirectWith(target, { state }) };
    }
    return { status: 200, html: '<h1>Signed out</h1>' };
  }

  private activeToken(header: string | undefined, schemes: readonly string[]): MockAccessToken | undefined {
    const value = bearerToken(header, schemes);
    const token = value === undefined ? undefined : this.accessTokens.get(value);
    if (!token || token.revoked || token.expiresAt <= Date.now() / 1000) return undefined;
    return token;
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function at(p: MockPath | undefined, path: string): boolean {
  if (p === undefined) return false;
  return typeof p === 'string' ? p === path : p.test(path);
}
