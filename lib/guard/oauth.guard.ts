import { HttpException, Inject, Injectable, Logger, mixin, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import type { ProtocolClient } from '../clients/protocol-client.js';
import { OAuthError } from '../errors/oauth.error.js';
import { OAuthException } from '../errors/oauth.exception.js';
import { safeText } from '../errors/safe-text.js';
import type { OAuthResult } from '../interfaces/oauth-token.interface.js';
import { setResponseHeader, type PlatformRequest, type PlatformResponse } from '../login/http-platform.js';
import { OAuthLoginService } from '../login/oauth-login.service.js';
import { OAuthRegistry } from '../oauth.registry.js';
import { OAuthRedirectException } from './oauth-redirect.exception.js';

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

interface OAuthRequest extends PlatformRequest {
  oauth?: OAuthResult;
}

/**
 * A client name, or a function of the request that returns one (`/auth/:provider`
 * routes, one client per tenant with `resolveClient`).
 */
export type OAuthClientSelector = string | ((req: OAuthSelectorRequest) => string);

/** What a selector may read of the request, on Express and Fastify alike. */
export interface OAuthSelectorRequest {
  /** Route parameters (`/t/:tenant/login`); a route's own parameters are always there. */
  params: Record<string, string>;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  [other: string]: unknown;
}

/**
 * What `OAuthGuard()` returns, and what a subclass extends:
 * `class MyGuard extends OAuthGuard('github') { protected override toResult(r) { … } }`.
 * A request without callback parameters is redirected to the provider; a callback
 * is completed and leaves `req.oauth` for the handler.
 */
export abstract class OAuthGuardBase implements CanActivate {
  protected readonly logger = new Logger('OAuthGuard');

  constructor(
    protected readonly registry: OAuthRegistry,
    protected readonly login: OAuthLoginService,
  ) {}

  /** The client this guard logs in with, or how to pick it per request (set by `OAuthGuard(name)`). */
  protected declare readonly clientName: OAuthClientSelector;
  /** The options given to `OAuthGuard(name, options)`. */
  protected declare readonly options: Readonly<OAuthGuardOptions>;

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<OAuthRequest>();
    const res = http.getResponse<PlatformResponse>();
    let name = typeof this.clientName === 'string' ? this.clientName : '(per request)';
    try {
      if (typeof this.clientName !== 'string') name = String(this.clientName(req as unknown as OAuthSelectorRequest));
      const found = this.registry.forRequest(name);
      const client: ProtocolClient = found instanceof Promise ? await found : found;
      if (this.login.isCallback(client, req)) {
        req.oauth = await this.toResult(await this.login.complete(client, req, res));
        return true;
      }
      const url = await this.login.start(client, req, res, this.options);
      setResponseHeader(res, 'location', url);
      setResponseHeader(res, 'cache-control', 'no-store');
      throw OAuthRedirectException.create(url);
    } catch (err) {
      if (err instanceof HttpException) throw err;
      throw this.handleError(err, name);
    }
  }

  /** Builds `req.oauth` from a completed login; override to add to it. */
  protected toResult(result: OAuthResult): OAuthResult | Promise<OAuthResult> {
    return result;
  }

  /** Maps a failure to the exception answered; override to change the answer. */
  protected handleError(err: unknown, client = String(this.clientName)): HttpException {
    const who = safeText(client, 64);
    if (err instanceof OAuthError) {
      // Messages are written to carry no token, code, secret or verifier.
      this.logger.warn(`OAuth client "${who}": ${err.code}: ${err.message}`);
      return new OAuthException(err);
    }
    this.logger.error(`OAuth client "${who}": unexpected failure: ${err instanceof Error ? err.name : typeof err}`);
    return new OAuthException(new OAuthError('server_error', 'The login failed unexpectedly.', { cause: err }));
  }
}

const byName = new Map<string, Type<OAuthGuardBase>>();
const bySelector = new WeakMap<object, Map<string, Type<OAuthGuardBase>>>();

/**
 * A guard class for login and callback routes of the client `name` (or of the name
 * `name(req)` returns), usable with `@UseGuards`. Memoized per name (or function)
 * and options compared by value. The client is looked up when a request arrives:
 * an unknown name is a 500 `invalid_config`, or 404 `unknown_client` when
 * `resolveClient` is configured and does not know it.
 */
export function OAuthGuard(name: OAuthClientSelector, options: OAuthGuardOptions = {}): Type<OAuthGuardBase> {
  const optionsKey = stableJson(options);
  let cache = byName;
  let key = `${String(name)}\u0000${optionsKey}`;
  if (typeof name === 'function') {
    cache = bySelector.get(name) ?? new Map();
    bySelector.set(name, cache);
    key = optionsKey;
  }
  let guard = cache.get(key);
  if (!guard) {
    guard = createOAuthGuard(name, Object.freeze({ ...options }));
    cache.set(key, guard);
  }
  return guard;
}

function createOAuthGuard(name: OAuthClientSelector, options: Readonly<OAuthGuardOptions>): Type<OAuthGuardBase> {
  @Injectable()
  class MixinOAuthGuard extends OAuthGuardBase {
    protected override readonly clientName = name;
    protected override readonly options = options;

    // Mixins lose emitted metadata: every parameter is injected explicitly.
    constructor(@Inject(OAuthRegistry) registry: OAuthRegistry, @Inject(OAuthLoginService) login: OAuthLoginService) {
      super(registry, login);
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
