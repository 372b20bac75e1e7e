/**
 * A hostile OpenID provider: by default a small, strict, correct one (discovery,
 * JWKS, authorization code with PKCE, refresh token, token, userinfo); every answer
 * can be bent per test through `provider.scenario` into what no real provider sends —
 * forged or malformed ID tokens, broken token bodies, wrong issuers, odd key sets —
 * or fail at the transport level (no answer, a reset, a 5xx page, a 200 MB body).
 *
 * It logs every request it receives (method, path, time) and every authorization
 * and token exchange, and remembers every secret it handed out or was sent (codes,
 * verifiers, tokens), so a test can prove that after a refusal nothing more reached
 * it and that no secret leaked into an error message.
 *
 * Listens on 127.0.0.1, port 0. Imports nothing from lib/.
 */
import { createHash, createHmac, KeyObject, randomBytes, sign as nodeSign, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Browser, BrowserResponse } from './browser.js';

export const HOSTILE_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks.json',
  authorize: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
} as const;

export type HostilePath = (typeof HOSTILE_PATHS)[keyof typeof HOSTILE_PATHS];

/**
 * How a path fails before any of its logic runs: `hang` never answers, `reset`
 * destroys the connection, `5xx` is an HTML 503 page, `huge` streams up to 200 MB
 * of filler with a 200 for as long as the client reads.
 */
export type HostileFault = 'hang' | 'reset' | '5xx' | 'huge';
export const HOSTILE_FAULTS: readonly HostileFault[] = ['hang', 'reset', '5xx', 'huge'];

/** One request as the provider received it. */
export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  /** `Date.now()` on arrival. */
  at: number;
}

/** What the authorization endpoint saw. */
export interface AuthorizationRecord {
  clientId: string | null;
  responseType: string | null;
  redirectUri: string | null;
  scope: string | null;
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  /** The code issued, or null when the request was refused. */
  code: string | null;
}

/** What the token endpoint saw and what it made of it. */
export interface ExchangeRecord {
  grantType: string | null;
  code: string | null;
  refreshToken: string | null;
  codeVerifier: string | null;
  redirectUri: string | null;
  /** `client_secret_basic`, `client_secret_post` or `none`. */
  clientAuth: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** null when the exchange was valid; else the OAuth error answered. */
  refusal: string | null;
  /** The access token issued (also when a scenario then replaced the answer). */
  accessToken?: string;
  idToken?: string;
}

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';

/** A key pair of the provider. `publicJwk` carries kid, alg and use "sig". */
export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

/**
 * The provider's keys. `rsa` and `ec` are published by default; `okp` and `spareRsa`
 * exist for scenarios (decoys, several keys of one type).
 */
export interface ProviderKeys {
  rsa: SigningKey;
  ec: SigningKey;
  okp: SigningKey;
  spareRsa: SigningKey;
}

/**
 * Ways to break an ID token's protection after its claims are set:
 * - `alg-none`: header `{"alg":"none"}` and an empty signature;
 * - `altered-signature`: a correct signature with one byte flipped;
 * - `hs256-public-pem` / `hs256-public-jwk`: HS256, the MAC keyed with the RSA public
 *   key in PEM or JWK (JSON) form, the RSA key's kid kept (the key-confusion attack);
 * - `hs256-client-secret`: HS256 keyed with the client secret (valid only for a client
 *   that configured HS256);
 * - `unknown-crit`: correctly signed, with a `crit` header naming an unknown extension;
 * - `hand-signed`: correctly signed by hand like `unknown-crit` but without `crit`
 *   (the control that shows `unknown-crit` is refused for its crit alone).
 */
export type IdTokenForgery =
  | 'alg-none'
  | 'altered-signature'
  | 'hs256-public-pem'
  | 'hs256-public-jwk'
  | 'hs256-client-secret'
  | 'unknown-crit'
  | 'hand-signed';

/** What ID-token hooks get to look at. */
export interface IdTokenContext {
  issuer: string;
  clientId: string;
  clientSecret: string;
  keys: ProviderKeys;
  /** The nonce of the authorization request (null when none was sent, and on refresh). */
  nonce: string | null;
  /** The grant this ID token answers. */
  grant: 'authorization_code' | 'refresh_token';
  accessToken: string;
  now: number;
}

