import type { Logger } from '@nestjs/common';
import type { ResolvedClientConfig } from '../config/resolved-client.js';
import type { HttpSettings } from '../http/provider-http.js';
import type { OAuthToken, TokenUpdateEvent } from '../interfaces/oauth-token.interface.js';
import type { LoginStateBackend } from '../state/login-state.backend.js';

/** What every client gets from the registry: shared settings and hooks. */
export interface ClientContext {
  config: ResolvedClientConfig;
  http: HttpSettings;
  state: LoginStateBackend;
  stateTtl: number;
  fetchToken?: (name: string, req: unknown) => Promise<OAuthToken | null | undefined>;
  updateToken?: (event: TokenUpdateEvent) => unknown;
  /** Announces a refresh on `tokenUpdate$`, after `updateToken` resolved. */
  emitTokenUpdate: (event: TokenUpdateEvent) => void;
  logger: Logger;
}

/** Options of `authorizeRedirect` / `createAuthorizationUrl`. */
export interface AuthorizeOptions {
  /** Absolute URL or a path resolved against the request's origin. */
  redirectUri?: string;
  /** Extra authorization request parameters. */
  params?: Record<string, string>;
  /** OAuth 2: scope for this login instead of the client's. */
  scope?: string | string[];
}

/** Options of `authorizeAccessToken`. */
export interface CallbackOptions {
  /** Parameters of the callback instead of the request's query and form body. */
  params?: Record<string, string>;
}

/** What a finished login yields, before the guard puts it on `req.oauth`. */
export interface LoginResult<T extends OAuthToken = OAuthToken> {
  token: T;
  userinfo?: import('../interfaces/oauth-token.interface.js').UserInfo;
  returnTo?: string;
}

/** Options of API calls (`client.get(url, opts)`). */
export interface RequestOptions<T extends OAuthToken = OAuthToken> {
  token?: T;
  /** Handed to `fetchToken(name, req)` when no token is given. */
  req?: unknown;
  /** Send no credentials at all. */
  withholdToken?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | readonly (string | number | boolean)[]>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (signed by OAuth 1). */
  form?: Record<string, string | number | boolean | readonly (string | number | boolean)[]>;
  /** A raw body, sent as given. */
  body?: string | Uint8Array | ArrayBuffer | Blob | ReadableStream | URLSearchParams;
}
