import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuth1Client, OAuthRegistry, type OAuth1Token, type OAuthClientConfig } from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';

let server: OAuth1Server;
let t: TestApp | undefined;

beforeAll(async () => {
  server = await startOAuth1Server();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function endpoints(): Pick<OAuthClientConfig, 'requestTokenUrl' | 'authorizeUrl' | 'accessTokenUrl' | 'apiBaseUrl'> {
  return {
    requestTokenUrl: `${server.origin}/initiate`,
    authorizeUrl: `${server.origin}/authorize`,
    accessTokenUrl: `${server.origin}/token`,
    apiBaseUrl: `${server.origin}/api/`,
  };
}

async function tokenRequests(): Promise<number> {
  return (await server.log()).filter((r) => r.path === '/token').length;
}

/** Walks login -> Authlib's authorize -> back to the app; returns the callback URL. */
async function loginToCallback(browser: Browser, loginUrl: string): Promise<string> {
  const login = await browser.get(loginUrl);
  expect(login.status).toBe(302);
  expect(login.location!.startsWith(`${server.origin}/authorize?oauth_token=`)).toBe(true);
  const authorize = await browser.get(login.location!);
  expect(authorize.status).toBe(302);
  return authorize.location!;
}

const variants = [
  { name: 'HMAC-SHA1 in the header', method: 'HMAC-SHA1', type: 'header' },
  { name: 'HMAC-SHA256 in the query', method: 'HMAC-SHA256', type: 'query' },
  { name: 'PLAINTEXT in the body', method: 'PLAINTEXT', type: 'body' },
  { name: 'RSA-SHA1 in the header', method: 'RSA-SHA1', type: 'header' },
] as const;

function clientFor(v: (typeof variants)[number]): OAuthClientConfig {
  const creds =
    v.method === 'RSA-SHA1'
      ? { clientId: server.clients.rsa.clientId, rsaKey: server.clients.rsa.rsaKey }
      : v.method === 'PLAINTEXT'
        ? server.clients.plaintext
        : server.clients.hmac;
  return { ...creds, ...endpoints(), signatureMethod: v.method, signatureType: v.type };
}

describe.each(PLATFORMS)('OAuth 1.0a login against Authlib on %s', (platform: Platform) => {
  it.each(variants)('logs in and calls the API signed with $name', async (v) => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/x', client: 'x' }], oauth: { clients: { x: clientFor(v) } } });
    const browser = new Browser();
    const before = await tokenRequests();
    const callback = await loginToCallback(browser, `${t.origin}/auth/x`);
    expect(new URL(callback).searchParams.has('oauth_verifier')).toBe(true);
    const res = await browser.get(callback);
    expect(res.status).toBe(200);
    const { oauth } = res.json<{ oauth: { client: string; token: OAuth1Token } }>();
    expect(oauth.client).toBe('x');
    expect(oauth.token.oauth_token).toMatch(/^\w{20,}$/);
    expect(oauth.token.oauth_token_secret).toMatch(/^\w{20,}$/);
    expect(oauth.token.user_id).toBe('alice');
    expect(oauth.token.screen_name).toBe('alice');
    expect((await tokenRequests()) - before).toBe(1);

    const client = t.app.get(OAuthRegistry).get('x') as OAuth1Client;
    expect(client.kind).toBe('oauth1');
    const get = await client.get('me', { token: oauth.token, query: { q: 'a b+c', list: ['1', '2'] } });
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ user_id: 'alice', method: 'GET', query: { q: ['a b+c'], list: ['1', '2'] } });
    const post = await client.post('me', { token: oauth.token, form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!', empty: '' } });
    expect(post.status).toBe(200);
    expect(await post.json()).toMatchObject({ method: 'POST', form: { status: ['Hello Ladies + Gentlemen, a signed OAuth request!'], empty: [''] } });
    const json = await client.put('me', { token: oauth.token, json: { a: 1 } });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ method: 'PUT', json: { a: 1 } });
    // A forged token credential is refused by the provider (RSA-SHA1 does not use the secret).
    const forged = await client.get('me', { token: { ...oauth.token, oauth_token: 'forged-token' } });
    expect(forged.status).toBe(401);
    if (v.method !== 'RSA-SHA1') {
      const wrongSecret = await client.get('me', { token: { ...oauth.token, oauth_token_secret: 'wrong' } });
      expect(wrongSecret.status).toBe(401);
    }
  });

  it('replaying a callback is mismatching_state and sends nothing to the provider', async () => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/x', client: 'x' }], oauth: { clients: { x: clientFor(variants[0]) } } });
    const browser = new Browser();
    const callback = await loginToCallback(browser, `${t.origin}/auth/x`);
    expect((await browser.get(callback)).status).toBe(200);
    const before = await tokenRequests();
    const replay = await browser.get(callback);
    expect(replay.status).toBe(401);
    expect(replay.json()).toMatchObject({ statusCode: 401, error: 'mismatching_state' });
    expect(await tokenRequests()).toBe(before);
  });

  it("a callback carried to another browser is mismatching_state, and the real one still completes", async () => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/x', client: 'x' }], oauth: { clients: { x: clientFor(variants[0]) } } });
    const victim = new Browser();
    const attacker = new Browser();
    const callback = await loginToCallback(attacker, `${t.origin}/auth/x`);
    await victim.get(`${t.origin}/auth/x`);
    const before = await tokenRequests();
    const carried = await victim.get(callback);
    expect(carried.status).toBe(401);
    expect(carried.json<{ error: string }>().error).toBe('mismatching_state');
    expect(await tokenRequests()).toBe(before);
    expect((await attacker.get(callback)).status).toBe(200);
  });

  it('a callback without oauth_verifier is missing_verifier; nothing is sent', async () => {
    t = await startTestApp({ platform, routes: [{ path: '/auth/x', client: 'x' }], oauth: { clients: { x: clientFor(variants[0]) } } });
    const browser = new Browser();
    const callback = new URL(await loginToCallback(browser, `${t.origin}/auth/x`));
    callback.searchParams.delete('oauth_verifier');
    const before = await tokenRequests();
    const res: BrowserResponse = await browser.get(callback.toString());
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({
      statusCode: 401,
      error: 'missing_verifier',
      message: 'The callback has no single "oauth_verifier"; the provider did not authorize the request token.',
    });
    expect(await tokenRequests()).toBe(before);
  });

  it("Authlib's own denial (error=access_denied, no oauth_token) is access_denied, not a new login", async () => {
    t = await startTestApp({
      platform,
      routes: [{ path: '/auth/x', client: 'x' }],
      oauth: { clients: { x: { ...clientFor(variants[0]), authorizeParams: { deny: 'authlib' } } } },
    });
    const browser = new Browser();
    const callback = await loginToCallback(browser, `${t.origin}/auth/x`);
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    expect(new URL(callback).searchParams.has('oauth_token')).toBe(false);
    const res = await browser.get(callback);
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'access_denied' });
  });

  it('a user who denies gets access_denied', async () => {
    t = await startTestApp({
      platform,
      routes: [{ path: '/auth/x', client: 'x' }],
      oauth: { clients: { x: { ...clientFor(variants[0]), authorizeParams: { deny: '1' } } } },
    });
    const browser = new Browser();
    const callback = await loginToCallback(browser, `${t.origin}/auth/x`);
    expect(new URL(callback).searchParams.has('denied')).toBe(true);
    const res = await browser.get(callback);
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'access_denied' });
  });
});

