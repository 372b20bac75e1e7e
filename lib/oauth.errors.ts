import { HttpException } from '@nestjs/common';

/**
 * Codes the library itself raises. A provider's own `error` value (RFC 6749 section
 * 5.2, 4.1.2.1) is passed through as the code of an `OAuthProviderError`, so the
 * union stays open for those.
 */
export type OAuthLibraryErrorCode =
  | 'invalid_config'
  | 'invalid_request'
  | 'mismatching_state'
  | 'invalid_issuer'
  | 'missing_verifier'
  | 'invalid_userinfo'
  | 'invalid_id_token'
  | 'invalid_response'
  | 'invalid_server_metadata'
  | 'response_too_large'
  | 'provider_unavailable'
  | 'timeout'
  | 'state_store_unavailable'
  | 'missing_token'
  | 'token_expired'
  | 'token_update_failed'
  | 'invalid_url'
  | 'invalid_dpop_nonce';

// `string & {}` keeps editor completion for the known codes while admitting a
// provider's own error values.
export type OAuthErrorCode = OAuthLibraryErrorCode | (string & {});

export interface OAuthErrorOptions {
  description?: string;
  uri?: string;
  /** The provider's HTTP status, when the error comes from a provider response. */
  status?: number;
  cause?: unknown;
}

/**
 * Base of every error this library raises. Transport-neutral: `OAuthException`
 * maps it to HTTP. Messages never contain tokens, codes, secrets or verifiers.
 */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description?: string;
  readonly uri?: string;
  readonly status?: number;

  constructor(code: OAuthErrorCode, message: string, options: OAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.description !== undefined) this.description = options.description;
    if (options.uri !== undefined) this.uri = options.uri;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** Configuration that cannot work; raised at bootstrap, naming the client and field. */
export class OAuthConfigError extends OAuthError {
  readonly client?: string;
  readonly field?: string;

  constructor(message: string, details: { client?: string; field?: string; cause?: unknown } = {}) {
    super('invalid_config', message, { cause: details.cause });
    if (details.client !== undefined) this.client = details.client;
    if (details.field !== undefined) this.field = details.field;
  }
}

/** The provider answered with an OAuth error (`error=access_denied`, `invalid_grant`, …). */
export class OAuthProviderError extends OAuthError {}

/** The provider could not be used: unreachable, reset, 5xx, a bad or oversized body, a timeout. */
export class OAuthResponseError extends OAuthError {}

/** An ID token, userinfo answer or authorization response failed validation. */
export class OAuthValidationError extends OAuthError {}

/** The state store failed or was too slow. */
export class OAuthStateStoreError extends OAuthError {}

/**
 * `updateToken` threw after a refresh. The new token is kept on the error
 * (non-enumerable, so it never lands in a log by accident) so nothing is lost.
 */
export class OAuthTokenUpdateError extends OAuthError {
  declare readonly token: unknown;

  constructor(message: string, token: unknown, cause: unknown) {
    super('token_update_failed', message, { cause });
    Object.defineProperty(this, 'token', { value: token, enumerable: false });
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  invalid_config: 500,
  invalid_request: 400,
  invalid_url: 400,
  mismatching_state: 401,
  invalid_issuer: 401,
  missing_verifier: 401,
  invalid_userinfo: 401,
  invalid_id_token: 401,
  missing_token: 401,
  token_expired: 401,
  invalid_response: 502,
  invalid_server_metadata: 502,
  response_too_large: 502,
  provider_unavailable: 502,
  // RFC 9449 section 8/9: a server that challenged for a nonce again after one retry
  // with the nonce it supplied (or without one); not the user's fault.
  invalid_dpop_nonce: 502,
  token_update_failed: 500,
  state_store_unavailable: 503,
  timeout: 504,
};

/** The HTTP status the guard answers for an error of this code. */
export function statusForCode(code: OAuthErrorCode, fromProvider: boolean): number {
  // An error the provider returned is a refusal of the user or the grant, whatever it
  // is called: a provider must not be able to make the app report a 5xx outage or a
  // misconfiguration by naming its error after one of ours.
  if (fromProvider) return 401;
  return STATUS_BY_CODE[code] ?? 500;
}

export interface OAuthExceptionBody {
  statusCode: number;
  error: OAuthErrorCode;
  message: string;
}

/** An `OAuthError` as a Nest `HttpException`: body `{ statusCode, error, message }`. */
export class OAuthException extends HttpException {
  readonly error: OAuthError;

  constructor(error: OAuthError) {
    const status = statusForCode(error.code, error instanceof OAuthProviderError);
    const body: OAuthExceptionBody = { statusCode: status, error: error.code, message: error.message };
    super(body, status, { cause: error });
    this.error = error;
  }
}
