/**
 * Every code the library raises, by family. Each error class fixes its family, so
 * `switch (err.code)` on an `OAuthError` narrows to the codes that class can carry.
 */

/** Configuration that cannot work (bootstrap, or a client resolved at run time). */
export type OAuthConfigErrorCode = 'invalid_config';

/** A call the application made cannot be carried out; nothing was sent. */
export type OAuthUsageErrorCode = 'invalid_url' | 'missing_token' | 'token_expired' | 'unknown_client' | 'logout_not_supported';

/** What arrived at the app (a callback, a logout token) failed a check. */
export type OAuthValidationErrorCode =
  | 'invalid_request'
  | 'mismatching_state'
  | 'invalid_issuer'
  | 'missing_verifier'
  | 'invalid_userinfo'
  | 'invalid_id_token'
  | 'invalid_logout_token';

/** The provider answered, but not with something usable. */
export type OAuthResponseErrorCode =
  | 'invalid_response'
  | 'invalid_server_metadata'
  | 'invalid_token_response'
  | 'response_too_large'
  | 'invalid_dpop_nonce';

/** No usable answer came at all. */
export type OAuthTransportErrorCode = 'provider_unavailable' | 'timeout';

export type OAuthStateStoreErrorCode = 'state_store_unavailable';
export type OAuthTokenUpdateErrorCode = 'token_update_failed';
export type OAuthHookErrorCode = 'hook_failed';

/** Codes the library itself raises. */
export type OAuthLibraryErrorCode =
  | OAuthConfigErrorCode
  | OAuthUsageErrorCode
  | OAuthValidationErrorCode
  | OAuthResponseErrorCode
  | OAuthTransportErrorCode
  | OAuthStateStoreErrorCode
  | OAuthTokenUpdateErrorCode
  | OAuthHookErrorCode
  | 'server_error'
  /** Another instance's refresh of the same token failed unexpectedly (fleet refresh). */
  | 'refresh_failed';

/**
 * A library code, or a provider's own `error` value (RFC 6749 sections 4.1.2.1 and
 * 5.2) carried by `OAuthProviderError`. `string & {}` keeps editor completion for
 * the known codes while admitting a provider's.
 */
export type OAuthErrorCode = OAuthLibraryErrorCode | (string & {});

const STATUS_BY_CODE: Readonly<Record<OAuthLibraryErrorCode, number>> = {
  invalid_config: 500,
  server_error: 500,
  refresh_failed: 500,
  invalid_url: 400,
  missing_token: 401,
  token_expired: 401,
  unknown_client: 404,
  logout_not_supported: 500,
  invalid_request: 400,
  mismatching_state: 401,
  invalid_issuer: 401,
  missing_verifier: 401,
  invalid_userinfo: 401,
  invalid_id_token: 401,
  invalid_logout_token: 400,
  invalid_response: 502,
  invalid_server_metadata: 502,
  invalid_token_response: 502,
  response_too_large: 502,
  invalid_dpop_nonce: 502,
  provider_unavailable: 502,
  timeout: 504,
  state_store_unavailable: 503,
  token_update_failed: 500,
  hook_failed: 502,
};

/** The HTTP status the guard answers for a library code (500 for anything unknown). */
export function statusOfCode(code: OAuthErrorCode): number {
  return Object.prototype.hasOwnProperty.call(STATUS_BY_CODE, code) ? (STATUS_BY_CODE as Readonly<Record<string, number>>)[code]! : 500;
}