/** A raw HTTP answer of the token endpoint. */
export interface RawResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface TokenContext {
  code: string;
  codeVerifier: string | null;
  accessToken: string;
  idToken?: string;
}

/** How an ID token is bent: which key signs, header and claim edits, a forgery. */
export interface IdTokenScenario {
  /** Which key signs (default `rsa`). */
  signWith?: 'rsa' | 'ec' | 'spareRsa';
  header?(header: Record<string, unknown>, ctx: IdTokenContext): void;
  claims?(claims: Record<string, unknown>, ctx: IdTokenContext): void;
  forge?: IdTokenForgery;
  /** Replace the finished compact JWS. */
  replace?(jwt: string, ctx: IdTokenContext): string;
}

/** The back-channel logout event a logout token carries (OpenID Back-Channel Logout 1.0 section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What logout-token hooks get to look at. */
export interface LogoutTokenContext {
  issuer: string;
  clientId: string;
  keys: ProviderKeys;
  now: number;
}

/**
 * How a logout token is bent, like `IdTokenScenario`. By default it is valid:
 * RS256 with the published key, `typ: logout+jwt`, iss, aud, iat, exp (two
 * minutes), a fresh jti, the back-channel logout event, sub and sid.
 */
export interface LogoutTokenScenario {
  /** Which key signs (default `rsa`). */
  signWith?: 'rsa' | 'ec' | 'spareRsa';
  header?(header: Record<string, unknown>, ctx: LogoutTokenContext): void;
  claims?(claims: Record<string, unknown>, ctx: LogoutTokenContext): void;
  forge?: IdTokenForgery;
  /** Replace the finished compact JWS. */
  replace?(jwt: string, ctx: LogoutTokenContext): string;
}

export interface HostileScenario {
  /** Transport faults by path (see HOSTILE_PATHS; any path works, e.g. an API path). */
  faults?: Partial<Record<string, HostileFault>>;
  discovery?: {
    /** The `issuer` member (default: the provider's origin). */
    issuer?: string;
    /** `authorization_response_iss_parameter_supported` (default true; null drops it). */
    issParameterSupported?: boolean | null;
    /** `id_token_signing_alg_values_supported` (default RS256, ES256). */
    algs?: string[];
    edit?(doc: Record<string, unknown>): void;
  };
  /** The published `keys` list; gets the default list and every key the provider has. */
  jwks?(published: JWK[], keys: ProviderKeys): unknown[];
  authorize?: {
    /** The `iss` response parameter: a string replaces it, null drops it. */
    iss?: string | null;
    /** Last edit of the parameters sent back (code, state, iss, …). */
    edit?(params: URLSearchParams): void;
  };
  /** The ID token of an authorization code exchange. */
  idToken?: IdTokenScenario;
  /** The answer to a refresh_token grant. */
  refresh?: {
    /** The ID token issued on refresh (when the grant's scope has openid). */
    idToken?: IdTokenScenario;
    /** Replace the whole answer of a successful refresh (the new access token is issued all the same). */
    respond?: RawResponse | ((body: Record<string, unknown>) => RawResponse);
  };
  token?: {
    /** Edit the JSON body of a successful exchange. */
    edit?(body: Record<string, unknown>, ctx: TokenContext): void;
    /** Replace the whole answer of a successful exchange (the code is used up all the same). */
    respond?: RawResponse | ((body: Record<string, unknown>, ctx: TokenContext) => RawResponse);
  };
  userinfo?: {
    claims?(claims: Record<string, unknown>): void;
  };
}

