import type { PlatformRequest, PlatformResponse } from './http-platform.js';

/** What a pending login keeps between the redirect and the callback. */
export type PendingLogin = Record<string, unknown>;

export interface SaveOptions {
  /**
   * The callback will arrive as a cross-site POST (`response_mode=form_post`), so
   * cookies must be `SameSite=None; Secure` to be sent with it.
   */
  crossSite?: boolean;
  /**
   * The login runs over HTTPS (the request, per the platform's trust-proxy setting,
   * or the redirect URI): cookies are `Secure` and `__Host-` prefixed.
   */
  secure?: boolean;
  /**
   * Members of `data` the backend may leave out when the login would not fit its
   * bound otherwise (`returnTo`: the login goes on without it).
   */
  droppable?: readonly string[];
}

export interface TakeOptions {
  /** The callback runs over HTTPS: only `__Host-` cookies are read. */
  secure?: boolean;
}

/**
 * Keeps pending logins for one browser. The cookie and session backends are bound
 * to the browser by nature; the server-side one binds with a cookie of its own.
 */
export interface LoginStateBackend {
  save(req: PlatformRequest, res: PlatformResponse, key: string, data: PendingLogin, ttlSeconds: number, opts?: SaveOptions): Promise<void>;
  /** Read and delete: a state is single-use. `undefined` when unknown, expired or used. */
  take(req: PlatformRequest, res: PlatformResponse, key: string, opts?: TakeOptions): Promise<PendingLogin | undefined>;
}
