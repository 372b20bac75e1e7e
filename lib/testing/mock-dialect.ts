import type { KeyObject } from 'node:crypto';
import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';
import type { PresetName } from '../presets/preset.types.js';
import type { MockReply, MockRequest } from './mock-http.js';

/** Who logs in at the next authorization: OpenID claims (`sub` at least). */
export interface MockIdentity {
  sub: string;
  [claim: string]: unknown;
}

/** A client the mock knows. */
export interface MockClient {
  clientId: string;
  /** Absent for a public client. */
  clientSecret?: string;
  /** Sign in with Apple: the key the client secret JWT must be signed with. */
  apple?: { teamId: string; keyId: string; publicKey: KeyObject };
}

/** One authorization the user approved: what its code, tokens and profile stand for. */
export interface MockGrant {
  clientId: string;
  redirectUri: string;
  scope: string[];
  /** The authorization request's parameters. */
  params: URLSearchParams;
  identity: MockIdentity;
  /** Path of the authorization request (Microsoft's tenant is in it). */
  authorizePath: string;
  /** Fields laid over the dialect's raw profile (`nextLogin(claims, { raw })`). */
  raw: Record<string, unknown>;
  nonce?: string;
  codeChallenge?: string;
  /** This client's first authorization for this user (Apple's `user` field, Google's refresh token). */
  firstConsent: boolean;
  authTime: number;
}

/** An access token the mock issued. */
export interface MockAccessToken {
  token: string;
  grant: MockGrant;
  expiresAt: number;
  revoked: boolean;
}

/** What a token-endpoint or API handler may consult. */
export interface MockContext {
  readonly origin: string;
  readonly issuer: string;
  client(clientId: string): MockClient | undefined;
}

/** An API route of a dialect, relative to the mock's origin. */
export interface MockApiRoute {
  /** HTTP method, or `*` for any (the handler answers the wrong ones). */
  method: string;
  path: string | RegExp;
  /** `bearer` (default): an active access token is required; `none`: anything goes. */
  auth?: 'bearer' | 'none';
  handle(call: MockApiCall): MockReply | Promise<MockReply>;
}

export interface MockApiCall {
  request: MockRequest;
  url: URL;
  token: MockAccessToken;
  mock: MockContext;
}

/** A token-endpoint failure in the dialect's own format; `request` is the request refused. */
export type MockErrorWriter = (status: number, error: string, description: string, request?: MockRequest) => MockReply;

/** A path of the dialect: exact, or a pattern (Microsoft's tenant segment, Graph's version). */
export type MockPath = string | RegExp;

/**
 * How one provider speaks: its paths, what it accepts and refuses, and the shape of
 * its answers. The generic OpenID dialect is the default of every member.
 */
export interface MockDialect {
  readonly name: PresetName | 'oidc';
  /** ID tokens, discovery and JWKS. */
  readonly openid: boolean;
  readonly paths: {
    authorize: MockPath;
    token: MockPath;
    discovery?: MockPath;
    jwks?: MockPath;
    userinfo?: MockPath;
    revoke?: MockPath;
    endSession?: MockPath;
  };
  /** The discovery document as served at `path`; default the generic one. */
  discovery?(doc: Record<string, unknown>, path: string, mock: MockContext): Record<string, unknown>;
  /** Path of the issuer under the origin (`/oauth2/default`); default none. */
  readonly issuerPath?: string;
  /** Client authentication the token endpoint accepts from a confidential client. */
  readonly clientAuth: readonly ('basic' | 'post')[];
  /** X: `client_id` must be in the body even with Basic auth. */
  readonly clientIdInBody?: boolean;
  /** `required` refuses an authorization without PKCE; `refused` answers `invalid_client` to a code_verifier. */
  readonly pkce: 'required' | 'optional' | 'refused';
  /** Requests without a User-Agent are refused (GitHub 403, Reddit 429). */
  readonly userAgent?: { status: number; text: string };
  readonly rotateRefreshTokens: boolean;
  /** Its ID tokens carry no `nonce` even when one was sent (LinkedIn). */
  readonly omitsNonce?: boolean;
  /** RFC 9207 `iss` in the authorization response. */
  readonly issParameter?: boolean;
  /** Whether this grant gets a refresh token. */
  refreshIssued(grant: MockGrant): boolean;
  /** The `iss` of this grant's ID tokens; default the issuer. */
  idTokenIssuer?(issuer: string, grant: MockGrant): string;
  /** The user's claims in ID tokens and userinfo (protocol claims are added around them). */
  claims?(grant: MockGrant, where: 'id_token' | 'userinfo'): Record<string, unknown>;
  /**
   * A refusal of the authorization request after client and redirect URI were
   * checked: redirected back as `error`, or with `page` shown to the user instead.
   */
  authorizeError?(params: URLSearchParams, client: MockClient, path: string): { error: string; description: string; page?: boolean } | undefined;
  /** Extra fields of the authorization response (Apple's `user`). */
  callbackExtras?(grant: MockGrant): Record<string, string>;
  /** Client authentication of its own (Apple's client-secret JWT); default Basic / post per `clientAuth`. */
  authenticate?(form: URLSearchParams, request: MockRequest, mock: MockContext): Promise<MockClient | MockReply>;
  /** Shapes a successful token answer. */
  tokenAnswer?(body: Record<string, unknown>, grant: MockGrant, request: MockRequest): MockReply;
  /** A token-endpoint failure in the dialect's format. */
  readonly tokenError: MockErrorWriter;
  /** Its API routes (profile endpoints and the like). */
  readonly api: readonly MockApiRoute[];
  /** Provider options `clientConfig()` passes to the preset (Okta's `issuer`, …), real URLs. */
  presetOptions?(mock: MockContext): Record<string, unknown>;
  /** Default client id of this dialect. */
  readonly defaultClientId?: string;
}

/** RFC 6749 section 5.2 JSON error. */
export const oauthError: MockErrorWriter = (status, error, description) => ({
  status,
  json: { error, error_description: description },
  ...(status === 401 ? { headers: { 'www-authenticate': 'Basic realm="token"' } } : {}),
});

/** Standard claims of an identity split by the scope that releases them (OpenID Connect Core 5.4). */
const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'];
const EMAIL_CLAIMS = ['email', 'email_verified'];

/** The identity's claims that the grant's scope releases; non-standard claims always. */
export function scopedClaims(grant: MockGrant): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(grant.identity)) {
    if (v === undefined) continue;
    if (PROFILE_CLAIMS.includes(k) && !grant.scope.includes('profile')) continue;
    if (EMAIL_CLAIMS.includes(k) && !grant.scope.includes('email')) continue;
    out[k] = v;
  }
  return out;
}

/** `sub` as a number when it is one (GitHub, Twitter ids), else as given. */
export function numericId(sub: string): number | string {
  return /^\d{1,15}$/.test(sub) ? Number(sub) : sub;
}

/** The part of a preset config a dialect fixes for the mock (its credentials). */
export type MockClientOverrides = OAuthClientConfig & Record<string, unknown>;
