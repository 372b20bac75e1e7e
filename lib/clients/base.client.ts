import { OAuthConfigError, OAuthUsageError } from '../errors/oauth.error.js';
import { apiRequest } from '../http/api-request.js';
import type { HttpSettings } from '../http/provider-http.js';
import type { ProviderRequest as HookRequest } from '../interfaces/oauth-hooks.interface.js';
import type { OAuthToken } from '../interfaces/oauth-token.interface.js';
import { USER_AGENT } from '../oauth.constants.js';
import type { ResolvedClientConfig } from '../config/resolved-client.js';
import { appendQuery, formParams, resolveApiUrl } from './api-url.js';
import type { ClientContext } from './client-context.js';
import type {
  AuthorizationRequest,
  AuthorizationResult,
  AuthorizeOptions,
  CallbackOptions,
  CallbackParams,
  ProtocolClient,
} from './protocol-client.js';
import type { RequestOptions } from './request-options.js';
import { runHook } from './run-hook.js';

/** What both kinds of client share: naming, the seed's login calls, API calls. */
export abstract class BaseOAuthClient<T extends OAuthToken> implements ProtocolClient {
  abstract readonly kind: 'oauth1' | 'oauth2';

  /** @internal */
  protected readonly ctx: ClientContext;

  /** @internal Clients are built by `OAuthRegistry`. */
  protected constructor(ctx: ClientContext) {
    this.ctx = ctx;
  }

  /** The client's name in the registry. */
  get name(): string {
    return this.ctx.config.name;
  }

  /** @internal */
  get configuredRedirectUri(): string | undefined {
    return this.ctx.config.redirectUri;
  }

  /** The validated configuration, frozen; holds secrets, so it is not public. */
  protected get settings(): ResolvedClientConfig {
    return this.ctx.config;
  }

  /**
   * The authorization URL and the data its callback will need, without storing
   * anything. `redirectUri` must be absolute here (given or configured).
   * @throws OAuthConfigError without an absolute redirect URI; transport and
   * response errors from the provider (OAuth 1 request token, discovery).
   */
  abstract createAuthorizationUrl(opts?: AuthorizeOptions): Promise<AuthorizationRequest>;

  /** @internal */
  abstract isCallback(params: CallbackParams): boolean;
  /** @internal */
  abstract callbackKey(params: CallbackParams): string;
  /** @internal */
  abstract completeAuthorization(params: CallbackParams, pending: Readonly<Record<string, unknown>>): Promise<AuthorizationResult<T>>;

  /** Adds credentials to an outgoing API request. */
  protected abstract authorizeRequest(
    token: T,
    method: string,
    url: URL,
    headers: Record<string, string>,
    form: URLSearchParams | undefined,
  ): Promise<void> | void;

  /** Sends an authorized API request; a DPoP client adds its proof and answers a nonce challenge. */
  protected transmit(_token: T, _method: string, _url: URL, send: (extra: Record<string, string>) => Promise<Response>, _replayable: boolean): Promise<Response> {
    return send({});
  }

  /** Makes a token usable (OAuth 2 refreshes it when it is about to expire). */
  protected async prepareToken(token: T): Promise<T> {
    return token;
  }

  /**
   * Stores the pending login (state store of the module) and answers 302 to the
   * provider: the seed's `authorize_redirect`, for apps without the guard.
   */
  authorizeRedirect(req: unknown, res: unknown, opts?: AuthorizeOptions): Promise<void> {
    return this.ctx.login.authorizeRedirect(this, req, res, opts);
  }

  /**
   * Completes a callback and returns the token: the seed's `authorize_access_token`.
   * @throws OAuthError with the same codes the guard answers.
   */
  async authorizeAccessToken(req: unknown, res: unknown, opts?: CallbackOptions): Promise<T> {
    return (await this.ctx.login.authorizeAccessToken(this, req, res, opts)) as T;
  }

