import type { OAuthToken, UserInfo } from './oauth-token.interface.js';

/**
 * A request to the provider as a hook sees it: the client's request with its
 * client authentication (or, for API calls, before the token or signature is added).
 * A hook may change any member and returns the request to send.
 */
export type ProviderRequest = {
  method: string;
  url: string;
  headers: Headers;
  body?: URLSearchParams | string;
};

/**
 * A provider's answer as a hook sees it: `body` already parsed (a JSON value, or
 * the form-encoded fields as an object), so a hook repairs data, not bytes.
 */
export type ProviderResponse = {
  status: number;
  headers: Headers;
  body: unknown;
};

/** What a hook returns: the value, or a promise of it. */
export type HookResult<T> = T | Promise<T>;

/**
 * Compliance hooks of one client (Authlib's `compliance_fix` hook points, camelCased,
 * plus a few of this module's own). Each receives a plain object and returns it,
 * changed. A hook that throws fails the login or call with `OAuthError` `hook_failed`
 * (502), its message kept and its cause attached. Given in code only.
 */
export interface OAuthClientHooks {
  /** After discovery: the provider's metadata document, before its endpoints are used. */
  serverMetadata?(doc: Record<string, unknown>): HookResult<Record<string, unknown>>;
  /** Before the redirect: the authorization request's query. */
  authorizationParams?(params: URLSearchParams): HookResult<URLSearchParams>;
  /** The code exchange, client authentication included, before it is sent. */
  accessTokenRequest?(req: ProviderRequest): HookResult<ProviderRequest>;
  /** The code exchange's answer, before it is judged (Authlib `access_token_response`). */
  accessTokenResponse?(res: ProviderResponse): HookResult<ProviderResponse>;
  /** A refresh request before it is sent (Authlib `refresh_token_request`). */
  refreshTokenRequest?(req: ProviderRequest): HookResult<ProviderRequest>;
  /** A refresh answer before it is judged (Authlib `refresh_token_response`). */
  refreshTokenResponse?(res: ProviderResponse): HookResult<ProviderResponse>;
  /** An RFC 7009 revocation request before it is sent. */
  revokeTokenRequest?(req: ProviderRequest): HookResult<ProviderRequest>;
  /** An RFC 7662 introspection request before it is sent. */
  introspectTokenRequest?(req: ProviderRequest): HookResult<ProviderRequest>;
  /** Every API call, before the token or signature is added. */
  protectedRequest?(req: ProviderRequest): HookResult<ProviderRequest>;
  /** Maps a userinfo or profile answer to OpenID claim names (Authlib `userinfo_compliance_fix`). */
  userinfo?(raw: Record<string, unknown>, token: OAuthToken): UserInfo | Promise<UserInfo>;
}
