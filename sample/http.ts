/**
 * The few request and response operations the sample needs, the same on Express and
 * on Fastify: read a cookie, add a Set-Cookie header without dropping the ones the
 * library's guard set on the same response.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What the sample reads from an Express request or a Fastify request. */
export interface SampleRequest {
  headers: IncomingHttpHeaders;
}

/** An Express response or a Fastify reply. */
export interface SampleResponse {
  /** Fastify's reply wraps the node response here. */
  raw?: unknown;
  header?(name: string, value: string): unknown;
  getHeader?(name: string): unknown;
  setHeader?(name: string, value: string | string[]): unknown;
}

/** The value of cookie `name`, the first one when the browser sent several. */
export function readCookie(req: SampleRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  path?: string;
  /** Seconds; 0 deletes the cookie; none: until the browser closes. */
  maxAge?: number;
}

/**
 * Adds a Set-Cookie header: HttpOnly (no script reads it) and SameSite=Lax (another
 * site's POST does not carry it, a top-level link back from the provider does).
 * Values are base64url, cookie-safe as they are. Over HTTPS it would also need
 * `Secure`; the sample only listens on http://127.0.0.1.
 */
export function setCookie(res: SampleResponse, name: string, value: string, opts: CookieOptions = {}): void {
  let cookie = `${name}=${value}; Path=${opts.path ?? '/'}; HttpOnly; SameSite=Lax`;
  if (opts.maxAge !== undefined) cookie += `; Max-Age=${opts.maxAge}`;
  if (opts.maxAge === 0) cookie += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (res.raw !== undefined) {
    // Fastify's reply.header() adds to an existing set-cookie list.
    res.header?.('set-cookie', cookie);
    return;
  }
  // Express: setHeader would replace the cookies the guard already set.
  const current = res.getHeader?.('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  res.setHeader?.('set-cookie', [...list, cookie]);
}

export function clearCookie(res: SampleResponse, name: string, opts: Pick<CookieOptions, 'path'> = {}): void {
  setCookie(res, name, '', { ...opts, maxAge: 0 });
}
