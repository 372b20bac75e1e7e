import type { LoginStateBackend } from '../../lib/login/login-state.backend.js';

/** An Express-shaped request/response pair carrying one browser's cookies. */
export class FakeBrowser {
  cookies = new Map<string, string>();
  session: Record<string, unknown> = {};

  exchange() {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    const req = { headers, protocol: 'http', session: this.session };
    const set: string[] = [];
    const res = {
      getHeader: (n: string) => (n === 'set-cookie' ? set : undefined),
      setHeader: (n: string, v: string[]) => {
        if (n === 'set-cookie') set.splice(0, set.length, ...v);
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
    return { req, res, commit };
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