export interface HostileProvider {
  readonly origin: string;
  readonly discoveryUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The client as an app configures it for this provider (structurally an
   * `OAuthClientConfig`): its credentials, discovery URL and `openid profile`.
   */
  readonly client: { clientId: string; clientSecret: string; serverMetadataUrl: string; scope: string };
  readonly keys: ProviderKeys;
  /** Applied to every request from now on; `reset()` clears it. */
  scenario: HostileScenario;
  readonly requests: readonly RecordedRequest[];
  readonly authorizations: readonly AuthorizationRecord[];
  readonly exchanges: readonly ExchangeRecord[];
  /** The number of requests logged so far: pass it to `requestsSince`/`count`. */
  mark(): number;
  requestsSince(mark: number): RecordedRequest[];
  /** `"GET /jwks.json"`-style lines since `mark`, for readable assertions. */
  linesSince(mark: number): string[];
  count(path: string, since?: number): number;
  /** Every secret handed out or received: codes, verifiers, tokens, the client secret. */
  secrets(): string[];
  /**
   * A logout token as this provider would POST it to an app's back-channel logout
   * route (it sends none by itself); `scenario` bends it. `sub` is the provider's
   * user, `sid` defaults to `hostile-sid-1`.
   */
  signLogoutToken(scenario?: LogoutTokenScenario): Promise<string>;
  /** Replace the RSA signing key by a new one with a new kid (the old one is unpublished). */
  rotateKeys(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export interface HostileProviderOptions {
  clientId?: string;
  clientSecret?: string;
  /** The subject of the one user. */
  sub?: string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: number;
  /** When the user authenticated (seconds), kept for ID tokens issued on refresh. */
  authTime: number;
}

/** What a refresh token stands for. */
interface Grant {
  scope: string;
  authTime: number;
}

const MAX_BODY = 64 * 1024;
const CODE_LIFETIME_MS = 60_000;

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');
const b64json = (v: unknown): string => b64url(JSON.stringify(v));
const random = (bytes = 24): string => randomBytes(bytes).toString('base64url');

/** OIDC Core 3.1.3.6: left half of the SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/** Flips one bit of the middle byte of a compact JWS's signature. */
export function alterSignature(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[bytes.length >> 1] ^= 0x01;
  return `${h}.${p}.${bytes.toString('base64url')}`;
}

/** Signs a compact JWS by hand (node:crypto), whatever the header says. */
function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const keyObject = KeyObject.from(key.privateKey);
  const sig =
    key.alg === 'ES256'
      ? nodeSign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
      : nodeSign(key.alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), keyObject);
  return `${input}.${sig.toString('base64url')}`;
}

function hs256(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Signs `claims` with `key` under `header`, or breaks the protection as `forge` says. */
async function signJwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: SigningKey,
  forge: IdTokenForgery | undefined,
  keys: ProviderKeys,
  clientSecret: string,
): Promise<string> {
  switch (forge) {
    case 'alg-none':
      return `${b64json({ ...header, alg: 'none' })}.${b64json(claims)}.`;
    case 'altered-signature':
      return alterSignature(
        await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as { alg: string }).sign(key.privateKey),
      );
    case 'hs256-public-pem':
      return hs256({ ...header, alg: 'HS256', kid: keys.rsa.kid }, claims, keys.rsa.publicPem);
    case 'hs256-public-jwk':
      return hs256({ ...header, alg: 'HS256', kid: keys.rsa.kid }, claims, JSON.stringify(keys.rsa.publicJwk));
    case 'hs256-client-secret':
      return hs256({ ...header, alg: 'HS256' }, claims, clientSecret);
    case 'unknown-crit':
      // jose refuses to sign an unknown crit extension, so this one is signed by hand.
      return signRaw({ ...header, crit: ['urn:hostile:must-understand'], 'urn:hostile:must-understand': true }, claims, key);
    case 'hand-signed':
      return signRaw(header, claims, key);
    default:
      // CompactSign signs the claims as given (a non-string sub, no exp, …) with the header as given.
      return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }
}

