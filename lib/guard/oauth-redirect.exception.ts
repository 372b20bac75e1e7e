import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The answer of a login request: 302 to the provider. Thrown rather than written so
 * the handler never runs and the app's exception filters see a normal HttpException;
 * the Location header is set on the response beforehand.
 */
export class OAuthRedirectException extends HttpException {
  constructor(readonly url: string) {
    super({ statusCode: HttpStatus.FOUND, message: 'Redirecting to the authorization server.' }, HttpStatus.FOUND);
  }

  /**
   * Built without a stack trace: it is the normal answer of every login request,
   * not a failure, and capturing a stack was a measurable part of the redirect's cost.
   */
  static create(url: string): OAuthRedirectException {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new OAuthRedirectException(url);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
