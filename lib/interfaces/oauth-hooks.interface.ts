import type { OAuthToken, UserInfo } from './oauth-token.interface.js';

/** A request to the provider as a compliance hook sees it, before it is sent. */
export type ProviderRequest = { method: string; url: string; headers: Headers; body?: URLSearchParams | string };

/** A provider's answer as a compliance hook sees it: the body parsed (JSON or form), before any check. */
export type ProviderResponse = { status: number; headers: Headers; body: unknown };

type Hook<T> = (value: T) => T | Promise<T>;

/**
 * Compliance hooks (Authlib's `compliance_fix` points, camelCased): each receives
 * a plain object and returns it, changed, or a promise of it. Token-response
 * checks run after `accessTokenResponse` / `refreshTokenResponse`, so a hook can
 * repair a response before it is judged. A hook that throws fails the login or
 * call with `hook_failed` (502); an `OAuthError` it throws is kept as it is.
 */
export interface OAuthClientHooks {
  /** After discovery, before the document is checked and used. */
  serverMetadata?: Hook<Record<string, unknown>>;
  /** The authorization request's parameters, before the redirect. */
  authorizationParams?: Hook<URLSearchParams>;
  accessTokenRequest?: Hook<ProviderRequest>;
  /** Authlib `access_token_response`. */
  accessTokenResponse?: Hook<ProviderResponse>;
  /** Authlib `refresh_token_request`. */
  refreshTokenRequest?: Hook<ProviderRequest>;
  /** Authlib `refresh_token_response`. */
  refreshTokenResponse?: Hook<ProviderResponse>;
  revokeTokenRequest?: Hook<ProviderRequest>;
  introspectTokenRequest?: Hook<ProviderRequest>;
  /** Every API call, before the token or signature is added. */
  protectedRequest?: Hook<ProviderRequest>;
  /** Authlib `userinfo_compliance_fix`: the provider's profile to OpenID claims. */
  userinfo?(raw: Record<string, unknown>, token: OAuthToken): UserInfo | Promise<UserInfo>;
}
