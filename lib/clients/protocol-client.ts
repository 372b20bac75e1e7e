import type { OAuthResult, OAuthToken } from '../interfaces/oauth-token.interface.js';

/** Parameters of a callback, every value per name, in a Map (no prototype games). */
export type CallbackParams = Map<string, string[]>;

/** Options of `createAuthorizationUrl` / `authorizeRedirect`. */
export interface AuthorizeOptions {
  /** Absolute URL (for `authorizeRedirect`, also a path resolved against the request's origin). */
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

/** An authorization URL and what the callback will need (the pending login). */
export interface AuthorizationRequest {
  url: string;
  /** The key the callback names the login by: `state` (OAuth 2) or the temporary `oauth_token` (OAuth 1). */
  state: string;
  redirect_uri: string;
  [stateData: string]: unknown;
}

/** What a completed authorization yields, before the guard adds the client name. */
export type AuthorizationResult<T extends OAuthToken = OAuthToken> = Pick<OAuthResult<T>, 'token' | 'userinfo'>;

/**
 * What the login layer needs of a protocol client. Every input and output is plain
 * data: the client never sees a request or a response object.
 * @internal
 */
export interface ProtocolClient {
  readonly name: string;
  readonly kind: 'oauth1' | 'oauth2';
  /** The configured `redirectUri`, absolute or a path. */
  readonly configuredRedirectUri: string | undefined;
  createAuthorizationUrl(opts?: AuthorizeOptions): Promise<AuthorizationRequest>;
  /** True when these parameters are this kind's callback. */
  isCallback(params: CallbackParams): boolean;
  /** The pending login's key named by the callback; throws when there is none. */
  callbackKey(params: CallbackParams): string;
  /** Finishes a callback whose pending login was found (and consumed) under `callbackKey`. */
  completeAuthorization(params: CallbackParams, pending: Readonly<Record<string, unknown>>): Promise<AuthorizationResult>;
}

/** Exactly one value, or `undefined` when absent; `null` when repeated. */
export function single(params: CallbackParams, name: string): string | undefined | null {
  const list = params.get(name);
  if (!list) return undefined;
  return list.length === 1 ? list[0]! : null;
}
