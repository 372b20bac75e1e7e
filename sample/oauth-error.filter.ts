import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OAuthException, type OAuthExceptionBody } from '../lib/index.js';
import { renderError } from './sample.page.js';

/**
 * Answers a failed login (denied at the provider, expired state, provider down…)
 * with a page instead of the guard's JSON, on Express and Fastify alike. Only
 * `OAuthException`: the guard's redirect to the provider is another exception and
 * must pass through untouched. The back-channel logout route keeps its JSON 400:
 * its caller is the provider, not a browser.
 */
@Catch(OAuthException)
export class OAuthErrorPageFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost) {}

  catch(exception: OAuthException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const { httpAdapter } = this.adapter;
    const res: unknown = http.getResponse();
    const body = exception.getResponse() as OAuthExceptionBody;
    if (httpAdapter.getRequestMethod(http.getRequest()) === 'POST') {
      httpAdapter.reply(res, body, exception.getStatus());
      return;
    }
    httpAdapter.setHeader(res, 'content-type', 'text/html; charset=utf-8');
    httpAdapter.setHeader(res, 'cache-control', 'no-store');
    httpAdapter.reply(res, renderError(exception.getStatus(), body.error, body.message), exception.getStatus());
  }
}
