import type { OAuthToken } from '../interfaces/oauth-token.interface.js';

/** Options of API calls (`client.get(url, opts)`). */
export interface RequestOptions<T extends OAuthToken = OAuthToken> {
  /** The token to use; else `fetchToken(name, req)`. */
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
