import { afterEach, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

const client = {
  clientId: 'app-1',
  clientSecret: 'secret-1',
  authorizeUrl: 'https://provider.example/authorize',
  accessTokenUrl: 'https://provider.example/token',
  scope: ['read', 'write'],
};

describe.each(PLATFORMS)('login redirect on %s', (platform) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('answers 302 to the provider with state and PKCE, and the handler does not run', async () => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/p', client: 'p' }], oauth: { clients: { p: client } } });
    const browser = new Browser();
    const res = await browser.get(`${t.origin}/auth/p`);
    expect(res.status).toBe(302);
    const url = new URL(res.location!);
    expect(url.origin + url.pathname).toBe('https://provider.example/authorize');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe('app-1');
    expect(url.searchParams.get('redirect_uri')).toBe(`${t.origin}/auth/p`);
    expect(url.searchParams.get('scope')).toBe('read write');
    expect(url.searchParams.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // No openid scope: no nonce.
    expect(url.searchParams.has('nonce')).toBe(false);
    expect(res.text).not.toContain('"oauth"');
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^oauth_s_lax=/);
    expect(cookies[0]).toContain('HttpOnly');
    expect(cookies[0]).toContain('SameSite=Lax');
    expect(cookies[0]).toContain('Max-Age=600');
    expect(cookies[0]).not.toContain('Secure');
  });

  it('honours X-Forwarded-Proto/Host only when the app trusts the proxy', async () => {
    t = await startTestApp({ platform, trustProxy: true, routes: [{ path: '/auth/p', client: 'p' }], oauth: { clients: { p: client } } });
    const res = await new Browser().get(`${t.origin}/auth/p?x=1`, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example' });
    expect(new URL(res.location!).searchParams.get('redirect_uri')).toBe('https://app.example/auth/p');
    expect(res.headers.getSetCookie()[0]).toContain('Secure');
    await t.close();
    t = await startTestApp({ platform, routes: [{ path: '/auth/p', client: 'p' }], oauth: { clients: { p: client } } });
    const direct = await new Browser().get(`${t.origin}/auth/p`, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example' });
    expect(new URL(direct.location!).searchParams.get('redirect_uri')).toBe(`${t.origin}/auth/p`);
  });

  it('answers 500 invalid_config for an unknown client name', async () => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/nope', client: 'nope' }], oauth: { clients: { p: client } } });
    const res = await new Browser().get(`${t.origin}/auth/nope`);
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({
      statusCode: 500,
      error: 'invalid_config',
      // The name may come from the request: the configured clients are not listed to whoever asks.
      message: 'No OAuth client named "nope" (see OAUTH_CLIENTS).',
    });
  });
});
