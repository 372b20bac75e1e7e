import type { OAuthClientHooks } from './oauth-hooks.interface.js';
import type { OAuthToken, TokenUpdateEvent } from './oauth-token.interface.js';

export type OAuth1SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1' | 'PLAINTEXT';
export type OAuth1SignatureType = 'header' | 'query' | 'body';
export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'none';

/**
 * One named client. A client with `requestTokenUrl` is OAuth 1.0a; every other is
 * OAuth 2.0 / OpenID Connect.
 */
export interface OAuthClientConfig {
  clientId?: string;
  clientSecret?: string;
  authorizeUrl?: string;
  /** Extra query parameters of the authorization request. */
  authorizeParams?: Record<string, string>;
  accessTokenUrl?: string;
  /** Extra body parameters of the token request. */
  accessTokenParams?: Record<string, string>;
  /** OAuth 1: the temporary-credential endpoint (RFC 5849 section 2.1). */
  requestTokenUrl?: string;
  requestTokenParams?: Record<string, string>;
  /** OAuth 1; default `HMAC-SHA1`. */
  signatureMethod?: OAuth1SignatureMethod;
  /** OAuth 1; default `header`. */
  signatureType?: OAuth1SignatureType;
  /** OAuth 1: PEM private key for `RSA-SHA1`. */
  rsaKey?: string;
  /** OAuth 1: the `realm` of the Authorization header (RFC 5849 section 3.5.1). */
  realm?: string;
  /** OAuth 2: refresh endpoint; default the token endpoint. */
  refreshTokenUrl?: string;
  refreshTokenParams?: Record<string, string>;
  /** OAuth 2: discovery document (OpenID Connect Discovery or RFC 8414). */
  serverMetadataUrl?: string;
  issuer?: string;
  jwksUrl?: string;
  userinfoUrl?: string;
  revocationUrl?: string;
  introspectionUrl?: string;
  /** OAuth 2: requested scope. */
  scope?: string | string[];
  /**
   * Absolute URL, or a path resolved against the request's origin. Default: the
   * guarded request's origin and path, without the query.
   */
  redirectUri?: string;
  /** Base of relative API paths, treated as a directory. */
  apiBaseUrl?: string;
  /** OAuth 2; default `client_secret_basic` with a secret, `none` without. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** OAuth 2: private JWK (object or JSON) or PEM, for `private_key_jwt`. */
  clientKey?: string | Record<string, unknown>;
  /** OAuth 2: PKCE method; default `S256`; `false` turns PKCE off. */
  codeChallengeMethod?: 'S256' | false;
  /**
   * OAuth 2: where API calls carry the access token (RFC 6750 section 2): `header`
   * (default), `uri` (query, leaks to logs and Referer: only for APIs that need it)
   * or `body` (form bodies only).
   */
  tokenPlacement?: 'header' | 'uri' | 'body';
  /**
   * OAuth 2: after the token exchange, call the userinfo endpoint (or the preset's
   * profile calls) and merge the answer into `req.oauth.userinfo`; its `sub` must
   * match the ID token's. Default: true for presets without OpenID, false otherwise.
   */
  fetchUserinfo?: boolean;
  /** OAuth 2: push the authorization parameters (RFC 9126); default: what discovery requires. */
  pushedAuthorizationRequests?: boolean;
  /** OAuth 2: DPoP-bound tokens (RFC 9449), with a configured key (ES256 or EdDSA) or one made per process. */
  dpop?: boolean | { privateKey: Record<string, unknown> | string };
  /**
   * A provider preset's name (`github`, `google`, …; see `providers`): its fields are
   * the defaults of this client, and its own options (`tenant`, `teamId`, …) are
   * accepted beside the client fields.
   */
  preset?: string;
  /** Code only: compliance hooks (Authlib's `compliance_fix`). */
  hooks?: OAuthClientHooks;
  /** Allowed ID token algorithms; default discovery's list, else `RS256`; never `none`. */
  idTokenSigningAlgs?: string[];
  /** Seconds of clock skew accepted in ID tokens; default 120. */
  leeway?: number;
  /** Refresh this many seconds before `expires_at`; default 60. */
  refreshLeeway?: number;
  /** Settings win over code for this client (Authlib's rule). */
  overwrite?: boolean;
  userAgent?: string;
  /** Milliseconds for each request to the provider; default the module's. */
  timeout?: number;
  /** Code only: where API calls find a token when none is given. */
  fetchToken?: (name: string, req: unknown) => Promise<OAuthToken | null | undefined>;
  /** Code only: called after each refresh, before the new token is used. */
  updateToken?: (event: TokenUpdateEvent) => unknown;
}
