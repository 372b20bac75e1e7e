import { describe, expect, it } from 'vitest';
import { BoundStoreBackend } from '../../../lib/login/bound-store.backend.js';
import { CookieStateBackend, cookieName } from '../../../lib/login/cookie-state.backend.js';
import { MemoryStateStore } from '../../../lib/state/memory-state.store.js';
import { SessionStateBackend } from '../../../lib/login/session-state.backend.js';
import { OAuthStateStore } from '../../../lib/index.js';
import type { LoginStateBackend } from '../../../lib/login/login-state.backend.js';

/** An Express-shaped request/response pair carrying one browser's cookies. */
class FakeBrowser {
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

const secret = 's'.repeat(32);

describe('cookie state', () => {
  it('round-trips once, then the state is used up (replay refused)', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    const lines = await b.save(backend, 'state-1', { c: 'op', v: 1, marker: 'plain-text-marker' });
    expect(lines[0]).toMatch(/^oauth_s_[\w-]{16}=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
    // The cookie is a JWE: the data is not readable.
    const cookie = b.cookies.get(cookieName('state-1'))!;
    expect(cookie.split('.')).toHaveLength(5);
    expect(Buffer.from(cookie.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('plain-text-marker');
    expect(cookie).not.toContain(Buffer.from('plain-text-marker').toString('base64url').slice(0, 12));
    const stolen = new Map(b.cookies);
    expect(await b.take(backend, 'state-1')).toEqual({ c: 'op', v: 1, marker: 'plain-text-marker' });
    expect(b.cookies.size).toBe(0);
    // Replaying the same cookie (kept by an attacker) is refused in this process.
    b.cookies = stolen;
    expect(await b.take(backend, 'state-1')).toBeUndefined();
  });

  it('keeps several logins apart and bounds their number', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    for (let i = 0; i < 5; i++) await b.save(backend, `s${i}`, { i });
    expect(b.cookies.size).toBe(5);
    for (let i = 4; i >= 0; i--) expect(await b.take(backend, `s${i}`)).toEqual({ i });
    for (let i = 0; i < 20; i++) await b.save(backend, `t${i}`, { i });
    expect(b.cookies.size).toBeLessThanOrEqual(6);
    const header = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    expect(header.length).toBeLessThan(4096);
    expect(await b.take(backend, 't19')).toEqual({ i: 19 });
  });

  it('refuses a cookie under another state name, a tampered cookie and an expired one', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    await b.save(backend, 'real', { ok: true });
    const value = b.cookies.get(cookieName('real'))!;
    b.cookies.set(cookieName('other'), value);
    expect(await b.take(backend, 'other')).toBeUndefined();
    b.cookies.set(cookieName('real'), value.slice(0, -3) + (value.endsWith('A') ? 'BBB' : 'AAA'));
    expect(await b.take(backend, 'real')).toBeUndefined();
    // An expired cookie kept by a thief (a browser would have dropped it) is refused.
    const lines = await b.save(backend, 'old', { ok: true }, -1);
    const expired = decodeURIComponent(lines.at(-1)!.split(';')[0]!.split('=')[1]!);
    b.cookies.set(cookieName('old'), expired);
    expect(await b.take(backend, 'old')).toBeUndefined();
  });

  it('decrypts with every secret of a rotated list, encrypts with the first', async () => {
    const oldKey = new CookieStateBackend(['o'.repeat(32)]);
    const rotated = new CookieStateBackend(['n'.repeat(32), 'o'.repeat(32)]);
    const newOnly = new CookieStateBackend(['n'.repeat(32)]);
    const b = new FakeBrowser();
    await b.save(oldKey, 'in-flight', { a: 1 });
    expect(await b.take(rotated, 'in-flight')).toEqual({ a: 1 });
    await b.save(rotated, 'fresh', { b: 2 });
    expect(await b.take(newOnly, 'fresh')).toEqual({ b: 2 });
    await b.save(oldKey, 'stale', { c: 3 });
    expect(await b.take(newOnly, 'stale')).toBeUndefined();
  });
});

describe('server-side state bound to the browser', () => {
  it('finds the state only in the browser that started the login', async () => {
    const store = new MemoryStateStore();
    const backend = new BoundStoreBackend(store);
    const alice = new FakeBrowser();
    const mallory = new FakeBrowser();
    await mallory.save(backend, 'mallory-state', { c: 'op' });
    await alice.save(backend, 'alice-state', { c: 'op' });
    expect(alice.cookies.get('oauth_bind')).toMatch(/^[\w-]{43}$/);
    // Mallory's state carried to Alice's browser: nothing, and Mallory's entry stays.
    expect(await alice.take(backend, 'mallory-state')).toBeUndefined();
    expect(await mallory.take(backend, 'mallory-state')).toEqual({ c: 'op' });
    expect(await alice.take(backend, 'alice-state')).toEqual({ c: 'op' });
    expect(await alice.take(backend, 'alice-state')).toBeUndefined();
    // No binding cookie at all: nothing.
    expect(await new FakeBrowser().take(backend, 'alice-state')).toBeUndefined();
  });

  it('answers state_store_unavailable for a failing or slow store', async () => {
    class Broken extends OAuthStateStore {
      async set(): Promise<void> {
        throw new Error('ECONNREFUSED');
      }
      async take(): Promise<object | undefined> {
        return new Promise(() => undefined);
      }
    }
    const backend = new BoundStoreBackend(new Broken(), 50);
    const b = new FakeBrowser();
    await expect(b.save(backend, 'k', {})).rejects.toMatchObject({ code: 'state_store_unavailable', message: 'The state store failed to save the login state.' });
    b.cookies.set('oauth_bind', 'x'.repeat(43));
    await expect(b.take(backend, 'k')).rejects.toMatchObject({
      code: 'state_store_unavailable',
      message: 'The state store did not read the login state within 50 ms.',
    });
  });

  it('memory store is bounded and expires entries', async () => {
    const store = new MemoryStateStore(100);
    for (let i = 0; i < 1000; i++) await store.set(`k${i}`, { i }, 600);
    expect(store.size).toBeLessThanOrEqual(100);
    expect(await store.take('k999')).toEqual({ i: 999 });
    expect(await store.take('k0')).toBeUndefined();
    await store.set('gone', {}, -1);
    expect(await store.take('gone')).toBeUndefined();
  });
});

describe('session state', () => {
  it('keeps pending logins in req.session, single use, bounded', async () => {
    const backend = new SessionStateBackend();
    const b = new FakeBrowser();
    await b.save(backend, 'a', { n: 1 });
    expect(await b.take(backend, 'a')).toEqual({ n: 1 });
    expect(await b.take(backend, 'a')).toBeUndefined();
    for (let i = 0; i < 30; i++) await b.save(backend, `k${i}`, { i });
    expect(Object.keys(b.session.oauthPendingLogins as object).length).toBeLessThanOrEqual(10);
    expect(await b.take(backend, '__proto__')).toBeUndefined();
  });

  it('works with get/set sessions (@fastify/secure-session)', async () => {
    const data = new Map<string, unknown>();
    const backend = new SessionStateBackend();
    const req = { headers: {}, session: { get: (k: string) => data.get(k), set: (k: string, v: unknown) => data.set(k, v) } };
    await backend.save(req, {}, 'k', { x: 1 }, 600);
    expect(await backend.take(req, {}, 'k')).toEqual({ x: 1 });
  });

  it('without a session middleware says what to install', async () => {
    const backend = new SessionStateBackend();
    await expect(backend.save({ headers: {} }, {}, 'k', {}, 600)).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('install express-session, @fastify/session or @fastify/secure-session'),
    });
  });
});

describe('the state cookie format', () => {
  it('is a standard compact JWE (dir, A256GCM) that jose decrypts with the derived key', async () => {
    const { compactDecrypt } = await import('jose');
    const { deriveStateKey, encryptState, decryptState } = await import('../../../lib/state/state-cipher.js');
    const key = deriveStateKey('s'.repeat(32));
    const jwe = encryptState('{"hello":"world"}', key);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, new Uint8Array(key));
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM' });
    expect(new TextDecoder().decode(plaintext)).toBe('{"hello":"world"}');
    expect(decryptState(jwe, key)).toBe('{"hello":"world"}');
    expect(decryptState(jwe, deriveStateKey('t'.repeat(32)))).toBeUndefined();
    // Every encryption uses a fresh IV.
    expect(encryptState('x', key).split('.')[2]).not.toBe(encryptState('x', key).split('.')[2]);
  });
});
