import { HttpException } from '@nestjs/common';
import type { OAuthErrorCode } from './error-codes.js';
import { statusOfCode } from './error-codes.js';
import { OAuthError, OAuthProviderError } from './oauth.error.js';

export interface OAuthExceptionBody {
  statusCode: number;
  error: OAuthErrorCode;
  message: string;
}

/**
 * An `OAuthError` as a Nest `HttpException` with body `{ statusCode, error, message }`.
 * A provider's refusal is 401 whatever it is called: a provider must not be able to
 * make the app report an outage or a misconfiguration by naming its error after one
 * of ours (`timeout`, `invalid_config`).
 */
export class OAuthException extends HttpException {
  readonly error: OAuthError;

  constructor(error: OAuthError) {
    const status = error instanceof OAuthProviderError ? 401 : statusOfCode(error.code);
    const body: OAuthExceptionBody = { statusCode: status, error: error.code, message: error.message };
    super(body, status, { cause: error });
    this.error = error;
  }
}