  /**
   * An API call with the token attached (OAuth 2) or the request signed (OAuth 1);
   * the `Response` is handed back unread.
   * @throws OAuthUsageError `invalid_url`, `missing_token`, `token_expired` before anything is sent;
   * OAuthTransportError when the API cannot be reached in time.
   */
  request(method: string, url: string, opts: RequestOptions<T> = {}): Promise<Response> {
    return this.send(method.toUpperCase(), url, opts);
  }
  get(url: string, opts?: RequestOptions<T>): Promise<Response> {
    return this.send('GET', url, opts ?? {});
  }
  post(url: string, opts?: RequestOptions<T>): Promise<Response> {
    return this.send('POST', url, opts ?? {});
  }
  put(url: string, opts?: RequestOptions<T>): Promise<Response> {
    return this.send('PUT', url, opts ?? {});
  }
  patch(url: string, opts?: RequestOptions<T>): Promise<Response> {
    return this.send('PATCH', url, opts ?? {});
  }
  delete(url: string, opts?: RequestOptions<T>): Promise<Response> {
    return this.send('DELETE', url, opts ?? {});
  }

  private async send(verb: string, rawUrl: string, opts: RequestOptions<T>): Promise<Response> {
    let method = verb;
    let url = resolveApiUrl(rawUrl, this.ctx.config.apiBaseUrl);
    appendQuery(url, opts.query);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    headers['user-agent'] ??= this.http.userAgent ?? USER_AGENT;
    let body: RequestInit['body'];
    let form: URLSearchParams | undefined;
    if (opts.form !== undefined) {
      form = formParams(opts.form);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined) {
      body = opts.body as RequestInit['body'];
    }
    const token = opts.withholdToken ? undefined : await this.prepareToken(await this.resolveToken(opts));
    const hooks = this.ctx.config.hooks;
    const hook = hooks?.protectedRequest;
    if (hook) {
      const draft: HookRequest = {
        method,
        url: url.toString(),
        headers: new Headers(headers),
        ...(form ? { body: form } : typeof body === 'string' ? { body } : {}),
      };
      // A preset's hook also sees the token about to be used (Facebook's appsecret_proof).
      const fixed = await runHook(this.name, 'protectedRequest', () => hook.call(hooks, draft, token));
      method = fixed.method.toUpperCase();
      url = new URL(fixed.url);
      for (const key of Object.keys(headers)) delete headers[key];
      fixed.headers.forEach((v, k) => {
        headers[k] = v;
      });
      if (fixed.body instanceof URLSearchParams) {
        form = fixed.body;
        headers['content-type'] = 'application/x-www-form-urlencoded';
      } else if (typeof fixed.body === 'string') {
        form = undefined;
        body = fixed.body;
      }
    }
    // Added last, so an OAuth 1 signature covers the URL and form a hook changed.
    if (token) await this.authorizeRequest(token, method, url, headers, form);
    if (form) body = form.toString();
    const http = this.http;
    const target = url;
    const send = (extra: Record<string, string>) => apiRequest(target, { method, headers: { ...headers, ...extra }, body }, http);
    if (!token) return send({});
    return this.transmit(token, method, url, send, !(body instanceof ReadableStream));
  }

  /** The token of a call: given, else `fetchToken(name, req)`, else `missing_token` before anything is sent. */
  protected async resolveToken(opts: { token?: T; req?: unknown }): Promise<T> {
    if (opts.token) return opts.token;
    const fetchToken = this.ctx.config.fetchToken ?? this.ctx.fetchToken;
    if (fetchToken) {
      const token = await fetchToken(this.name, opts.req);
      if (token) return token as T;
    }
    throw new OAuthUsageError('missing_token', `No token for OAuth client "${this.name}": pass { token } or configure fetchToken; nothing was sent.`);
  }

  /** Module settings with this client's overrides. */
  protected get http(): HttpSettings {
    const c = this.ctx.config;
    return {
      fetch: this.ctx.http.fetch,
      timeout: c.timeout ?? this.ctx.http.timeout,
      userAgent: c.userAgent ?? this.ctx.http.userAgent,
    };
  }

  /** The redirect URI of `createAuthorizationUrl`: it has no request to resolve a path against. */
  protected absoluteRedirectUri(explicit: string | undefined): string {
    const uri = explicit ?? this.ctx.config.redirectUri;
    if (uri !== undefined && /^https?:\/\//i.test(uri)) return uri;
    throw new OAuthConfigError(
      `OAuth client "${this.name}": createAuthorizationUrl needs an absolute redirect URI; configure an absolute redirectUri or pass one (authorizeRedirect resolves paths against the request).`,
      { client: this.name, field: 'redirectUri' },
    );
  }
}
