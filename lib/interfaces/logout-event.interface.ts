/**
 * What `OAuthLogoutGuard` leaves on the request as `req.oauth.logout`: a
 * back-channel logout (OpenID Back-Channel Logout 1.0) that passed every check.
 * End the app's own sessions of `sid` (one login at the provider) or, without
 * one, of `sub` (every login of that user at this provider).
 */
export interface OAuthLogout {
  /** The client's name, as in `req.oauth.client` after a login. */
  client: string;
  /** The provider that logged the user out (the logout token's `iss`). */
  iss: string;
  /** The user, when the provider named one (the ID token's `sub`). */
  sub?: string;
  /** The provider's session, when it named one (the ID token's `sid`). */
  sid?: string;
  /** The logout token's id; each is accepted once. */
  jti: string;
}

/** What `registry.logout$` emits and `OAuth2Client.verifyLogoutToken()` returns. */
export interface LogoutEvent extends OAuthLogout {
  /** The client's name in the registry (the same as `client`). */
  name: string;
}

/** Options of `OAuth2Client.logoutUrl()` (OpenID RP-Initiated Logout 1.0 section 2). */
export interface LogoutUrlOptions {
  /** The ID token of the login being ended (`token.id_token`), sent as `id_token_hint`. */
  idTokenHint?: string;
  /**
   * Where the provider sends the browser afterwards; it must be registered there.
   * An absolute URL, or a path resolved against the origin of the client's
   * (absolute) `redirectUri`.
   */
  postLogoutRedirectUri?: string;
  /** Handed back by the provider on the post-logout redirect. */
  state?: string;
  /** More parameters (`ui_locales`, `logout_hint`, …); the named options win. */
  params?: Record<string, string>;
}
