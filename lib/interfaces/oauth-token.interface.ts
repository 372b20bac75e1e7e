/** Claims of a validated ID token or a userinfo answer (OpenID Connect Core 5.1). */
export interface UserInfo {
  sub: string;
  [claim: string]: unknown;
}

/** A token response of RFC 6749 section 5.1, wire names kept, plus provider extras. */
export interface OAuth2Token {
  access_token: string;
  token_type: string;
  expires_in?: number;
  /** Seconds since the epoch; filled from `expires_in` when the token is received. */
  expires_at?: number;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
  /** For OpenID Connect: the validated ID token claims. */
  userinfo?: UserInfo;
  [extra: string]: unknown;
}

/** Token credentials of RFC 5849 section 2.3, plus provider extras (`user_id`, …). */
export interface OAuth1Token {
  oauth_token: string;
  oauth_token_secret: string;
  [extra: string]: unknown;
}

export type OAuthToken = OAuth1Token | OAuth2Token;

/** What `tokenUpdate$` emits and `updateToken` receives, once per refresh. */
export interface TokenUpdateEvent {
  /** The client's name. */
  name: string;
  /** The new token. */
  token: OAuth2Token;
  /** The refresh token that was used, to find the stored row. */
  refreshToken?: string;
  /** The access token that was replaced. */
  accessToken?: string;
}

/** What a completed callback leaves on the request, as `req.oauth`. */
export interface OAuthResult<T extends OAuthToken = OAuthToken> {
  /** The client's name. */
  client: string;
  token: T;
  /** OpenID Connect: the validated ID token claims. */
  userinfo?: UserInfo;
  /** The `next` given at login, when the guard has `returnTo` and it was safe. */
  returnTo?: string;
}
