import { describe, expect, it } from 'vitest';
import { CookieStateBackend, MAX_STATE_COOKIE_BYTES } from '../../../lib/login/cookie-state.backend.js';
import { FakeBrowser } from '../../support/fake-browser.js';

const secret = 's'.repeat(32);
const LAX = 'oauth_s_lax';

describe('cookie state', () => {
  it('round-trips once, then the state is used up (replay refused)', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    const lines = await b.save(backend, 'state-1', { c: 'op', v: 1, marker: 'plain-text-marker' });
    expect(lines[0]).toMatch(/^oauth_s_lax=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
    // The cookie is a JWE: the data is not readable.
    const cookie = b.cookies.get(LAX)!;
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

  it('keeps several logins in one cookie, takes them in any order, and bounds the cookie in bytes', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    for (let i = 0; i < 5; i++) await b.save(backend, `s${i}`, { i });
    expect([...b.cookies.keys()]).toEqual([LAX]);
    for (const i of [2, 4, 0, 3, 1]) expect(await b.take(backend, `s${i}`)).toEqual({ i });
    expect(b.cookies.size).toBe(0);
    for (let i = 0; i < 40; i++) {
      const [line] = await b.save(backend, `t${i}`, { i, returnTo: `/${'r'.repeat(1023)}` });
      expect(Buffer.byteLength(line!)).toBeLessThanOrEqual(MAX_STATE_COOKIE_BYTES);
    }
    // The newest survive, the oldest made room.
    expect(await b.take(backend, 't39')).toMatchObject({ i: 39 });
    expect(await b.take(backend, 't0')).toBeUndefined();
  });

  it('drops a droppable member, and only that, when one login alone would not fit', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    const x = b.exchange();
    await backend.save(x.req, x.res, 'big', { c: 'op', returnTo: `/${'€'.repeat(1000)}` }, 600, { droppable: ['returnTo'] });
    x.commit();
    expect(await b.take(backend, 'big')).toEqual({ c: 'op' });
    const y = b.exchange();
    await expect(backend.save(y.req, y.res, 'huge', { c: 'op', redirect_uri: `https://app.example/${'p'.repeat(5000)}` }, 600)).rejects.toMatchObject({
      code: 'invalid_request',
    });
  });

  it('refuses a state the cookie does not hold, a tampered cookie and an expired login', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    await b.save(backend, 'real', { ok: true });
    const value = b.cookies.get(LAX)!;
    expect(await b.take(backend, 'other')).toBeUndefined();
    b.cookies.set(LAX, value.slice(0, -3) + (value.endsWith('A') ? 'BBB' : 'AAA'));
    expect(await b.take(backend, 'real')).toBeUndefined();
    // An expired login kept by a thief (a browser would have dropped the cookie) is refused.
    const lines = await b.save(backend, 'old', { ok: true }, -1);
    const expired = decodeURIComponent(lines.at(-1)!.split(';')[0]!.split('=')[1]!);
    b.cookies.set(LAX, expired);
    expect(await b.take(backend, 'old')).toBeUndefined();
  });

  it('ignores a cookie name sent twice', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    await b.save(backend, 'mine', { ok: true });
    const x = b.exchange();
    x.req.headers.cookie = `${LAX}=${b.cookies.get(LAX)}; ${x.req.headers.cookie}`;
    expect(await backend.take(x.req, x.res, 'mine')).toBeUndefined();
  });

  it('on HTTPS writes and reads only the __Host- cookie', async () => {
    const backend = new CookieStateBackend([secret]);
    const b = new FakeBrowser();
    const x = b.exchange();
    await backend.save(x.req, x.res, 'k', { ok: 1 }, 600, { secure: true });
    const [line] = x.commit();
    expect(line).toMatch(/^__Host-oauth_s_lax=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
    // The same value under the bare name (as a sibling could plant it) is not read on HTTPS.
    const value = b.cookies.get(`__Host-${LAX}`)!;
    b.cookies.clear();
    b.cookies.set(LAX, value);
    const y = b.exchange();
    expect(await backend.take(y.req, y.res, 'k', { secure: true })).toBeUndefined();
    const z = b.exchange();
    expect(await backend.take(z.req, z.res, 'k', { secure: false })).toEqual({ ok: 1 });
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
