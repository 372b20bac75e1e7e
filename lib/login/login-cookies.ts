import type { CookieOptions, PlatformRequest } from './http-platform.js';
import { requestCookies } from './http-platform.js';

/**
 * RFC 6265bis 4.1.3.2: a browser keeps a `__Host-` cookie only when it is Secure,
 * has Path=/ and no Domain, and was set by the host itself over HTTPS. A sibling
 * subdomain (or a man in the middle on plain http) can set `oauth_bind` for the
 * whole site, never `__Host-oauth_bind`: on HTTPS only prefixed names are read, so
 * nobody can plant a pending login in a victim's browser.
 */
export const HOST_PREFIX = '__Host-';

/** The name a module cookie has on this connection. */
export function loginCookieName(base: string, secure: boolean): string {
  return secure ? HOST_PREFIX + base : base;
}

/**
 * The value and name of a module cookie as the request carries it: the `__Host-`
 * one when present; the bare one only when the login is not HTTPS, where nothing
 * better exists (the README says so). A name sent twice counts as absent.
 */
export function readLoginCookie(
  req: PlatformRequest,
  base: string,
  secure: boolean,
  cookies: Map<string, string> = requestCookies(req),
): { name: string; value: string } | undefined {
  const hosted = cookies.get(HOST_PREFIX + base);
  if (hosted !== undefined) return { name: HOST_PREFIX + base, value: hosted };
  if (secure) return undefined;
  const bare = cookies.get(base);
  return bare === undefined ? undefined : { name: base, value: bare };
}

/** Attributes of a module cookie: Path=/, no Domain; Secure exactly when the name is prefixed. */
export function loginCookieOptions(name: string, maxAge: number, crossSite: boolean): CookieOptions {
  // A form_post callback is a cross-site POST: only SameSite=None cookies travel
  // with it, and browsers accept those only when Secure.
  const secure = crossSite || name.startsWith(HOST_PREFIX);
  return { maxAge, secure, sameSite: crossSite ? 'None' : 'Lax', path: '/' };
}
