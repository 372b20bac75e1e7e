import type {
  OAuthConfigErrorCode,
  OAuthErrorCode,
  OAuthHookErrorCode,
  OAuthResponseErrorCode,
  OAuthStateStoreErrorCode,
  OAuthTokenUpdateErrorCode,
  OAuthTransportErrorCode,
  OAuthUsageErrorCode,
  OAuthValidationErrorCode,
} from './error-codes.js';

export interface OAuthErrorOptions {
  /** The provider's `error_description`, already cut and escaped. */
  description?: string;
  uri?: string;
  /** The provider's HTTP status, when the error comes from a provider response. */
  status?: number;
  cause?: unknown;
}

/**
 * Base of every error this library raises: a stable `code`, a message that says
 * what to fix, and never a token, code, secret or verifier. Transport-neutral:
 * `OAuthException` maps it to HTTP.
 */
export class OAuthError<C extends OAuthErrorCode = OAuthErrorCode> extends Error {
  readonly code: C;
  readonly description?: string;
  readonly uri?: string;
  readonly status?: number;

  constructor(code: C, message: string, options: OAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.description !== undefined) this.description = options.description;
    if (options.uri !== undefined) this.uri = options.uri;
    if (options.status !== undefined) this.status = options.status;
  }
}

/**
 * Configuration that cannot work: raised at bootstrap (or when a client is resolved
 * at run time), naming the client and the field. Never quotes the configuration
 * text, which may hold a secret.
 */
export class OAuthConfigError extends OAuthError<OAuthConfigErrorCode> {
  readonly client?: string;
  readonly field?: string;

  constructor(message: string, details: { client?: string; field?: string; cause?: unknown } = {}) {
    super('invalid_config', message, details.cause === undefined ? {} : { cause: details.cause });
    if (details.client !== undefined) this.client = details.client;
    if (details.field !== undefined) this.field = details.field;
  }
}

/** A call of the application cannot be carried out (bad URL, no token, unknown client); nothing was sent. */
export class OAuthUsageError extends OAuthError<OAuthUsageErrorCode> {}

/** The provider refused with an OAuth `error` (`access_denied`, `invalid_grant`, …); its code is kept. */
export class OAuthProviderError extends OAuthError<string> {}

/** A callback, ID token, userinfo answer or logout token failed validation. */
export class OAuthValidationError extends OAuthError<OAuthValidationErrorCode> {}

/** The provider answered with something unusable: a bad or oversized body, a redirect, a 5xx with a body. */
export class OAuthResponseError extends OAuthError<OAuthResponseErrorCode> {}

/** The provider could not be reached, reset the connection, answered 5xx, or did not answer in time. */
export class OAuthTransportError extends OAuthError<OAuthTransportErrorCode> {}

/** The state store failed or was too slow. */
export class OAuthStateStoreError extends OAuthError<OAuthStateStoreErrorCode> {}

/** A compliance hook threw; its message is kept and it is the cause. */
export class OAuthHookError extends OAuthError<OAuthHookErrorCode> {}

/**
 * `updateToken` threw after a refresh. The new token is kept on the error
 * (non-enumerable, so it never lands in a log by accident) so nothing is lost.
 */
export class OAuthTokenUpdateError extends OAuthError<OAuthTokenUpdateErrorCode> {
  declare readonly token: unknown;

  constructor(message: string, token: unknown, cause: unknown) {
    super('token_update_failed', message, { cause });
    Object.defineProperty(this, 'token', { value: token, enumerable: false });
  }
}
