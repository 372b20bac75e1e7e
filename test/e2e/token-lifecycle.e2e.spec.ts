/**
 * The token lifecycle against a real provider (oidc-provider, refresh-token rotation
 * on): transparent refresh during API calls, one refresh for many callers, write-back
 * before use, rotation, a refresh answer without refresh_token, updateToken failing,
 * revocation, introspection, client credentials, JWT client authentication.
 *
 * Refreshes are counted three ways: token-endpoint POSTs the provider received, the
 * `refresh_token` grants the provider itself reports (`grant.success`), and the
 * `grant_type=refresh_token` bodies that went out through the injected fetch.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuthRegistry,
  OAuthTokenUpdateError,
  type OAuth2Client,
  type OAuth2Token,
  type OAuthClientConfig,
  type TokenUpdateEvent,
} from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginThroughApp, startOidcProvider, type ClientMetadata, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

// Clients whose id starts with `keep-` or `short-` get a provider that does not rotate
// their refresh token (`short-` ones also get 2-second access tokens). Those clients
// refresh at `keepUrl`: a second listener of the same provider instance (same storage,
// keys and grants) whose middleware chain leaves the unchanged refresh_token out of
// refresh answers, as RFC 6749 section 6 allows and Google does. (oidc-provider always
// echoes it otherwise; a post-middleware is its documented extension point, and the
// harness composed its own listener before this test could add one.)
const keepsRefreshToken = (clientId: string | undefined) => !!clientId && /^(keep|short)-/.test(clientId);

interface KoaContext {
  path: string;
  body: unknown;
  oidc?: { client?: { clientId: string }; params?: Record<string, unknown> };
}
interface GrantEvent {
  grantType: string;
  clientId: string;
}

let op: OidcProviderHarness;
let rs: ResourceServer;
let t: TestApp | undefined;
let seq = 0;
let keepListener: Server;
let keepUrl: string;
const grants: GrantEvent[] = [];
const grantErrors: Array<GrantEvent & { error: string }> = [];

beforeAll(async () => {
  op = await startOidcProvider({
    configuration: {
      rotateRefreshToken: (ctx: KoaContext) => !keepsRefreshToken(ctx.oidc?.client?.clientId),
      ttl: {
        AccessToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) => (client.clientId.startsWith('short-') ? 2 : 3600),
        AuthorizationCode: 60,
        ClientCredentials: 600,
        IdToken: 3600,
        RefreshToken: 86400,
        Interaction: 600,
        Session: 3600,
        Grant: 86400,
      },
    },
  });
  // A provider-side Koa middleware (oidc-provider's documented extension point).
  const koa = op.provider as unknown as { use(mw: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void };
  koa.use(async (ctx, next) => {
    await next();
    if (
      ctx.path === PROVIDER_PATHS.token &&
      ctx.oidc?.params?.grant_type === 'refresh_token' &&
      keepsRefreshToken(ctx.oidc.client?.clientId) &&
      typeof ctx.body === 'object' &&
      ctx.body !== null
    ) {
      delete (ctx.body as Record<string, unknown>).refresh_token;
    }
  });
  keepListener = createServer(op.provider.callback());
  await new Promise<void>((resolve) => keepListener.listen(0, '127.0.0.1', resolve));
  keepUrl = `http://127.0.0.1:${(keepListener.address() as AddressInfo).port}${PROVIDER_PATHS.token}`;
  const ctxInfo = (ctx: unknown): GrantEvent => {
    const oidc = (ctx as KoaContext).oidc;
    return { grantType: String(oidc?.params?.grant_type), clientId: String(oidc?.client?.clientId) };
  };
  op.provider.on('grant.success', (ctx) => grants.push(ctxInfo(ctx)));
  op.provider.on('grant.error', (ctx, err) => grantErrors.push({ ...ctxInfo(ctx), error: (err as { error?: string }).error ?? String(err) }));

  const rsId = 'resource-server';
  const rsSecret = 'rs-secret-0123456789abcdef0123456789abcdef';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startResourceServer({ introspectionUrl: `${op.issuer}${PROVIDER_PATHS.introspection}`, clientId: rsId, clientSecret: rsSecret });
});
afterAll(async () => {
  keepListener?.closeAllConnections();
  await new Promise<void>((resolve) => (keepListener ? keepListener.close(() => resolve()) : resolve()));
  await rs?.close();
  await op?.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  expect(op.serverErrors).toEqual([]);
});

/** One request that went out through the injected fetch. */
interface WireCall {
  url: URL;
  method: string;
  headers: Headers;
  body?: string;
  /** The parsed JSON answer, for token-endpoint POSTs. */
  response?: Record<string, unknown>;
}

