import { createHash, randomBytes } from 'node:crypto';
import { BINDING_COOKIE, DEFAULTS } from '../oauth.constants.js';
import { OAuthStateStoreError } from '../errors/oauth.error.js';
import { appendSetCookie, requestCookies, serializeCookie, type PlatformRequest, type PlatformResponse } from './http-platform.js';
import { loginCookieName, loginCookieOptions, readLoginCookie } from './login-cookies.js';
import type { LoginStateBackend, PendingLogin, SaveOptions, TakeOptions } from './login-state.backend.js';
import type { OAuthStateStore } from '../state/oauth-state.store.js';

/**
 * Server-side state bound to the browser that started the login. A state valid in
 * any browser lets an attacker start a login, then have a victim complete it with
 * the attacker's authorization (login CSRF; Authlib's CVE-2025-68158). Here the
 * store key is derived from the state and a random value held in an HttpOnly
 * cookie of the starting browser: another browser derives another key and finds
 * nothing, and the real pending login is left untouched.
 */
export class BoundStoreBackend implements LoginStateBackend {
  constructor(
    private readonly store: OAuthStateStore,
    private readonly timeoutMs: number = DEFAULTS.storeTimeout,
  ) {}

  async save(req: PlatformRequest, res: PlatformResponse, key: string, data: PendingLogin, ttl: number, opts: SaveOptions = {}): Promise<void> {
    const crossSite = opts.crossSite === true;
    // On HTTPS the binding is a __Host- cookie, which no sibling subdomain can plant.
    const name = loginCookieName(BINDING_COOKIE, crossSite || opts.secure === true);
    let binding = validBinding(requestCookies(req).get(name));
    if (!binding) binding = randomBytes(32).toString('base64url');
    // Re-sent on every login so it outlives the newest pending one.
    appendSetCookie(res, serializeCookie(name, binding, loginCookieOptions(name, ttl, crossSite)));
    await this.guarded(this.store.set(storeKey(binding, key), data, ttl), 'save');
  }

  async take(req: PlatformRequest, _res: PlatformResponse, key: string, opts: TakeOptions = {}): Promise<PendingLogin | undefined> {
    const cookies = requestCookies(req);
    const bindings = new Set<string>();
    const hosted = validBinding(readLoginCookie(req, BINDING_COOKIE, true, cookies)?.value);
    if (hosted) bindings.add(hosted);
    // Over plain http a bare binding is all there is (and can be planted; see the README).
    const bare = opts.secure === true ? undefined : validBinding(cookies.get(BINDING_COOKIE));
    if (bare) bindings.add(bare);
    for (const binding of bindings) {
      const data = await this.guarded(this.store.take(storeKey(binding, key)), 'read');
      if (data && typeof data === 'object') return data as PendingLogin;
    }
    return undefined;
  }

  /** A slow or failing store answers 503 rather than holding the request. */
  private async guarded<T>(op: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new OAuthStateStoreError('state_store_unavailable', `The state store did not ${what} the login state within ${this.timeoutMs} ms.`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([op, timeout]);
    } catch (err) {
      if (err instanceof OAuthStateStoreError) throw err;
      throw new OAuthStateStoreError('state_store_unavailable', `The state store failed to ${what} the login state.`, { cause: err });
    } finally {
      clearTimeout(timer);
      // A late rejection after the timeout must not become an unhandled rejection.
      op.catch(() => undefined);
    }
  }
}

function validBinding(value: string | undefined): string | undefined {
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

function storeKey(binding: string, key: string): string {
  return 'oauth-state:' + createHash('sha256').update(binding).update('\n').update(key).digest('base64url');
}
