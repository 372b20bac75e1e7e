/**
 * API calls and the token lifecycle against a real provider (oidc-provider with
 * refresh-token rotation): transparent refresh, one refresh for many callers,
 * write-back, revocation, introspection, client credentials, JWT client auth.
 */
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, OAuthTokenUpdateError, type OAuth2Client, type OAuth2Token, type OAuthClientConfig, type TokenUpdateEvent } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startEchoServer, type EchoServer } from '../support/echo-server.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginThroughApp, startOidcProvider, type ClientMetadata, type OidcProviderHarness } from '../support/oidc-provider.js';

let op: OidcProviderHarness;
let echo: EchoServer;
let t: TestApp | undefined;
let seq = 0;

beforeAll(async () => {
  op = await startOidcProvider();
  echo = await startEchoServer();
});
afterAll(async () => {
  await op.close();
  await echo.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  expect(op.serverErrors).toEqual([]);
});

const tokenPosts = () => op.count(PROVIDER_PATHS.token, 'POST');
const expired = (token: OAuth2Token): OAuth2Token => ({ ...token, expires_at: Math.floor(Date.now() / 1000) - 5 });

interface Setup {
  client: OAuth2Client;
  registry: OAuthRegistry;
  token: OAuth2Token;
  events: TokenUpdateEvent[];
}