function recordingFetch(log: WireCall[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const call: WireCall = {
      url,
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    };
    log.push(call);
    const res = await fetch(input, init);
    if (url.pathname === PROVIDER_PATHS.token) {
      call.response = (await res.clone().json()) as Record<string, unknown>;
    }
    return res;
  };
}

const formOf = (call: WireCall) => new URLSearchParams(call.body ?? '');
const tokenPosts = (wire: WireCall[], grantType: string) =>
  wire.filter((c) => c.url.pathname === PROVIDER_PATHS.token && c.method === 'POST' && formOf(c).get('grant_type') === grantType);
const grantsOf = (clientId: string, grantType: string) => grants.filter((g) => g.clientId === clientId && g.grantType === grantType).length;
const nowS = () => Math.floor(Date.now() / 1000);
const expired = (token: OAuth2Token): OAuth2Token => ({ ...token, expires_at: nowS() - 5 });
const bearerOf = (headers: Record<string, string>) => headers.authorization;

interface Setup {
  client: OAuth2Client;
  registry: OAuthRegistry;
  token: OAuth2Token;
  events: TokenUpdateEvent[];
  wire: WireCall[];
  clientId: string;
  clientSecret: string;
  config: OAuthClientConfig;
}

/** An app with one client `op`, logged in once through the guard (express). */
async function loggedIn(
  opts: {
    prefix?: string;
    metadata?: Partial<ClientMetadata>;
    config?: Partial<OAuthClientConfig>;
    updateToken?: (e: TokenUpdateEvent) => unknown;
  } = {},
): Promise<Setup> {
  const clientId = `${opts.prefix ?? 'life'}-${++seq}`;
  const clientSecret = `secret-${seq}-0123456789abcdef0123456789abcdef`;
  const wire: WireCall[] = [];
  const config: OAuthClientConfig = {
    clientId,
    clientSecret,
    serverMetadataUrl: op.discoveryUrl,
    scope: 'openid offline_access profile email',
    // oidc-provider drops offline_access without a consent prompt.
    authorizeParams: { prompt: 'consent' },
    apiBaseUrl: op.issuer,
    ...opts.config,
  };
  t = await startTestApp({
    platform: 'express',
    routes: [{ path: '/auth/op', client: 'op' }],
    oauth: {
      clients: { op: config },
      fetch: recordingFetch(wire),
      ...(opts.updateToken ? { updateToken: opts.updateToken } : {}),
    },
  });
  await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${t.origin}/auth/op`], ...opts.metadata });
  const res = await loginThroughApp(new Browser(), `${t.origin}/auth/op`);
  expect(res.status, res.text).toBe(200);
  const token = res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;
  expect(typeof token.refresh_token).toBe('string');
  expect(typeof token.expires_at).toBe('number');
  const registry = t.app.get(OAuthRegistry);
  const events: TokenUpdateEvent[] = [];
  registry.tokenUpdate$.subscribe((e) => events.push(e));
  return { client: registry.get('op') as OAuth2Client, registry, token, events, wire, clientId, clientSecret, config };
}

/** The provider's answer to a refresh with `refreshToken`, sent by hand (Basic auth). */
async function rawRefresh(s: Setup, refreshToken: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${op.issuer}${PROVIDER_PATHS.token}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${s.clientId}:${s.clientSecret}`).toString('base64'),
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return (await res.json()) as Record<string, unknown>;
}

