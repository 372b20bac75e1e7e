import type { LoginStateBackend } from '../../lib/login/login-state.backend.js';

/** What one request of a `FakeBrowser` looks like; every field optional. */
export interface FakeRequestInit {
  /** Path and query as Express's `originalUrl` (default none). */
  url?: string;
  method?: string;
  /** A parsed body, as a body parser leaves it on `req.body`. */
  body?: unknown;
  /** Host header (default none). */
  host?: string;
  /** `req.protocol` as the platform decided it (default `http`). */
  protocol?: string;
}

/** An Express-shaped request/response pair carrying one browser's cookies. */
export class FakeBrowser {
  cookies = new Map<string, string>();
  session: Record<string, unknown> = {};

  exchange(init: FakeRequestInit = {}) {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    if (init.host !== undefined) headers.host = init.host;
    const req = {
      headers,
      protocol: init.protocol ?? 'http',
      session: this.session,
      ...(init.url === undefined ? {} : { originalUrl: init.url }),
      ...(init.method === undefined ? {} : { method: init.method }),
      ...(init.body === undefined ? {} : { body: init.body }),
    };
    const set: string[] = [];
    const other = new Map<string, string>();
    let statusCode = 200;
    let ended = false;
    const res = {
      getHeader: (n: string) => (n === 'set-cookie' ? set : other.get(n)),
      setHeader: (n: string, v: string | string[]) => {
        if (n === 'set-cookie') set.splice(0, set.length, ...(Array.isArray(v) ? v : [v]));
        else other.set(n, String(v));
      },
      status: (code: number) => {
        statusCode = code;
        return res;
      },
      end: () => {
        ended = true;
      },
    };
    const commit = () => {
      for (const line of set) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = decodeURIComponent(pair!.slice(eq + 1));
        if (/Max-Age=0/.test(line)) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
      return set;
    };
    /** What was answered: status, headers other than Set-Cookie, and whether it ended. */
    const answer = () => ({ status: statusCode, headers: Object.fromEntries(other), ended });
    return { req, res, commit, answer };
  }

  async save(backend: LoginStateBackend, key: string, data: Record<string, unknown>, ttl = 600) {
    const x = this.exchange();
    await backend.save(x.req, x.res, key, data, ttl);
    return x.commit();
  }

  async take(backend: LoginStateBackend, key: string) {
    const x = this.exchange();
    const out = await backend.take(x.req, x.res, key);
    x.commit();
    return out;
  }
}
