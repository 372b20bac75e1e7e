import { createHash, randomBytes } from 'node:crypto';
import { BINDING_COOKIE, DEFAULTS } from '../oauth.constants.js';
import { OAuthStateStoreError } from '../errors/oauth.error.js';
import {
  appendSetCookie,
  isSecureRequest,
  requestCookies,
  serializeCookie,
  type PlatformRequest,
  type PlatformResponse,
} from './http-platform.js';
import type { LoginStateBackend, PendingLogin, SaveOptions } from './login-state.backend.js';
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
    let binding = readBinding(req);
    if (!binding) binding = randomBytes(32).toString('base64url');
    // Re-sent on every login so it outlives the newest pending one.
    appendSetCookie(
      res,
      serializeCookie(
        BINDING_COOKIE,
        binding,
        opts.crossSite ? { maxAge: ttl, secure: true, sameSite: 'None' } : { maxAge: ttl, secure: isSecureRequest(req), sameSite: 'Lax' },
      ),
    );
    await this.guarded(this.store.set(storeKey(binding, key), data, ttl), 'save');
  }

  async take(req: PlatformRequest, _res: PlatformResponse, key: string): Promise<PendingLogin | undefined> {
    const binding = readBinding(req);
    if (!binding) return undefined;
    const data = await this.guarded(this.store.take(storeKey(binding, key)), 'read');
    return data && typeof data === 'object' ? (data as PendingLogin) : undefined;
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

function readBinding(req: PlatformRequest): string | undefined {
  const value = requestCookies(req).get(BINDING_COOKIE);
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

function storeKey(binding: string, key: string): string {
  return 'oauth-state:' + createHash('sha256').update(binding).update('\n').update(key).digest('base64url');
}