describe('refresh during API calls', () => {
  it('an expired access token is refreshed before the call: userinfo by absolute URL, by apiBaseUrl, and a resource server that introspects', async () => {
    const s = await loggedIn();
    const { client, events, wire, clientId } = s;
    let current = s.token;

    // 1. The provider's userinfo by absolute URL.
    const meBefore = op.count(PROVIDER_PATHS.userinfo);
    const res1 = await client.get(`${op.issuer}${PROVIDER_PATHS.userinfo}`, { token: expired(current) });
    expect(res1.status).toBe(200);
    expect(await res1.json()).toMatchObject({ sub: 'alice', email: 'alice@example.com' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ name: 'op', refreshToken: current.refresh_token, accessToken: current.access_token });
    const second = events[0]!.token;
    expect(second.access_token).not.toBe(current.access_token);
    expect(second.refresh_token).not.toBe(current.refresh_token); // rotation is on
    expect(second.expires_at).toBeGreaterThan(nowS() + 3000);
    expect(second.userinfo?.sub).toBe('alice'); // the refreshed ID token kept iss/sub/aud
    const me = op.requests.filter((r) => r.path === PROVIDER_PATHS.userinfo).slice(meBefore);
    expect(me.map((r) => bearerOf(r.headers))).toEqual([`Bearer ${second.access_token}`]);
    current = second;

    // 2. The same endpoint as a path under apiBaseUrl (= the issuer).
    const res2 = await client.get('me', { token: expired(current) });
    expect(res2.status).toBe(200);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ refreshToken: current.refresh_token, accessToken: current.access_token });
    current = events[1]!.token;

    // 3. A resource server that asks the provider about the bearer it got.
    const res3 = await client.get(`${rs.origin}/api/profile`, { token: expired(current) });
    expect(res3.status).toBe(200);
    expect(events).toHaveLength(3);
    const third = events[2]!.token;
    expect(await res3.json()).toMatchObject<Partial<ResourceAnswer>>({
      active: true,
      sub: 'alice',
      client_id: clientId,
      authorization: `Bearer ${third.access_token}`,
    });

    // Exactly three refreshes, each with the refresh token of the step before.
    expect(grantsOf(clientId, 'refresh_token')).toBe(3);
    expect(tokenPosts(wire, 'refresh_token').map((c) => formOf(c).get('refresh_token'))).toEqual([
      s.token.refresh_token,
      second.refresh_token,
      current.refresh_token,
    ]);
  });

  it('refreshes a token inside refreshLeeway (60 s); a fresh one and one without expires_at are used as they are', async () => {
    const { client, token, events, clientId } = await loggedIn();
    const res = await client.get('me', { token: { ...token, expires_at: nowS() + 30 } });
    expect(res.status).toBe(200);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);
    expect(events).toHaveLength(1);
    const fresh = events[0]!.token;
    expect((await client.get('me', { token: fresh })).status).toBe(200);
    const { expires_at: _e, expires_in: _i, ...noExpiry } = fresh;
    expect((await client.get('me', { token: noExpiry as OAuth2Token })).status).toBe(200);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);
    expect(events).toHaveLength(1);
  });

  it('50 concurrent calls with one expired token: one refresh, all succeed with the new token, updateToken awaited first, one event; the new refresh token works and the old is refused', async () => {
    const order: string[] = [];
    const updates: TokenUpdateEvent[] = [];
    let meDuringUpdate = -1;
    const s = await loggedIn({
      updateToken: async (e) => {
        order.push('updateToken:start');
        updates.push(e);
        const at = op.count(PROVIDER_PATHS.userinfo);
        await new Promise((r) => setTimeout(r, 60));
        meDuringUpdate = op.count(PROVIDER_PATHS.userinfo) - at;
        order.push('updateToken:end');
      },
    });
    const { client, token, events, wire, clientId } = s;
    s.registry.tokenUpdate$.subscribe(() => order.push('tokenUpdate$'));

    // The token object the application holds, its access token now expired.
    token.expires_at = nowS() - 10;
    const tokenPostsBefore = op.count(PROVIDER_PATHS.token, 'POST');
    const meBefore = op.count(PROVIDER_PATHS.userinfo);
    const results = await Promise.all(Array.from({ length: 50 }, () => client.get('me', { token })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const bodies = await Promise.all(results.map((r) => r.json() as Promise<{ sub: string }>));
    expect(bodies.every((b) => b.sub === 'alice')).toBe(true);

    // One refresh, by every count.
    expect(op.count(PROVIDER_PATHS.token, 'POST') - tokenPostsBefore).toBe(1);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);
    expect(tokenPosts(wire, 'refresh_token').map((c) => formOf(c).get('refresh_token'))).toEqual([token.refresh_token]);

    // One announcement, exactly { name, token, refreshToken: old, accessToken: old },
    // made after updateToken resolved; nothing used the new token before that.
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(Object.keys(event).sort()).toEqual(['accessToken', 'name', 'refreshToken', 'token']);
    expect(event).toEqual({ name: 'op', token: event.token, refreshToken: token.refresh_token, accessToken: token.access_token });
    expect(updates).toEqual([event]);
    expect(order).toEqual(['updateToken:start', 'updateToken:end', 'tokenUpdate$']);
    expect(meDuringUpdate).toBe(0);
    const fresh = event.token;
    expect(fresh.access_token).not.toBe(token.access_token);
    expect(typeof fresh.refresh_token).toBe('string');
    expect(fresh.refresh_token).not.toBe(token.refresh_token);

    // All 50 calls carried the new access token, none the old.
    const me = op.requests.filter((r) => r.path === PROVIDER_PATHS.userinfo).slice(meBefore);
    expect(me).toHaveLength(50);
    expect(new Set(me.map((r) => bearerOf(r.headers)))).toEqual(new Set([`Bearer ${fresh.access_token}`]));

    // A late caller still holding the old token gets the new one: no second refresh.
    expect((await client.get('me', { token })).status).toBe(200);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);

    // The rotated refresh token works at the provider...
    const again = await client.refreshToken(fresh);
    expect(again.access_token).not.toBe(fresh.access_token);
    expect(again.refresh_token).not.toBe(fresh.refresh_token);
    expect(grantsOf(clientId, 'refresh_token')).toBe(2);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ refreshToken: fresh.refresh_token, accessToken: fresh.access_token });
    // ...and the old one is refused (so sending it twice would have been fatal).
    expect(await rawRefresh(s, token.refresh_token!)).toMatchObject({ error: 'invalid_grant' });
    expect(grantErrors.filter((g) => g.clientId === clientId)).toEqual([{ grantType: 'refresh_token', clientId, error: 'invalid_grant' }]);
  });

  it('a refresh answer without refresh_token keeps the old one, which still works at the provider', async () => {
    const s = await loggedIn({ prefix: 'keep', config: { refreshTokenUrl: keepUrl } });
    const { client, token, events, wire, clientId } = s;
    const res = await client.get('me', { token: expired(token) });
    expect(res.status).toBe(200);
    const refreshes = tokenPosts(wire, 'refresh_token');
    expect(refreshes).toHaveLength(1);
    // What the provider really answered: a new access token, no refresh_token.
    expect(typeof refreshes[0]!.response?.access_token).toBe('string');
    expect(refreshes[0]!.response).not.toHaveProperty('refresh_token');
    expect(events).toHaveLength(1);
    const fresh = events[0]!.token;
    expect(fresh.access_token).toBe(refreshes[0]!.response?.access_token);
    expect(fresh.refresh_token).toBe(token.refresh_token);
    expect(events[0]).toMatchObject({ refreshToken: token.refresh_token, accessToken: token.access_token });

    // The kept refresh token is still good: another instance of the client uses it.
    const other = s.registry.register('op-other', s.config) as OAuth2Client;
    const third = await other.refreshToken(fresh);
    expect(third.access_token).not.toBe(fresh.access_token);
    expect(third.refresh_token).toBe(token.refresh_token);
    expect(grantsOf(clientId, 'refresh_token')).toBe(2);
  });

  it('a non-rotating refresh token: a token refreshed before that has expired again is refreshed again', async () => {
    // short-* clients: no rotation, refresh_token left out of answers, 2 s access tokens.
    const { client, token, events, clientId } = await loggedIn({ prefix: 'short', config: { refreshTokenUrl: keepUrl, refreshLeeway: 0 } });
    const first = await client.get('me', { token: expired(token) });
    expect(first.status).toBe(200);
    expect(events).toHaveLength(1);
    const fresh = events[0]!.token;
    expect(fresh.refresh_token).toBe(token.refresh_token);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);

    // Let the refreshed access token really expire at the provider.
    await new Promise((r) => setTimeout(r, Math.max(0, (fresh.expires_at! + 1) * 1000 - Date.now()) + 50));
    const second = await client.get('me', { token: fresh });
    expect({ status: second.status, refreshes: grantsOf(clientId, 'refresh_token'), events: events.length }).toEqual({
      status: 200,
      refreshes: 2,
      events: 2,
    });
  });

  it('updateToken that throws: every waiting call fails with token_update_failed carrying the new token, non-enumerable; nothing is announced', async () => {
    const { client, token, events, clientId } = await loggedIn({
      updateToken: () => {
        throw new Error('database down');
      },
    });
    const stale = expired(token);
    const errors = await Promise.all(Array.from({ length: 5 }, () => client.get('me', { token: stale }).then(() => undefined, (e: unknown) => e)));
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);
    for (const err of errors) {
      expect(err).toBeInstanceOf(OAuthTokenUpdateError);
      expect((err as OAuthTokenUpdateError).code).toBe('token_update_failed');
    }
    const e = errors[0] as OAuthTokenUpdateError;
    const saved = e.token as OAuth2Token;
    expect(saved.access_token).toMatch(/\S/);
    expect(saved.access_token).not.toBe(token.access_token);
    expect(saved.refresh_token).not.toBe(token.refresh_token);
    expect((e.cause as Error).message).toBe('database down');
    // Kept, but never where a logger or serializer would pick it up.
    expect(Object.keys(e)).not.toContain('token');
    expect(Object.getOwnPropertyDescriptor(e, 'token')?.enumerable).toBe(false);
    for (const secret of [saved.access_token, saved.refresh_token!]) {
      expect(JSON.stringify(e)).not.toContain(secret);
      expect(e.message).not.toContain(secret);
      expect(String(e)).not.toContain(secret);
    }
    expect(events).toHaveLength(0);
    // Nothing is lost: the token on the error is live at the provider.
    await expect(client.introspectToken(saved)).resolves.toMatchObject({ active: true, sub: 'alice', client_id: clientId });
    const res = await client.get('me', { token: saved });
    expect(res.status).toBe(200);
  });

  it('after updateToken failed, a retry with the old token never re-sends the consumed refresh token (the grant survives)', async () => {
    let fail = true;
    const { client, token, wire, clientId } = await loggedIn({
      updateToken: () => {
        if (fail) throw new Error('database down');
      },
    });
    const stale = expired(token);
    const err = (await client.get('me', { token: stale }).catch((e: unknown) => e)) as OAuthTokenUpdateError;
    expect(err.code).toBe('token_update_failed');
    const saved = err.token as OAuth2Token;
    fail = false;
    // The application retries the call with the token it still has stored.
    const retry = await client.get('me', { token: stale }).then(
      (r) => r.status,
      (e: unknown) => (e as { code?: string }).code,
    );
    const savedRefresh = await client.introspectToken(saved, 'refresh_token');
    expect({
      oldRefreshTokenSent: tokenPosts(wire, 'refresh_token').filter((c) => formOf(c).get('refresh_token') === token.refresh_token).length,
      providerRefusals: grantErrors.filter((g) => g.clientId === clientId).map((g) => g.error),
      savedRefreshTokenActive: savedRefresh.active,
      retry,
    }).toEqual({ oldRefreshTokenSent: 1, providerRefusals: [], savedRefreshTokenActive: true, retry: expect.anything() });
  });

  it('refreshTokenUrl and refreshTokenParams are used for refreshes (the code exchange keeps the token endpoint)', async () => {
    // A forwarding hop in front of the provider's token endpoint, to see where refreshes go.
    const seen: Array<{ path: string; body: string }> = [];
    const hop = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ path: req.url ?? '', body });
        fetch(`${op.issuer}${PROVIDER_PATHS.token}`, {
          method: 'POST',
          headers: { 'content-type': String(req.headers['content-type']), authorization: String(req.headers.authorization) },
          body,
        }).then(async (up) => {
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
          res.end(await up.text());
        }, () => res.destroy());
      });
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    const hopUrl = `http://127.0.0.1:${(hop.address() as { port: number }).port}/refresh-here`;
    try {
      const { client, token, wire, clientId } = await loggedIn({ config: { refreshTokenUrl: hopUrl, refreshTokenParams: { extra_hint: 'yes' } } });
      expect(seen).toHaveLength(0);
      expect(tokenPosts(wire, 'authorization_code')[0]!.url.pathname).toBe(PROVIDER_PATHS.token);
      const res = await client.get('me', { token: expired(token) });
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.path).toBe('/refresh-here');
      const form = new URLSearchParams(seen[0]!.body);
      expect(form.get('grant_type')).toBe('refresh_token');
      expect(form.get('refresh_token')).toBe(token.refresh_token);
      expect(form.get('extra_hint')).toBe('yes');
      expect(grantsOf(clientId, 'refresh_token')).toBe(1);
    } finally {
      hop.closeAllConnections();
      await new Promise<void>((resolve) => hop.close(() => resolve()));
    }
  });
});

