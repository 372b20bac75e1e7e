import { Inject, Injectable } from '@nestjs/common';
import type { HttpLoginPort } from '../clients/client-context.js';
import type { AuthorizeOptions, CallbackOptions, ProtocolClient } from '../clients/protocol-client.js';
import type { ResolvedModuleOptions } from '../config/resolve-module-options.js';
import { OAuthValidationError } from '../errors/oauth.error.js';
import type { OAuthResult, OAuthToken } from '../interfaces/oauth-token.interface.js';
import { OAUTH_RESOLVED_OPTIONS } from '../oauth.constants.js';
import { callbackParams, givenParams } from './callback-params.js';
import { isSecureRequest, requestQuery, sendRedirect, type PlatformRequest, type PlatformResponse } from './http-platform.js';
import { resolveRedirectUri } from './redirect-uri.js';
import { safeReturnTo } from './return-to.js';
import { OAuthStateBackend } from './state-backend.provider.js';

/** Per-login options of the guard on top of `AuthorizeOptions`. */
export interface LoginOptions extends AuthorizeOptions {
  /** Keep a safe `?next=` of the login request as `returnTo`. */
  returnTo?: boolean;
}

/** The login's own keys in a pending record, beside the client's state data. */
interface PendingEnvelope {
  /** The client that started the login: a callback for another client is refused. */
  c: string;
  returnTo?: string;
  [stateData: string]: unknown;
}

/**
 * The HTTP side of every login: reads callback parameters (query and form_post),
 * resolves redirect URIs against the request, keeps `returnTo`, saves and takes
 * pending logins, and answers redirects. Protocol clients below it see plain data.
 */
@Injectable()
export class OAuthLoginService implements HttpLoginPort {
  constructor(
    @Inject(OAuthStateBackend) private readonly state: OAuthStateBackend,
    @Inject(OAUTH_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
  ) {}

  /** True when the request carries the callback parameters of `client`'s kind. */
  isCallback(client: ProtocolClient, req: PlatformRequest): boolean {
    return client.isCallback(callbackParams(req));
  }

  /** Stores the pending login and returns the provider URL to redirect to. */
  async start(client: ProtocolClient, req: PlatformRequest, res: PlatformResponse, opts: LoginOptions = {}): Promise<string> {
    const redirectUri = resolveRedirectUri(req, opts.redirectUri ?? client.configuredRedirectUri);
    const { url, state, ...stateData } = await client.createAuthorizationUrl({
      redirectUri,
      ...(opts.scope === undefined ? {} : { scope: opts.scope }),
      ...(opts.params === undefined ? {} : { params: opts.params }),
    });
    const pending: PendingEnvelope = { ...stateData, c: client.name };
    if (opts.returnTo) {
      const next = requestQuery(req).get('next');
      const returnTo = next?.length === 1 ? safeReturnTo(next[0]) : undefined;
      if (returnTo !== undefined) pending.returnTo = returnTo;
    }
    // A form_post callback is a cross-site POST: its state must travel in SameSite=None cookies.
    const crossSite = stateData.response_mode === 'form_post';
    await this.state.save(req, res, state, pending, this.options.stateTtl, {
      crossSite,
      secure: isSecureLogin(req, redirectUri),
      droppable: ['returnTo'],
    });
    return url;
  }

  /** Completes a callback: the pending login it names (single use), then the client's checks and exchange. */
  async complete(client: ProtocolClient, req: PlatformRequest, res: PlatformResponse, opts?: CallbackOptions): Promise<OAuthResult> {
    const params = opts?.params ? givenParams(opts.params) : callbackParams(req);
    const key = client.callbackKey(params);
    // The key must name a login this browser started for this client: anything else
    // is forged or replayed, and nothing is sent to the provider.
    const secure = isSecureLogin(req, resolveRedirectUri(req, client.configuredRedirectUri));
    const pending = (await this.state.take(req, res, key, { secure })) as PendingEnvelope | undefined;
    if (!pending || pending.c !== client.name) {
      throw new OAuthValidationError(
        'mismatching_state',
        `The callback ${client.kind === 'oauth1' ? 'oauth_token' : 'state'} is unknown, expired, already used, or belongs to another browser or client; start the login again.`,
      );
    }
    const { token, userinfo } = await client.completeAuthorization(params, pending);
    const result: OAuthResult = { client: client.name, token };
    if (userinfo !== undefined) result.userinfo = userinfo;
    if (typeof pending.returnTo === 'string') result.returnTo = pending.returnTo;
    return result;
  }

  async authorizeRedirect(client: ProtocolClient, req: unknown, res: unknown, opts?: AuthorizeOptions): Promise<void> {
    const url = await this.start(client, req as PlatformRequest, res as PlatformResponse, opts);
    sendRedirect(res as PlatformResponse, url);
  }

  async authorizeAccessToken(client: ProtocolClient, req: unknown, res: unknown, opts?: CallbackOptions): Promise<OAuthToken> {
    return (await this.complete(client, req as PlatformRequest, res as PlatformResponse, opts)).token;
  }
}

/**
 * HTTPS as far as cookies go (contract, State): the request per the platform's
 * trust-proxy setting, or an `https:` redirect URI, which is where the browser
 * comes back (behind a TLS proxy the app does not trust, the request looks like
 * plain http while the browser speaks HTTPS).
 */
function isSecureLogin(req: PlatformRequest, redirectUri: string): boolean {
  return isSecureRequest(req) || /^https:/i.test(redirectUri);
}
