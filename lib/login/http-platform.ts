import type { IncomingHttpHeaders } from 'node:http';

/**
 * The few things this module needs from a request, on Express and on Fastify. Both
 * platforms are read through their own accessors so the app's trust-proxy setting
 * decides whether X-Forwarded-Proto/Host count.
 */
export interface PlatformRequest {
  headers: IncomingHttpHeaders;
  method?: string;
  protocol?: string;
  host?: string;
  /** Express: path with query as received by the router. */
  originalUrl?: string;
  /** Fastify: path with query. */
  url?: string;
  body?: unknown;
  session?: unknown;
  /** Fastify wraps the node request here. */
  raw?: { url?: string; headers: IncomingHttpHeaders };
  /** Express 4 style getter, also present on Express 5. */
  get?: (name: string) => string | undefined;
}

/** Express response or Fastify reply. */
export interface PlatformResponse {
  getHeader?(name: string): unknown;
  setHeader?(name: string, value: string | string[]): unknown;
  header?(name: string, value: unknown): unknown;
  /** Fastify reply. */
  raw?: unknown;
  code?(status: number): PlatformResponse;
  status?(status: number): PlatformResponse;
  send?(body?: unknown): unknown;
  end?(body?: unknown): unknown;
  redirect?(...args: unknown[]): unknown;
  headersSent?: boolean;
  sent?: boolean;
}

function isFastifyReply(res: PlatformResponse): boolean {
  return typeof res.raw === 'object' && res.raw !== null && typeof res.code === 'function';
}

/** The request's path and query as received. */
export function requestPathAndQuery(req: PlatformRequest): string {
  return req.originalUrl ?? req.raw?.url ?? req.url ?? '/';
}

/** `https://app.example` for the request, honouring the platform's trust-proxy setting. */
export function requestOrigin(req: PlatformRequest): string {
  const protocol = req.protocol === 'https' ? 'https' : 'http';
  // Express 5 and Fastify 5 expose `host` with the port and honour trust proxy.
  const host = req.host ?? req.get?.('host') ?? headerValue(req.headers.host) ?? 'localhost';
  return `${protocol}://${host}`;
}

export function isSecureRequest(req: PlatformRequest): boolean {
  return req.protocol === 'https';
}

/** The absolute URL of the request without its query. */
export function requestUrlWithoutQuery(req: PlatformRequest): string {
  const path = requestPathAndQuery(req).split('?')[0] ?? '/';
  return requestOrigin(req) + path;
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Query parameters parsed from the raw URL, not from the framework's parser: a
 * repeated name stays visible (a duplicated `state` is an attack, not an array),
 * and names like `__proto__` land in a Map, never on an object prototype.
 */
export function requestQuery(req: PlatformRequest): Map<string, string[]> {
  const raw = requestPathAndQuery(req);
  const q = raw.indexOf('?');
  return collectParams(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
}

/** A form body (`response_mode=form_post`) as a Map of every value per name. */
export function requestForm(req: PlatformRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const body = req.body;
  if (req.method !== 'POST' || body === null || body === undefined) return out;
  if (typeof body === 'string') return collectParams(new URLSearchParams(body));
  if (typeof body !== 'object' || Buffer.isBuffer(body)) return out;
  for (const key of Object.keys(body)) {
    const value = (body as Record<string, unknown>)[key];
    const list = Array.isArray(value) ? value : [value];
    // Nested objects from an "extended" body parser are not valid OAuth parameters.
    out.set(
      key,
      list.map((v) => (typeof v === 'string' ? v : '\u0000')),
    );
  }
  return out;
}

function collectParams(params: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/**
 * Cookies of the request, parsed by hand so no cookie middleware is needed. A name
 * sent twice is left out altogether: the browser sends a cookie planted by a
 * sibling subdomain (Domain=) or a longer Path first, so "the first one wins" would
 * let the planter choose; neither copy can be trusted.
 */
export function requestCookies(req: PlatformRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = headerValue(req.headers.cookie);
  if (!header) return out;
  const repeated = new Set<string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (out.has(name)) {
      repeated.add(name);
      continue;
    }
    try {
      out.set(name, value.includes('%') ? decodeURIComponent(value) : value);
    } catch {
      out.set(name, value);
    }
  }
  for (const name of repeated) out.delete(name);
  return out;
}

export interface CookieOptions {
  maxAge?: number;
  secure: boolean;
  sameSite: 'Lax' | 'None' | 'Strict';
  path?: string;
}

export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  // Our values (JWE, base64url) are already cookie-safe; anything else is encoded.
  const safe = /^[\w.~-]*$/.test(value) ? value : encodeURIComponent(value);
  let out = `${name}=${safe}; Path=${opts.path ?? '/'}; HttpOnly; SameSite=${opts.sameSite}`;
  if (opts.maxAge !== undefined) {
    out += `; Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`;
    if (opts.maxAge <= 0) out += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  }
  if (opts.secure) out += '; Secure';
  return out;
}

/** Adds a Set-Cookie header, keeping those already set by the app or other middleware. */
export function appendSetCookie(res: PlatformResponse, cookie: string): void {
  if (isFastifyReply(res)) {
    // Fastify's reply.header appends to an existing set-cookie list.
    res.header?.('set-cookie', cookie);
    return;
  }
  const current = res.getHeader?.('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  list.push(cookie);
  res.setHeader?.('set-cookie', list);
}

/** Answers 302 to `url` and ends the response. */
export function sendRedirect(res: PlatformResponse, url: string): void {
  if (isFastifyReply(res)) {
    res.header?.('location', url);
    res.code?.(302);
    res.header?.('cache-control', 'no-store');
    res.send?.();
    return;
  }
  res.setHeader?.('location', url);
  res.setHeader?.('cache-control', 'no-store');
  if (typeof res.status === 'function') res.status(302);
  res.end?.();
}

/** Sets a header on either platform, before the response is sent. */
export function setResponseHeader(res: PlatformResponse, name: string, value: string): void {
  if (isFastifyReply(res)) res.header?.(name, value);
  else res.setHeader?.(name, value);
}