describe('token management', () => {
  it('revocation makes tokens inactive by introspection; the resource server and the provider refuse them', async () => {
    const { client, token } = await loggedIn();
    await expect(client.introspectToken(token)).resolves.toMatchObject({ active: true, sub: 'alice', token_type: 'Bearer' });
    await expect(client.introspectToken(token.refresh_token!, 'refresh_token')).resolves.toMatchObject({ active: true, sub: 'alice' });
    expect((await client.get(`${rs.origin}/api/me`, { token })).status).toBe(200);

    await client.revokeToken(token, 'access_token');
    await expect(client.introspectToken(token)).resolves.toEqual({ active: false });
    expect((await client.get(`${rs.origin}/api/me`, { token })).status).toBe(401);

    await client.revokeToken(token.refresh_token!, 'refresh_token');
    await expect(client.introspectToken(token, 'refresh_token')).resolves.toEqual({ active: false });
    await expect(client.refreshToken(token)).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
  });

  it('client credentials: fetchClientCredentialsToken returns a live token; once expired it is re-fetched once for concurrent calls and announced', async () => {
    const clientId = `cc-${++seq}`;
    const clientSecret = 'cc-secret-0123456789abcdef0123456789abcdef';
    await op.addClient({ client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
    const wire: WireCall[] = [];
    t = await startTestApp({
      platform: 'express',
      routes: [],
      oauth: { fetch: recordingFetch(wire), clients: { svc: { clientId, clientSecret, serverMetadataUrl: op.discoveryUrl, apiBaseUrl: `${rs.origin}/api/` } } },
    });
    const registry = t.app.get(OAuthRegistry);
    const events: TokenUpdateEvent[] = [];
    registry.tokenUpdate$.subscribe((e) => events.push(e));
    const client = registry.get('svc') as OAuth2Client;

    const token = await client.fetchClientCredentialsToken();
    expect(token.token_type.toLowerCase()).toBe('bearer');
    expect(token.refresh_token).toBeUndefined();
    expect(token.expires_at).toBeGreaterThan(nowS() + 500);
    await expect(client.introspectToken(token)).resolves.toMatchObject({ active: true, client_id: clientId });
    expect(grantsOf(clientId, 'client_credentials')).toBe(1);
    expect(events).toHaveLength(0);

    // Fresh: used as it is.
    const ok = await client.get('jobs', { token });
    expect(await ok.json()).toMatchObject({ active: true, client_id: clientId, url: '/api/jobs', authorization: `Bearer ${token.access_token}` });

    // The token object the service holds has expired: 20 calls, one re-fetch.
    token.expires_at = nowS() - 10;
    const results = await Promise.all(Array.from({ length: 20 }, () => client.get('jobs', { token })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const answers = await Promise.all(results.map((r) => r.json() as Promise<ResourceAnswer>));
    expect(grantsOf(clientId, 'client_credentials')).toBe(2);
    expect(tokenPosts(wire, 'client_credentials')).toHaveLength(2);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(Object.keys(event).sort()).toEqual(['accessToken', 'name', 'token']);
    expect(event).toEqual({ name: 'svc', token: event.token, accessToken: token.access_token });
    expect(event.token.access_token).not.toBe(token.access_token);
    expect(new Set(answers.map((a) => a.authorization))).toEqual(new Set([`Bearer ${event.token.access_token}`]));
    expect(answers.every((a) => a.active && a.client_id === clientId)).toBe(true);
  });

  it.each([
    ['client_secret_jwt', 'HS256'],
    ['private_key_jwt', 'RS256 JWK'],
    ['private_key_jwt', 'RS256 PEM'],
  ] as const)('%s (%s) is accepted by the provider for login, refresh and introspection', async (method, variant) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `k-${seq}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const clientKey =
      variant === 'RS256 JWK'
        ? { ...(await exportJWK(privateKey)), kid, alg: 'RS256' }
        : variant === 'RS256 PEM'
          ? privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
          : undefined;
    const s = await loggedIn({
      metadata:
        method === 'private_key_jwt'
          ? { token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'RS256', jwks: { keys: [publicJwk] } }
          : { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' },
      config: { tokenEndpointAuthMethod: method, ...(clientKey === undefined ? {} : { clientKey }) },
    });
    const { client, token, wire, clientId } = s;
    const fresh = await client.refreshToken(token);
    expect(fresh.access_token).not.toBe(token.access_token);
    await expect(client.introspectToken(fresh)).resolves.toMatchObject({ active: true, client_id: clientId });
    expect(grantsOf(clientId, 'authorization_code')).toBe(1);
    expect(grantsOf(clientId, 'refresh_token')).toBe(1);

    // What went out: an assertion per request, no Basic header.
    const sent = wire.filter((c) => c.method === 'POST' && c.url.origin === op.issuer);
    expect(sent.map((c) => c.url.pathname)).toEqual([PROVIDER_PATHS.token, PROVIDER_PATHS.token, PROVIDER_PATHS.introspection]);
    const jtis = new Set<string>();
    for (const call of sent) {
      expect(call.headers.get('authorization')).toBeNull();
      const form = formOf(call);
      expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(form.get('client_secret')).toBeNull();
      const claims = decodeJwt(form.get('client_assertion')!);
      expect(claims.iss).toBe(clientId);
      expect(claims.sub).toBe(clientId);
      expect(claims.aud).toBe(op.issuer);
      expect(typeof claims.jti).toBe('string');
      jtis.add(claims.jti!);
      expect(claims.exp! - nowS()).toBeGreaterThan(0);
      expect(claims.exp! - nowS()).toBeLessThanOrEqual(300);
    }
    expect(jtis.size).toBe(3);
  });
});