describe('OAuth 1.0a provider misbehaviour', () => {
  let fake: Server;
  let origin: string;
  let answer: { status: number; body: string } = { status: 200, body: '' };
  beforeAll(async () => {
    fake = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/x-www-form-urlencoded' });
      res.end(answer.body);
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => fake.close(r));
  });

  it.each([
    ['no oauth_callback_confirmed', 200, 'oauth_token=t&oauth_token_secret=s', 502, 'invalid_response'],
    ['oauth_callback_confirmed=false', 200, 'oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=false', 502, 'invalid_response'],
    ['no token at all', 200, 'garbage', 502, 'invalid_response'],
    ['a 401 refusal', 401, 'oauth_problem=signature_invalid', 401, 'signature_invalid'],
    ["a 401 refusal in Authlib's words", 401, 'error=invalid_signature&error_description=x', 401, 'invalid_signature'],
    ['a 500', 500, '<html>oops</html>', 502, 'provider_unavailable'],
  ])('stops the login before any redirect on %s', async (_what, status, body, expectedStatus, code) => {
    answer = { status, body };
    t = await startTestApp({
      platform: 'express',
      routes: [{ path: '/auth/x', client: 'x' }],
      oauth: {
        clients: {
          x: { clientId: 'k', clientSecret: 's', requestTokenUrl: `${origin}/initiate`, authorizeUrl: `${origin}/authorize`, accessTokenUrl: `${origin}/token` },
        },
      },
    });
    const res = await new Browser().get(`${t.origin}/auth/x`);
    expect(res.status).toBe(expectedStatus);
    expect(res.location).toBeUndefined();
    expect(res.json()).toMatchObject({ statusCode: expectedStatus, error: code });
    expect(res.text).not.toContain('oauth_token_secret=s');
  });
});
