import { describe, expect, it } from 'vitest';
import { CookieStateBackend, cookieName } from '../../../lib/login/cookie-state.backend.js';
import { FakeBrowser } from '../../support/fake-browser.js';

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