async function makeKey(alg: SigningAlg, kid: string): Promise<SigningKey> {
  const pair = alg === 'EdDSA' ? await generateKeyPair('Ed25519', { extractable: true }) : await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return {
    kid,
    alg,
    privateKey: pair.privateKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    publicPem: await exportSPKI(pair.publicKey),
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential half (RFC 6749 2.3.1). */
function formDecode(v: string): string {
  return decodeURIComponent(v.replace(/\+/g, ' '));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const HUGE_BYTES = 200 * 1024 * 1024;

/** Streams up to 200 MB of spaces as JSON, honouring back-pressure, until the client goes away. */
function streamHuge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < HUGE_BYTES) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('error', () => undefined);
  pump();
}

/** Answers `fault`; a `hang` leaves the request open until the client or `close()` ends it. */
function fail(req: IncomingMessage, res: ServerResponse, fault: HostileFault): void {
  switch (fault) {
    case 'hang':
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case '5xx':
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Service Unavailable</h1></body></html>');
      return;
    case 'huge':
      streamHuge(res);
      return;
  }
}

export async function startHostileProvider(options: HostileProviderOptions = {}): Promise<HostileProvider> {
  const clientId = options.clientId ?? 'hostile-client';
  const clientSecret = options.clientSecret ?? `hostile-secret-${random(12)}`;
  const sub = options.sub ?? 'user-1';
  const keys: ProviderKeys = {
    rsa: await makeKey('RS256', 'rsa-1'),
    ec: await makeKey('ES256', 'ec-1'),
    okp: await makeKey('EdDSA', 'okp-1'),
    spareRsa: await makeKey('RS256', 'rsa-spare'),
  };
  let rotations = 0;
  let origin = '';
  const requests: RecordedRequest[] = [];
  const authorizations: AuthorizationRecord[] = [];
  const exchanges: ExchangeRecord[] = [];
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, Grant>();
  const accessTokens = new Set<string>();
  const handedOut = new Set<string>([clientSecret]);
  const sockets = new Set<Socket>();

  const discovery = (scenario: HostileScenario): Record<string, unknown> => {
    const s = scenario.discovery ?? {};
    const doc: Record<string, unknown> = {
      issuer: s.issuer ?? origin,
      authorization_endpoint: origin + HOSTILE_PATHS.authorize,
      token_endpoint: origin + HOSTILE_PATHS.token,
      userinfo_endpoint: origin + HOSTILE_PATHS.userinfo,
      jwks_uri: origin + HOSTILE_PATHS.jwks,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: s.algs ?? ['RS256', 'ES256'],
      authorization_response_iss_parameter_supported: s.issParameterSupported === undefined ? true : s.issParameterSupported,
    };
    if (doc.authorization_response_iss_parameter_supported === null) delete doc.authorization_response_iss_parameter_supported;
    s.edit?.(doc);
    return doc;
  };

  const authorize = (url: URL, res: ServerResponse, scenario: HostileScenario): void => {
    const q = url.searchParams;
    const record: AuthorizationRecord = {
      clientId: q.get('client_id'),
      responseType: q.get('response_type'),
      redirectUri: q.get('redirect_uri'),
      scope: q.get('scope'),
      state: q.get('state'),
      nonce: q.get('nonce'),
      codeChallenge: q.get('code_challenge'),
      codeChallengeMethod: q.get('code_challenge_method'),
      code: null,
    };
    authorizations.push(record);
    let redirect: URL | undefined;
    try {
      redirect = record.redirectUri ? new URL(record.redirectUri) : undefined;
    } catch {
      redirect = undefined;
    }
    // Like a real provider: an unknown client or a bad redirect_uri gets an error page,
    // never a redirect (RFC 6749 4.1.2.1).
    if (record.clientId !== clientId || !redirect || !/^https?:$/.test(redirect.protocol) || redirect.hash) {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end('<h1>Invalid client or redirect_uri</h1>');
      return;
    }
    const back = new URLSearchParams();
    if (record.responseType !== 'code') {
      back.set('error', 'unsupported_response_type');
    } else if (record.codeChallengeMethod !== null && record.codeChallengeMethod !== 'S256') {
      back.set('error', 'invalid_request');
    } else {
      const code = random();
      handedOut.add(code);
      record.code = code;
      codes.set(code, {
        clientId,
        redirectUri: record.redirectUri!,
        scope: record.scope ?? '',
        nonce: record.nonce,
        codeChallenge: record.codeChallenge,
        codeChallengeMethod: record.codeChallengeMethod,
        expiresAt: Date.now() + CODE_LIFETIME_MS,
        authTime: Math.floor(Date.now() / 1000),
      });
      back.set('code', code);
    }
    if (record.state !== null) back.set('state', record.state);
    const iss = scenario.authorize?.iss === undefined ? origin : scenario.authorize.iss;
    if (iss !== null) back.set('iss', iss);
    scenario.authorize?.edit?.(back);
    for (const [k, v] of back) if (k === 'code' || k === 'access_token' || k === 'id_token') handedOut.add(v);
    for (const [k, v] of redirect.searchParams) back.append(k, v);
    redirect.search = back.toString();
    res.writeHead(302, { location: redirect.toString(), 'cache-control': 'no-store' });
    res.end();
  };

  const idToken = async (
    grant: { nonce: string | null; authTime: number },
    accessToken: string,
    s: IdTokenScenario,
    kind: IdTokenContext['grant'],
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const ctx: IdTokenContext = { issuer: origin, clientId, clientSecret, keys, nonce: grant.nonce, grant: kind, accessToken, now };
    const key = keys[s.signWith ?? 'rsa'];
    const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'JWT' };
    const claims: Record<string, unknown> = {
      iss: origin,
      sub,
      aud: clientId,
      exp: now + 600,
      iat: now,
      // OIDC Core 12.2: on refresh, auth_time stays the time of the original authentication.
      auth_time: grant.authTime,
      at_hash: atHash(accessToken),
      name: 'Hostile User',
      email: 'user@hostile.test',
    };
    if (grant.nonce !== null) claims.nonce = grant.nonce;
    s.header?.(header, ctx);
    s.claims?.(claims, ctx);
    let jwt = await signJwt(header, claims, key, s.forge, keys, clientSecret);
    if (s.replace) jwt = s.replace(jwt, ctx);
    return jwt;
  };

  const token = async (req: IncomingMessage, res: ServerResponse, scenario: HostileScenario): Promise<void> => {
    if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
    const form = new URLSearchParams(await readBody(req));
    const record: ExchangeRecord = {
      grantType: form.get('grant_type'),
      code: form.get('code'),
      refreshToken: form.get('refresh_token'),
      codeVerifier: form.get('code_verifier'),
      redirectUri: form.get('redirect_uri'),
      clientAuth: 'none',
      refusal: null,
    };
    exchanges.push(record);
    if (record.codeVerifier) handedOut.add(record.codeVerifier);
    const refuse = (status: number, error: string, description: string, headers: Record<string, string> = {}): void => {
      record.refusal = error;
      json(res, status, { error, error_description: description }, headers);
    };

    // Client authentication (RFC 6749 2.3.1): Basic with form-encoded halves, or the body.
    let id: string | null = null;
    let secret: string | null = null;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const decoded = Buffer.from(authz.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      try {
        id = formDecode(decoded.slice(0, colon));
        secret = formDecode(decoded.slice(colon + 1));
      } catch {
        id = null;
      }
      record.clientAuth = 'client_secret_basic';
      if (form.has('client_secret')) return refuse(400, 'invalid_request', 'more than one client authentication method');
    } else if (form.has('client_secret')) {
      id = form.get('client_id');
      secret = form.get('client_secret');
      record.clientAuth = 'client_secret_post';
    }
    if (id !== clientId || secret === null || !sameSecret(secret, clientSecret)) {
      return refuse(401, 'invalid_client', 'client authentication failed', { 'www-authenticate': 'Basic realm="hostile"' });
    }
    if (record.grantType === 'refresh_token') return refresh(record, res, scenario, refuse);
    if (record.grantType !== 'authorization_code') return refuse(400, 'unsupported_grant_type', 'only authorization_code and refresh_token');
    const pending = record.code === null ? undefined : codes.get(record.code);
    // Single use: a code is gone once presented, whatever the outcome (RFC 6749 4.1.2).
    if (record.code !== null) codes.delete(record.code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== id) return refuse(400, 'invalid_grant', 'unknown, used or expired code');
    if (record.redirectUri !== pending.redirectUri) return refuse(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
    if (pending.codeChallenge !== null) {
      const verifier = record.codeVerifier ?? '';
      // RFC 7636 4.1: 43-128 unreserved characters.
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return refuse(400, 'invalid_grant', 'missing or malformed code_verifier');
      if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== pending.codeChallenge) {
        return refuse(400, 'invalid_grant', 'PKCE verification failed');
      }
    } else if (record.codeVerifier !== null) {
      return refuse(400, 'invalid_grant', 'code_verifier without a code_challenge');
    }

    const accessToken = random(32);
    const refreshToken = random(32);
    accessTokens.add(accessToken);
    handedOut.add(accessToken).add(refreshToken);
    refreshTokens.set(refreshToken, { scope: pending.scope, authTime: pending.authTime });
    record.accessToken = accessToken;
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refreshToken,
      scope: pending.scope,
    };
    if (pending.scope.split(' ').includes('openid')) {
      const jwt = await idToken(pending, accessToken, scenario.idToken ?? {}, 'authorization_code');
      handedOut.add(jwt);
      record.idToken = jwt;
      body.id_token = jwt;
    }
    const ctx: TokenContext = { code: record.code!, codeVerifier: record.codeVerifier, accessToken, ...(record.idToken ? { idToken: record.idToken } : {}) };
    scenario.token?.edit?.(body, ctx);
    const respond = scenario.token?.respond;
    if (respond) {
      const raw = typeof respond === 'function' ? respond(body, ctx) : respond;
      res.writeHead(raw.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(raw.headers ?? {}) });
      res.end(raw.body);
      return;
    }
    json(res, 200, body);
  };

  /**
   * RFC 6749 6: a new access token for a refresh token; the refresh token is not
   * rotated (the client keeps using the one it has). With openid, a new ID token
   * with the same iss, sub and aud (OIDC Core 12.2) and no nonce.
   */
  const refresh = async (
    record: ExchangeRecord,
    res: ServerResponse,
    scenario: HostileScenario,
    refuse: (status: number, error: string, description: string) => void,
  ): Promise<void> => {
    const grant = record.refreshToken === null ? undefined : refreshTokens.get(record.refreshToken);
    if (!grant) return refuse(400, 'invalid_grant', 'unknown refresh token');
    const accessToken = random(32);
    accessTokens.add(accessToken);
    handedOut.add(accessToken);
    record.accessToken = accessToken;
    const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: grant.scope };
    if (grant.scope.split(' ').includes('openid')) {
      const jwt = await idToken({ nonce: null, authTime: grant.authTime }, accessToken, scenario.refresh?.idToken ?? {}, 'refresh_token');
      handedOut.add(jwt);
      record.idToken = jwt;
      body.id_token = jwt;
    }
    const respond = scenario.refresh?.respond;
    if (respond) {
      const raw = typeof respond === 'function' ? respond(body) : respond;
      res.writeHead(raw.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(raw.headers ?? {}) });
      res.end(raw.body);
      return;
    }
    json(res, 200, body);
  };

  const userinfo = (req: IncomingMessage, res: ServerResponse, scenario: HostileScenario): void => {
    const authz = req.headers.authorization ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(authz);
    if (!match || !accessTokens.has(match[1])) {
      return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    const claims: Record<string, unknown> = { sub, name: 'Hostile User', email: 'user@hostile.test' };
    scenario.userinfo?.claims?.(claims);
    json(res, 200, claims);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    requests.push({ seq: requests.length, method: req.method ?? 'GET', path: url.pathname, at: Date.now() });
    // The scenario in force when the request arrived, even if a test swaps it meanwhile.
    const scenario = provider.scenario;
    const fault = scenario.faults?.[url.pathname];
    if (fault) return fail(req, res, fault);
    const handle = async (): Promise<void> => {
      switch (url.pathname) {
        case HOSTILE_PATHS.discovery:
          return json(res, 200, discovery(scenario));
        case HOSTILE_PATHS.jwks: {
          const published: JWK[] = [keys.rsa.publicJwk, keys.ec.publicJwk];
          return json(res, 200, { keys: scenario.jwks ? scenario.jwks(published, keys) : published });
        }
        case HOSTILE_PATHS.authorize:
          return authorize(url, res, scenario);
        case HOSTILE_PATHS.token:
          return token(req, res, scenario);
        case HOSTILE_PATHS.userinfo:
          return userinfo(req, res, scenario);
        default:
          return json(res, 404, { error: 'not_found' });
      }
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: err instanceof Error ? err.message : 'failure' });
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A long listen queue: a thousand concurrent logins reach the provider at once, and
  // Node's default of 511 overflows on a loaded machine (the kernel then resets some).
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider: HostileProvider = {
    origin,
    discoveryUrl: origin + HOSTILE_PATHS.discovery,
    clientId,
    clientSecret,
    client: { clientId, clientSecret, serverMetadataUrl: origin + HOSTILE_PATHS.discovery, scope: 'openid profile' },
    keys,
    scenario: {},
    requests,
    authorizations,
    exchanges,
    mark: () => requests.length,
    requestsSince: (mark) => requests.slice(mark),
    linesSince: (mark) => requests.slice(mark).map((r) => `${r.method} ${r.path}`),
    count: (path, since = 0) => requests.slice(since).filter((r) => r.path === path).length,
    secrets: () => [...handedOut],
    signLogoutToken: async (s = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const ctx: LogoutTokenContext = { issuer: origin, clientId, keys, now };
      const key = keys[s.signWith ?? 'rsa'];
      const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'logout+jwt' };
      const claims: Record<string, unknown> = {
        iss: origin,
        aud: clientId,
        iat: now,
        exp: now + 120,
        jti: random(16),
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
        sub,
        sid: 'hostile-sid-1',
      };
      s.header?.(header, ctx);
      s.claims?.(claims, ctx);
      let jwt = await signJwt(header, claims, key, s.forge, keys, clientSecret);
      if (s.replace) jwt = s.replace(jwt, ctx);
      handedOut.add(jwt);
      return jwt;
    },
    rotateKeys: async () => {
      rotations += 1;
      keys.rsa = await makeKey('RS256', `rsa-rotated-${rotations}`);
    },
    reset: () => {
      provider.scenario = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return provider;
}

/** One walk through login -> provider -> callback. */
export interface LoginWalk {
  /** The app's answer to the login request. */
  login: BrowserResponse;
  /** The provider's answer to the authorization request. */
  authorize?: BrowserResponse;
  /** The callback URL the browser was sent to (after `editCallback`). */
  callbackUrl?: URL;
  /** The app's answer to the callback. */
  callback?: BrowserResponse;
  /** `provider.mark()` just before the callback reached the app. */
  mark: number;
}

/**
 * Walks a browser through a login at `loginUrl`: the app's 302, the provider's
 * authorization endpoint, then the callback (optionally edited first). Stops early
 * when an answer is not the expected redirect.
 */
export async function walkLogin(
  browser: Browser,
  loginUrl: string,
  provider: HostileProvider,
  opts: { editCallback?: (url: URL) => URL | void } = {},
): Promise<LoginWalk> {
  const login = await browser.get(loginUrl);
  if (login.status !== 302 || !login.location?.startsWith(provider.origin + HOSTILE_PATHS.authorize)) {
    return { login, mark: provider.mark() };
  }
  const authorize = await browser.get(login.location);
  if (authorize.status !== 302 || !authorize.location) return { login, authorize, mark: provider.mark() };
  let callbackUrl = new URL(authorize.location);
  callbackUrl = opts.editCallback?.(callbackUrl) ?? callbackUrl;
  const mark = provider.mark();
  const callback = await browser.get(callbackUrl.toString());
  return { login, authorize, callbackUrl, callback, mark };
}

/** Waits a moment so a request sent in the background would have arrived. */
export function settle(ms = 40): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A logger (structurally a Nest `LoggerService`) that keeps every line, so tests
 * can check that no secret reaches the logs. Install it with
 * `Logger.overrideLogger(capture)` after the app is created (creating an app with
 * `logger: false` resets the override).
 */
export class LogCapture {
  readonly lines: string[] = [];
  readonly log = this.sink('log');
  readonly error = this.sink('error');
  readonly warn = this.sink('warn');
  readonly debug = this.sink('debug');
  readonly verbose = this.sink('verbose');
  readonly fatal = this.sink('fatal');

  private sink(level: string): (message: unknown, ...rest: unknown[]) => void {
    return (message, ...rest) => {
      this.lines.push(`${level} ${[message, ...rest].map(showLogged).join(' ')}`);
    };
  }
}

function showLogged(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return `${v.name}: ${v.message}\n${v.stack ?? ''}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
