import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  mixin,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { BaseOAuthClient } from './clients/base.client.js';
import type { OAuthResult } from './interfaces/oauth-token.interface.js';
import { OAuthError, OAuthException } from './oauth.errors.js';
import { OAuthRegistry, type OAuthClient } from './oauth.registry.js';
import { setResponseHeader, type PlatformRequest, type PlatformResponse } from './platform/http-platform.js';

/** Per-route options of `OAuthGuard(name, options)`. */
export interface OAuthGuardOptions {
  /** Where the provider sends the user back: absolute URL or a path on this origin. */
  redirectUri?: string;
  /** OAuth 2: scope of this login instead of the client's. */
  scope?: string | string[];
  /** Extra authorization request parameters. */
  params?: Record<string, string>;
  /** Keep a safe `?next=` of the login as `req.oauth.returnTo`. */
  returnTo?: boolean;
}

/** What `OAuthGuard()` returns: a guard class usable with `@UseGuards`. */
export interface IOAuthGuard extends CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean>;
}

interface OAuthRequest extends PlatformRequest {
  oauth?: OAuthResult;
}

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

const cache = new Map<string, Type<IOAuthGuard>>();

/**
 * A guard for login and callback routes of the client `name`: a request without
 * callback parameters is redirected to the provider; a callback is completed and
 * leaves `req.oauth` for the handler. Memoized per name and options.
 */
export function OAuthGuard(name: string, options: OAuthGuardOptions = {}): Type<IOAuthGuard> {
  const key = `${name}\u0000${stableJson(options)}`;
  let guard = cache.get(key);
  if (!guard) {
    guard = createOAuthGuard(name, Object.freeze({ ...options }));
    cache.set(key, guard);
  }
  return guard;
}

function createOAuthGuard(name: string, options: Readonly<OAuthGuardOptions>): Type<IOAuthGuard> {
  @Injectable()
  class MixinOAuthGuard implements IOAuthGuard {
    protected readonly logger = new Logger('OAuthGuard');

    constructor(@Inject(OAuthRegistry) protected readonly registry: OAuthRegistry) {}

    async canActivate(context: ExecutionContext): Promise<boolean> {
      const http = context.switchToHttp();
      const req = http.getRequest<OAuthRequest>();
      const res = http.getResponse<PlatformResponse>();
      try {
        const client = this.registry.get(name);
        if (client.isCallback(req)) {
          const result = await client.completeLogin(req, res);
          req.oauth = this.toResult(client, result);
          return true;
        }
        const returnTo = options.returnTo ? BaseOAuthClient.returnToFrom(req) : undefined;
        const url = await client.startLogin(req, res, {
          ...(options.redirectUri === undefined ? {} : { redirectUri: options.redirectUri }),
          ...(options.scope === undefined ? {} : { scope: options.scope }),
          ...(options.params === undefined ? {} : { params: options.params }),
          ...(returnTo === undefined ? {} : { returnTo }),
        });
        setResponseHeader(res, 'location', url);
        setResponseHeader(res, 'cache-control', 'no-store');
        throw OAuthRedirectException.create(url);
      } catch (err) {
        if (err instanceof HttpException) throw err;
        throw this.handleError(err);
      }
    }

    /** Builds `req.oauth`; override to add to it. */
    protected toResult(client: OAuthClient, result: { token: OAuthResult['token']; userinfo?: OAuthResult['userinfo']; returnTo?: string }): OAuthResult {
      const out: OAuthResult = { client: client.name, token: result.token };
      if (result.userinfo !== undefined) out.userinfo = result.userinfo;
      if (result.returnTo !== undefined) out.returnTo = result.returnTo;
      return out;
    }

    /** Maps a failure to the exception answered; override to change the answer. */
    protected handleError(err: unknown): HttpException {
      if (err instanceof OAuthError) {
        const exception = new OAuthException(err);
        // Messages are written to carry no token, code, secret or verifier.
        this.logger.warn(`OAuth client "${name}": ${err.code}: ${err.message}`);
        return exception;
      }
      this.logger.error(`OAuth client "${name}": unexpected failure: ${err instanceof Error ? err.name : typeof err}`);
      return new OAuthException(new OAuthError('server_error', 'The login failed unexpectedly.', { cause: err }));
    }
  }
  return mixin(MixinOAuthGuard);
}

/** JSON with sorted keys, so options equal by value share one guard class. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
