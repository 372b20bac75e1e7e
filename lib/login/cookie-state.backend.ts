import { OAuthValidationError } from '../errors/oauth.error.js';
import { STATE_COOKIE_PREFIX } from '../oauth.constants.js';
import { ConsumedStates } from '../state/consumed-states.js';
import { decryptState, deriveStateKey, encryptState } from '../state/state-cipher.js';
import { appendSetCookie, requestCookies, serializeCookie, type PlatformRequest, type PlatformResponse } from './http-platform.js';
import { loginCookieName, loginCookieOptions, readLoginCookie } from './login-cookies.js';
import type { LoginStateBackend, PendingLogin, SaveOptions, TakeOptions } from './login-state.backend.js';

/** One pending login inside the cookie. */
interface Entry {
  k: string;
  d: PendingLogin;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Pending logins of same-site callbacks (SameSite=Lax). */
const LAX = `${STATE_COOKIE_PREFIX}lax`;
/** Pending logins of form_post callbacks (SameSite=None; Secure), which need a cookie of their own. */
const NONE = `${STATE_COOKIE_PREFIX}none`;

/**
 * Longest Set-Cookie line written, in bytes: under the 4,096 bytes browsers keep
 * per cookie, and with the two cookies under 8 KB together in the Cookie header.
 */
export const MAX_STATE_COOKIE_BYTES = 4000;

/**
 * Pending logins in encrypted cookies (JWE, dir + A256GCM). The key of the first
 * secret encrypts, every secret's key decrypts, so a secret can be rotated with
 * logins in flight.
 *
 * A browser has at most two such cookies, one per SameSite mode, each holding a
 * list of its pending logins, oldest first, cut from the front so that its
 * Set-Cookie line stays under `MAX_STATE_COOKIE_BYTES`. One cookie per login was
 * not bounded: a page can start many logins at once (form_post cookies are
 * SameSite=None, so even plain cross-site requests set them), each answer adding a
 * cookie the others never saw, until the Cookie header passes the server's limit
 * and every request of that browser is refused (HTTP 431) for the life of the
 * cookies. With fixed names, answers that race overwrite each other instead: the
 * logins started at the same moment may displace one another, never lock anyone out.
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
    const crossSite = opts.crossSite === true;
    const name = loginCookieName(crossSite ? NONE : LAX, crossSite || opts.secure === true);
    const now = Date.now();
    const current = requestCookies(req).get(name);
    const entries = (current === undefined ? [] : (this.open(current) ?? [])).filter((e) => this.isLive(e, now) && e.k !== key);
    const entry: Entry = { k: key, d: data, exp: Math.floor(now / 1000) + ttl };
    entries.push(entry);
    let line = this.line(name, entries, now, crossSite);
    // The oldest pending logins make room first.
    while (Buffer.byteLength(line) > MAX_STATE_COOKIE_BYTES && entries.length > 1) {
      entries.shift();
      line = this.line(name, entries, now, crossSite);
    }
    if (Buffer.byteLength(line) > MAX_STATE_COOKIE_BYTES && opts.droppable?.length) {
      const trimmed = { ...data };
      for (const member of opts.droppable) delete trimmed[member];
      entry.d = trimmed;
      line = this.line(name, entries, now, crossSite);
    }
    if (Buffer.byteLength(line) > MAX_STATE_COOKIE_BYTES) {
      throw new OAuthValidationError(
        'invalid_request',
        'This login does not fit in a cookie under 4 KB (is the redirect URI very long?); use a server-side state store.',
      );
    }
    appendSetCookie(res, line);
  }

  async take(req: PlatformRequest, res: PlatformResponse, key: string, opts: TakeOptions = {}): Promise<PendingLogin | undefined> {
    const now = Date.now();
    const cookies = requestCookies(req);
    for (const [base, crossSite] of [
      [LAX, false],
      [NONE, true],
    ] as const) {
      // form_post cookies are always written __Host- prefixed: a bare one is planted.
      const found = readLoginCookie(req, base, crossSite || opts.secure === true, cookies);
      if (!found) continue;
      const entries = this.open(found.value);
      if (!entries) {
        // Forged, or from a retired secret: worth nothing.
        appendSetCookie(res, serializeCookie(found.name, '', loginCookieOptions(found.name, 0, crossSite)));
        continue;
      }
      const at = entries.findIndex((e) => e.k === key);
      if (at < 0) continue;
      const entry = entries[at]!;
      // Written back without it whatever happens next: a used or expired login is worth nothing.
      const rest = entries.filter((e, i) => i !== at && this.isLive(e, now));
      appendSetCookie(
        res,
        rest.length > 0 ? this.line(found.name, rest, now, crossSite) : serializeCookie(found.name, '', loginCookieOptions(found.name, 0, crossSite)),
      );
      const expMs = entry.exp * 1000;
      if (expMs <= now) return undefined;
      if (!this.consumed.claim(key, expMs)) return undefined;
      return entry.d;
    }
    return undefined;
  }

  private isLive(e: Entry, now: number): boolean {
    return e.exp * 1000 > now && !this.consumed.has(e.k);
  }

  /** The Set-Cookie line holding `entries`, living as long as the newest of them. */
  private line(name: string, entries: Entry[], now: number, crossSite: boolean): string {
    const maxAge = Math.max(1, Math.max(...entries.map((e) => e.exp)) - Math.floor(now / 1000));
    const jwe = encryptState(JSON.stringify(entries), this.keys[0]!);
    return serializeCookie(name, jwe, loginCookieOptions(name, maxAge, crossSite));
  }

  /** The entries of a cookie value, or `undefined` when no secret opens it. */
  private open(value: string): Entry[] | undefined {
    if (value.length > 8192) return undefined;
    for (const key of this.keys) {
      // Try each secret; none fitting means the cookie is forged or stale.
      const plaintext = decryptState(value, key);
      if (plaintext === undefined) continue;
      try {
        const parsed = JSON.parse(plaintext) as unknown;
        return Array.isArray(parsed) ? parsed.filter(isEntry) : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

function isEntry(v: unknown): v is Entry {
  if (v === null || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e.k === 'string' && typeof e.exp === 'number' && e.d !== null && typeof e.d === 'object' && !Array.isArray(e.d);
}