/** An app with one client `op`, logged in once through the guard. */
async function loggedIn(
  opts: { metadata?: Partial<ClientMetadata>; config?: Partial<OAuthClientConfig>; updateToken?: (e: TokenUpdateEvent) => unknown; fetchImpl?: typeof fetch } = {},
): Promise<Setup> {
  const clientId = `life-${++seq}`;
  const clientSecret = `secret-${seq}-0123456789abcdef0123456789abcdef`;
  t = await startTestApp({
    platform: 'express',
    routes: [{ path: '/auth/op', client: 'op' }],
    oauth: {
      clients: {
        op: {
          clientId,
          clientSecret,
          serverMetadataUrl: op.discoveryUrl,
          scope: 'openid offline_access profile email',
          // oidc-provider drops offline_access without a consent prompt.
          authorizeParams: { prompt: 'consent' },
          apiBaseUrl: `${op.issuer}/`,
          ...opts.config,
        },
      },
      ...(opts.updateToken ? { updateToken: opts.updateToken } : {}),
      ...(opts.fetchImpl ? { fetch: opts.fetchImpl } : {}),
    },
  });
  await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${t.origin}/auth/op`], ...opts.metadata });
  const res = await loginThroughApp(new Browser(), `${t.origin}/auth/op`);
  expect(res.status, res.text).toBe(200);
  const token = res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;
  expect(typeof token.refresh_token).toBe('string');
  const registry = t.app.get(OAuthRegistry);
  const events: TokenUpdateEvent[] = [];
  registry.tokenUpdate$.subscribe((e) => events.push(e));
  return { client: registry.get('op') as OAuth2Client, registry, token, events };
}

describe('refresh during API calls', () => {
  it('an expired access token is refreshed transparently before the call', async () => {
    const { client, token, events } = await loggedIn();
    const before = tokenPosts();
    const res = await client.get('me', { token: expired(token) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: 'alice' });
    expect(tokenPosts() - before).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'op', refreshToken: token.refresh_token, accessToken: token.access_token });
    expect(events[0]!.token.access_token).not.toBe(token.access_token);
    expect(events[0]!.token.refresh_token).not.toBe(token.refresh_token);
    expect(events[0]!.token.expires_at).toBeGreaterThan(Date.now() / 1000);
    // The refreshed ID token kept iss/sub/aud; the claims stay on the token.
    expect(events[0]!.token.userinfo?.sub).toBe('alice');
  });

  it('a token far from expiry is used as is, and one without expires_at too', async () => {
    const { client, token, events } = await loggedIn();
    const before = tokenPosts();
    expect((await client.get('me', { token })).status).toBe(200);
    const { expires_at: _e, ...noExpiry } = token;
    expect((await client.get('me', { token: noExpiry as OAuth2Token })).status).toBe(200);
    expect(tokenPosts()).toBe(before);
    expect(events).toHaveLength(0);
  });

  it('50 concurrent calls with one expired token make exactly one refresh; the new refresh token works, the old is dead', async () => {
    let meDuringUpdate = -1;
    let updates = 0;
    const { client, token, events } = await loggedIn({
      updateToken: async () => {
        updates++;
        const at = op.count(PROVIDER_PATHS.userinfo);
        await new Promise((r) => setTimeout(r, 50));
        // Nothing used the new token while it was being stored.
        meDuringUpdate = op.count(PROVIDER_PATHS.userinfo) - at;
      },
    });
    const stale = expired(token);
    const before = tokenPosts();
    const results = await Promise.all(Array.from({ length: 50 }, () => client.get('me', { token: stale })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(tokenPosts() - before).toBe(1);
    expect(updates).toBe(1);
    expect(meDuringUpdate).toBe(0);
    expect(events).toHaveLength(1);
    const fresh = events[0]!.token;

    // Late callers still holding the old token get the same new one: no second refresh.
    expect((await client.get('me', { token: stale })).status).toBe(200);
    expect(tokenPosts() - before).toBe(1);

    // The rotated refresh token works...
    const again = await client.refreshToken(fresh);
    expect(again.refresh_token).not.toBe(fresh.refresh_token);
    expect(events).toHaveLength(2);
    // ...and the provider refuses the old one (so we must never send it twice).
    const raw = await fetch(`${op.issuer}${PROVIDER_PATHS.token}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${client.config.clientId}:${client.config.clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token! }),
    });
    expect(await raw.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a refresh response without refresh_token keeps the old one', async () => {
    const noRotation = await startOidcProvider({ rotateRefreshToken: false });
    const original = op;
    op = noRotation;
    try {
      const { client, token } = await loggedIn();
      const fresh = await client.refreshToken(token);
      expect(fresh.access_token).not.toBe(token.access_token);
      expect(fresh.refresh_token).toBe(token.refresh_token);
    } finally {
      op = original;
      await t?.close();
      t = undefined;
      await noRotation.close();
    }
  });

  it('updateToken that throws fails the call with token_update_failed, keeping the new token off the logs', async () => {
    const { client, token } = await loggedIn({
      updateToken: () => {
        throw new Error('database down');
      },
    });
    const err = await client.get('me', { token: expired(token) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthTokenUpdateError);
    const e = err as OAuthTokenUpdateError;
    expect(e.code).toBe('token_update_failed');
    expect((e.token as OAuth2Token).access_token).toMatch(/\S+/);
    expect((e.token as OAuth2Token).access_token).not.toBe(token.access_token);
    expect(Object.keys(e)).not.toContain('token');
    expect(JSON.stringify(e)).not.toContain((e.token as OAuth2Token).access_token);
    expect(e.message).not.toContain((e.token as OAuth2Token).access_token);
  });
});

