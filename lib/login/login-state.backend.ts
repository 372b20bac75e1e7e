import type { PlatformRequest, PlatformResponse } from './http-platform.js';

/** What a pending login keeps between the redirect and the callback. */
export type PendingLogin = Record<string, unknown>;

export interface SaveOptions {
  /**
   * The callback will arrive as a cross-site POST (`response_mode=form_post`), so
   * cookies must be `SameSite=None; Secure` to be sent with it.
   */
  crossSite?: boolean;
}

/**
 * Keeps pending logins for one browser. The cookie and session backends are bound
 * to the browser by nature; the server-side one binds with a cookie of its own.
 */
export interface LoginStateBackend {
  save(req: PlatformRequest, res: PlatformResponse, key: string, data: PendingLogin, ttlSeconds: number, opts?: SaveOptions): Promise<void>;
  /** Read and delete: a state is single-use. `undefined` when unknown, expired or used. */
  take(req: PlatformRequest, res: PlatformResponse, key: string): Promise<PendingLogin | undefined>;
}
