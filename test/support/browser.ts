/**
 * A minimal browser for end-to-end tests: one cookie jar per host:port, redirects
 * followed by hand so each hop can be inspected.
 */
export interface BrowserResponse {
  status: number;
  url: string;
  location?: string;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

interface StoredCookie {
  value: string;
  expires?: number;
}

export class Browser {
  private readonly jars = new Map<string, Map<string, StoredCookie>>();

  /** Cookies this browser holds for `url`'s host, as name -> value. */
  cookies(url: string): Record<string, string> {
    const jar = this.jar(url);
    const out: Record<string, string> = {};
    const now = Date.now();
    for (const [name, c] of jar) {
      if (c.expires !== undefined && c.expires <= now) continue;
      out[name] = c.value;
    }
    return out;
  }

  setCookie(url: string, name: string, value: string): void {
    this.jar(url).set(name, { value });
  }

  clearCookies(url?: string): void {
    if (url === undefined) this.jars.clear();
    else this.jar(url).clear();
  }

  /** Copy every cookie of this browser into another (a stolen cookie jar). */
  copyTo(other: Browser): void {
    for (const [host, jar] of this.jars) other.jars.set(host, new Map(jar));
  }

  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams } = {},
  ): Promise<BrowserResponse> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const cookieHeader = Object.entries(this.cookies(url))
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    if (cookieHeader) headers.cookie = cookieHeader;
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else {
      body = init.body;
    }
    const res = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(url, line);
    const text = await res.text();
    const location = res.headers.get('location') ?? undefined;
    return {
      status: res.status,
      url,
      location: location === undefined ? undefined : new URL(location, url).toString(),
      headers: res.headers,
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }

  get(url: string, headers?: Record<string, string>): Promise<BrowserResponse> {
    return this.request(url, { headers });
  }

  /** Follow redirects until a non-3xx answer or until `stop(url)` says so. */
  async follow(
    url: string,
    opts: { stop?: (url: string) => boolean; max?: number } = {},
  ): Promise<BrowserResponse> {
    let res = await this.get(url);
    for (let i = 0; i < (opts.max ?? 20); i++) {
      if (res.status < 300 || res.status >= 400 || !res.location) return res;
      if (opts.stop?.(res.location)) return res;
      res = await this.get(res.location);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private jar(url: string): Map<string, StoredCookie> {
    const host = new URL(url).host;
    let jar = this.jars.get(host);
    if (!jar) {
      jar = new Map();
      this.jars.set(host, jar);
    }
    return jar;
  }

  private store(url: string, line: string): void {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let expires: number | undefined;
    for (const attr of attrs) {
      const [k, v] = attr.trim().split('=');
      if (k.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
      else if (k.toLowerCase() === 'expires' && expires === undefined) expires = Date.parse(v);
    }
    const jar = this.jar(url);
    if (expires !== undefined && expires <= Date.now()) jar.delete(name);
    else jar.set(name, { value, expires });
  }
}