describe('API call rules', () => {
  it('an expired token without refresh_token is token_expired; no token is missing_token; nothing is sent', async () => {
    const { client, token } = await loggedIn();
    const { refresh_token: _r, ...noRefresh } = expired(token);
    const before = op.requests.length;
    await expect(client.get('me', { token: noRefresh as OAuth2Token })).rejects.toMatchObject({ code: 'token_expired' });
    await expect(client.get('me')).rejects.toMatchObject({
      code: 'missing_token',
      message: 'No token for OAuth client "op": pass { token } or configure fetchToken; nothing was sent.',
    });
    expect(op.requests.length).toBe(before);
  });

  it('fetchToken receives exactly the req given; withholdToken sends no credentials; the bearer goes in the header only', async () => {
    const seen: unknown[] = [];
    const { client, token } = await loggedIn({
      config: {
        apiBaseUrl: `${echo.origin}/api/`,
        fetchToken: async (name, req) => {
          seen.push([name, req]);
          return token;
        },
      },
    });
    const req = { user: 'alice', marker: Symbol('req') };
    const res = await client.get('items', { req, query: { a: '1' } });
    expect(await res.json()).toEqual({ method: 'GET', url: '/api/items?a=1', authorization: `Bearer ${token.access_token}` });
    expect(seen).toEqual([['op', req]]);
    expect(seen[0]).toBeDefined();
    expect((seen[0] as unknown[])[1]).toBe(req);
    const anonymous = await client.get('public', { withholdToken: true });
    expect(await anonymous.json()).toMatchObject({ authorization: null });
    expect(echo.received.every((r) => !r.url.includes('access_token'))).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('a hanging API answers timeout; the injected fetch is the one used', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const { client, token } = await loggedIn({ config: { apiBaseUrl: `${echo.origin}/`, timeout: 300 }, fetchImpl: counting });
    const loginCalls = calls;
    expect(loginCalls).toBeGreaterThanOrEqual(3); // discovery, token, JWKS all went through it
    echo.hang.add('/slow');
    const started = Date.now();
    await expect(client.get('slow', { token })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toBe(loginCalls + 1);
  });
});

describe('token management', () => {
  it('revocation makes the token inactive by introspection', async () => {
    const { client, token } = await loggedIn();
    await expect(client.introspectToken(token)).resolves.toMatchObject({ active: true, sub: 'alice' });
    await client.revokeToken(token, 'access_token');
    await expect(client.introspectToken(token)).resolves.toMatchObject({ active: false });
    await client.revokeToken(token.refresh_token!, 'refresh_token');
    await expect(client.introspectToken(token, 'refresh_token')).resolves.toMatchObject({ active: false });
  });

  it('client credentials: a token for the client; an expired one is re-fetched once for concurrent calls and announced', async () => {
    const clientId = `cc-${++seq}`;
    const clientSecret = 'cc-secret-0123456789abcdef0123456789abcdef';
    await op.addClient({ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
    t = await startTestApp({
      platform: 'express',
      routes: [],
      oauth: { clients: { svc: { clientId, clientSecret, accessTokenUrl: `${op.issuer}${PROVIDER_PATHS.token}`, apiBaseUrl: `${echo.origin}/` } } },
    });
    const registry = t.app.get(OAuthRegistry);
    const events: TokenUpdateEvent[] = [];
    registry.tokenUpdate$.subscribe((e) => events.push(e));
    const client = registry.get('svc') as OAuth2Client;
    const token = await client.fetchClientCredentialsToken();
    expect(token.token_type.toLowerCase()).toBe('bearer');
    const before = tokenPosts();
    const results = await Promise.all(Array.from({ length: 20 }, () => client.get('x', { token: expired(token) })));
    const auths = new Set(await Promise.all(results.map(async (r) => (await r.json() as { authorization: string }).authorization)));
    expect(auths.size).toBe(1);
    expect([...auths][0]).not.toBe(`Bearer ${token.access_token}`);
    expect(tokenPosts() - before).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'svc', accessToken: token.access_token });
  });

  it.each(['client_secret_jwt', 'private_key_jwt'] as const)('%s is accepted by the provider for login and refresh', async (method) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: `k-${seq}`, alg: 'RS256', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid: publicJwk.kid, alg: 'RS256' };
    const { client, token } = await loggedIn({
      metadata:
        method === 'private_key_jwt'
          ? { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: { keys: [publicJwk] } }
          : { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' },
      config: method === 'private_key_jwt' ? { tokenEndpointAuthMethod: method, clientKey: privateJwk } : { tokenEndpointAuthMethod: method },
    });
    const last = op.requests.filter((r) => r.path === PROVIDER_PATHS.token).at(-1)!;
    expect(last.headers.authorization).toBeUndefined();
    const fresh = await client.refreshToken(token);
    expect(fresh.access_token).not.toBe(token.access_token);
  });
});
