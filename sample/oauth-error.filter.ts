import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { OAuthException, type OAuthExceptionBody } from '../lib/index.js';
import { renderError } from './sample.page.js';

/**
 * Answers a failed login (denied at the provider, expired state, provider down…)
 * with a page instead of the guard's JSON. Only `OAuthException`: the guard's
 * redirect to the provider is another exception and must pass through untouched.
 */
@Catch(OAuthException)
export class OAuthErrorPageFilter implements ExceptionFilter {
  catch(exception: OAuthException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = exception.getResponse() as OAuthExceptionBody;
    res.status(exception.getStatus()).type('html').send(renderError(exception.getStatus(), body.error, body.message));
  }
}
