import { DEFAULTS } from '../oauth.constants.js';
import { OAuthConfigError, OAuthError, OAuthResponseError } from '../oauth.errors.js';
import type { ResolvedClientConfig } from '../config/resolved-client.js';
import type { HttpSettings } from '../http/provider-http.js';
import type { OAuthToken } from '../interfaces/oauth-token.interface.js';
import {
  requestForm,
  requestOrigin,
  requestQuery,
  requestUrlWithoutQuery,
  sendRedirect,
  type PlatformRequest,
  type PlatformResponse,
} from '../platform/http-platform.js';
import { appendQuery, formParams, resolveApiUrl } from './api-url.js';
import type { AuthorizeOptions, CallbackOptions, ClientContext, LoginResult, RequestOptions } from './client-context.js';
import { safeReturnTo } from './return-to.js';

/** Parameters of a callback, every value per name, in a Map (no prototype games). */
export type CallbackParams = Map<string, string[]>;

/** Login options the guard adds on top of `AuthorizeOptions`. */
export interface StartLoginOptions extends AuthorizeOptions {
  returnTo?: string;
}

/** What both kinds of client share: naming, redirect URIs, API calls. */
export abstract class BaseOAuthClient<T extends OAuthToken> {
  abstract readonly kind: 'oauth1' | 'oauth2';

  protected constructor(protected readonly ctx: ClientContext) {}

  get name(): string {
    return this.ctx.config.name;
  }

  /** The validated configuration, frozen. */
  get config(): ResolvedClientConfig {
    return this.ctx.config;
  }

  /** The authorization URL and the data a callback will need, without storing anything. */
  abstract createAuthorizationUrl(opts?: AuthorizeOptions): Promise<{ url: string; state: string; [k: string]: unknown }>;

  /** Stores the pending login in the state store and returns the provider URL. */
  abstract startLogin(req: PlatformRequest, res: PlatformResponse, opts?: StartLoginOptions): Promise<string>;

  /** Completes a callback: state, provider answer, token exchange. */
  abstract completeLogin(req: PlatformRequest, res: PlatformResponse, opts?: CallbackOptions): Promise<LoginResult<T>>;

  /** True when the request carries this kind's callback parameters. */
  abstract isCallback(req: PlatformRequest): boolean;

  /** Adds credentials to an outgoing API request. */
  protected abstract authorizeRequest(
    token: T,
    method: string,
    url: URL,
    headers: Record<string, string>,
    form: URLSearchParams | undefined,
  ): Promise<void> | void;

  /** Makes a token usable (OAuth 2 refreshes it when it is about to expire). */
  protected async prepareToken(token: T): Promise<T> {
    return token;
  }

  /** Stores the pending login and answers 302 to the provider. */
  async authorizeRedirect(req: unknown, res: unknown, opts?: AuthorizeOptions): Promise<void> {
    const url = await this.startLogin(req as PlatformRequest, res as PlatformResponse, opts);
    sendRedirect(res as PlatformResponse, url);
  }

  /** Completes a callback and returns the token (the guard-less, two-route usage). */
  async authorizeAccessToken(req: unknown, res: unknown, opts?: CallbackOptions): Promise<T> {
    return (await this.completeLogin(req as PlatformRequest, res as PlatformResponse, opts)).token;
  }

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

  private async send(method: string, rawUrl: string, opts: RequestOptions<T>): Promise<Response> {
    const url = resolveApiUrl(rawUrl, this.ctx.config.apiBaseUrl);
    appendQuery(url, opts.query);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    headers['user-agent'] ??= this.http.userAgent ?? 'nestjs-oauth-client';
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
    if (!opts.withholdToken) {
      const token = await this.prepareToken(await this.resolveToken(opts));
      await this.authorizeRequest(token, method, url, headers, form);
    }
    if (form) body = form.toString();
    const http = this.http;
    const controller = new AbortController();
    // Bounded until the headers arrive; the body is the caller's to read.
    const timer = setTimeout(() => controller.abort(), http.timeout);
    try {
      return await http.fetch(url, { method, headers, body, redirect: 'manual', signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new OAuthResponseError('timeout', `The API at ${url.origin} did not answer within ${http.timeout} ms.`, { cause: err });
      }
      throw new OAuthResponseError('provider_unavailable', `The API at ${url.origin} could not be reached.`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private async resolveToken(opts: RequestOptions<T>): Promise<T> {
    if (opts.token) return opts.token;
    const fetchToken = this.ctx.config.fetchToken ?? this.ctx.fetchToken;
    if (fetchToken) {
      const token = await fetchToken(this.name, opts.req);
      if (token) return token as T;
    }
    throw new OAuthError(
      'missing_token',
      `No token for OAuth client "${this.name}": pass { token } or configure fetchToken; nothing was sent.`,
    );
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

  /** The redirect URI of a login: option, then config, then the request's own URL. */
  protected redirectUriFor(req: PlatformRequest | undefined, explicit?: string): string {
    const configured = explicit ?? this.ctx.config.redirectUri;
    if (configured !== undefined && /^https?:\/\//i.test(configured)) return configured;
    if (!req) {
      throw new OAuthConfigError(
        `OAuth client "${this.name}": a redirect URI is needed; configure an absolute redirectUri or pass one.`,
        { client: this.name, field: 'redirectUri' },
      );
    }
    if (configured !== undefined) return new URL(configured, requestOrigin(req)).toString();
    return requestUrlWithoutQuery(req);
  }

  /** Query parameters plus a `form_post` body. */
  protected callbackParams(req: PlatformRequest, opts?: CallbackOptions): CallbackParams {
    if (opts?.params) return new Map(Object.entries(opts.params).map(([k, v]) => [k, [v]]));
    // The guard asks isCallback() and then completeLogin(): parse the request once.
    let params = parsedParams.get(req);
    if (!params) {
      params = parseCallbackParams(req);
      parsedParams.set(req, params);
    }
    return params;
  }

  /** The `next` query parameter of a login, when it is a safe same-origin path. */
  static returnToFrom(req: PlatformRequest): string | undefined {
    const next = requestQuery(req).get('next');
    if (!next || next.length !== 1) return undefined;
    return safeReturnTo(next[0]);
  }
}

const parsedParams = new WeakMap<object, CallbackParams>();

function parseCallbackParams(req: PlatformRequest): CallbackParams {
  const params = requestQuery(req);
  for (const [k, v] of requestForm(req)) {
    const list = params.get(k);
    if (list) list.push(...v);
    else params.set(k, [...v]);
  }
  for (const [k, values] of params) {
    for (const v of values) {
      if (v.length > DEFAULTS.maxParamLength) {
        throw new OAuthError('invalid_request', `The callback parameter "${safeName(k)}" is too long.`);
      }
    }
  }
  return params;
}

/** A parameter name fit for a message: short and printable. */
export function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '?').slice(0, 40);
}

/** Exactly one value, or `undefined` when absent; `null` when repeated. */
export function single(params: CallbackParams, name: string): string | undefined | null {
  const list = params.get(name);
  if (!list) return undefined;
  return list.length === 1 ? list[0]! : null;
}
