import { createHash } from 'node:crypto';
import { DEFAULTS, STATE_COOKIE_PREFIX } from '../oauth.constants.js';
import {
  appendSetCookie,
  isSecureRequest,
  requestCookies,
  serializeCookie,
  type PlatformRequest,
  type PlatformResponse,
} from './http-platform.js';
import { ConsumedStates } from '../state/consumed-states.js';
import type { LoginStateBackend, PendingLogin, SaveOptions } from './login-state.backend.js';
import { decryptState, deriveStateKey, encryptState } from '../state/state-cipher.js';

interface CookiePayload {
  k: string;
  d: PendingLogin;
  exp: number;
}

/**
 * Pending logins in encrypted cookies (JWE, dir + A256GCM), one per login so
 * several tabs can log in at once. The key of the first secret encrypts, every
 * secret's key decrypts, so a secret can be rotated with logins in flight.
 */
export class CookieStateBackend implements LoginStateBackend {
  private readonly keys: Buffer[];
  private readonly consumed = new ConsumedStates();

  constructor(secrets: readonly string[]) {
    // HKDF turns a passphrase of any form into a uniform 256-bit key and ties it to
    // this purpose, so the same secret used elsewhere yields an unrelated key.
    this.keys = secrets.map(deriveStateKey);
  }

  async save(req: PlatformRequest, res: PlatformResponse, key: string, data: PendingLogin, ttl: number, opts: SaveOptions = {}): Promise<void> {
    const exp = Math.floor(Date.now() / 1000) + ttl;
    const payload: CookiePayload = { k: key, d: data, exp };
    const jwe = encryptState(JSON.stringify(payload), this.keys[0]!);
    this.evictOldest(req, res);
    appendSetCookie(res, serializeCookie(cookieName(key), jwe, this.cookieOptions(req, ttl, opts.crossSite)));
  }

  async take(req: PlatformRequest, res: PlatformResponse, key: string): Promise<PendingLogin | undefined> {
    const name = cookieName(key);
    const value = requestCookies(req).get(name);
    if (value === undefined) return undefined;
    // Cleared whatever happens next: a used, expired or broken cookie is worth nothing.
    appendSetCookie(res, serializeCookie(name, '', this.cookieOptions(req, 0, false)));
    const payload = this.decrypt(value);
    if (!payload || payload.k !== key) return undefined;
    const expMs = payload.exp * 1000;
    if (expMs <= Date.now()) return undefined;
    if (!this.consumed.claim(key, expMs)) return undefined;
    return payload.d;
  }

  private decrypt(value: string): CookiePayload | undefined {
    if (value.length > 8192) return undefined;
    for (const key of this.keys) {
      // Try each secret; none fitting means the cookie is forged or stale.
      const plaintext = decryptState(value, key);
      if (plaintext === undefined) continue;
      try {
        const parsed = JSON.parse(plaintext) as unknown;
        return isPayload(parsed) ? parsed : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * Keeps the number of pending-login cookies bounded so abandoned logins cannot
   * grow the Cookie header past what servers accept. Cookie names carry no age, so
   * the first ones in the header (usually the oldest) go.
   */
  private evictOldest(req: PlatformRequest, res: PlatformResponse): void {
    const pending = [...requestCookies(req).keys()].filter((n) => n.startsWith(STATE_COOKIE_PREFIX));
    const excess = pending.length - (DEFAULTS.maxStateCookies - 1);
    for (let i = 0; i < excess; i++) {
      appendSetCookie(res, serializeCookie(pending[i]!, '', this.cookieOptions(req, 0, false)));
    }
  }

  private cookieOptions(req: PlatformRequest, ttl: number, crossSite: boolean | undefined) {
    // A form_post callback is a cross-site POST: only SameSite=None cookies travel
    // with it, and browsers accept those only when Secure.
    return crossSite
      ? { maxAge: ttl, secure: true, sameSite: 'None' as const }
      : { maxAge: ttl, secure: isSecureRequest(req), sameSite: 'Lax' as const };
  }
}

/** A short, fixed-length name per login; the full state is checked inside the JWE. */
export function cookieName(key: string): string {
  return STATE_COOKIE_PREFIX + createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

function isPayload(v: unknown): v is CookiePayload {
  if (v === null || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.k === 'string' && typeof p.exp === 'number' && p.d !== null && typeof p.d === 'object';
}
