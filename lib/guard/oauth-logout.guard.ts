import { HttpException, Inject, Injectable, Logger, mixin, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { OAuth2Client } from '../clients/oauth2/oauth2.client.js';
import { OAuthConfigError, OAuthError, OAuthValidationError } from '../errors/oauth.error.js';
import { OAuthException } from '../errors/oauth.exception.js';
import type { LogoutEvent, OAuthLogout } from '../interfaces/logout-event.interface.js';
import { setResponseHeader, type PlatformRequest, type PlatformResponse } from '../login/http-platform.js';
import { readLogoutToken } from '../login/logout-request.js';
import { OAuthRegistry } from '../oauth.registry.js';

interface LogoutRequest extends PlatformRequest {
  oauth?: { logout?: OAuthLogout; [key: string]: unknown };
}

/**
 * What `OAuthLogoutGuard()` returns, and what a subclass extends. On the POST route
 * registered at the provider as `backchannel_logout_uri`: a valid logout token
 * sets `req.oauth.logout`, is announced on `registry.logout$`, and the handler
 * answers (`@HttpCode(200)`); an invalid one is a 400 `invalid_request`.
 */
export abstract class OAuthLogoutGuardBase implements CanActivate {
  protected readonly logger = new Logger('OAuthLogoutGuard');

  constructor(protected readonly registry: OAuthRegistry) {}

  /** The client whose provider sends the logout tokens. */
  protected abstract readonly clientName: string;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<LogoutRequest>();
    const res = http.getResponse<PlatformResponse>();
    // OpenID Back-Channel Logout 1.0 section 2.8: the answer, whatever it is, is not cached.
    setResponseHeader(res, 'cache-control', 'no-store');
    setResponseHeader(res, 'pragma', 'no-cache');
    try {
      const client = this.registry.get(this.clientName);
      if (!(client instanceof OAuth2Client)) {
        throw new OAuthConfigError(`OAuthLogoutGuard("${this.clientName}") needs an OpenID Connect client; "${this.clientName}" is OAuth 1.0a.`, {
          client: this.clientName,
        });
      }
      const event = await client.verifyLogoutToken(readLogoutToken(req));
      req.oauth = { ...(req.oauth ?? {}), logout: this.toLogout(event) };
      return true;
    } catch (err) {
      if (err instanceof HttpException) throw err;
      throw this.handleError(err);
    }
  }

  /** Builds `req.oauth.logout` from a validated logout; override to add to it. */
  protected toLogout(event: LogoutEvent): OAuthLogout {
    const { name: _name, ...logout } = event;
    return logout;
  }

  /**
   * Maps a failure to the exception answered; override to change the answer.
   * Every refusal of the request or its token is a 400 `invalid_request`
   * (section 2.8), which tells the provider not to retry.
   */
  protected handleError(err: unknown): HttpException {
    if (err instanceof OAuthValidationError) {
      this.logger.warn(`OAuth client "${this.clientName}": back-channel logout refused: ${err.code}: ${err.message}`);
      const refusal = err.code === 'invalid_request' ? err : new OAuthValidationError('invalid_request', err.message, { cause: err });
      return new OAuthException(refusal);
    }
    if (err instanceof OAuthError) {
      this.logger.warn(`OAuth client "${this.clientName}": back-channel logout failed: ${err.code}: ${err.message}`);
      return new OAuthException(err);
    }
    this.logger.error(`OAuth client "${this.clientName}": back-channel logout failed unexpectedly: ${err instanceof Error ? err.name : typeof err}`);
    return new OAuthException(new OAuthError('server_error', 'The back-channel logout failed unexpectedly.', { cause: err }));
  }
}

const cache = new Map<string, Type<OAuthLogoutGuardBase>>();

/**
 * A guard class for the back-channel logout route of the client `name`
 * (OpenID Back-Channel Logout 1.0), usable with `@UseGuards` on a POST route.
 * Memoized per name. The client is looked up when a request arrives.
 */
export function OAuthLogoutGuard(name: string): Type<OAuthLogoutGuardBase> {
  let guard = cache.get(name);
  if (!guard) {
    guard = createOAuthLogoutGuard(name);
    cache.set(name, guard);
  }
  return guard;
}

function createOAuthLogoutGuard(name: string): Type<OAuthLogoutGuardBase> {
  @Injectable()
  class MixinOAuthLogoutGuard extends OAuthLogoutGuardBase {
    protected readonly clientName = name;

    // Mixins lose emitted metadata: every parameter is injected explicitly.
    constructor(@Inject(OAuthRegistry) registry: OAuthRegistry) {
      super(registry);
    }
  }
  return mixin(MixinOAuthLogoutGuard);
}
