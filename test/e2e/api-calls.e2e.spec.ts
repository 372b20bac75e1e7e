/**
 * API calls through an OAuth 2 client, with a real token from oidc-provider, against
 * a resource server that checks every bearer by introspection at the provider:
 * URL resolution and refused escapes, where the token comes from, where it goes
 * (header only), withholding it, errors raised before anything is sent, timeouts,
 * redirects not followed, and the injected fetch being the only transport.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token, type OAuthClientConfig } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginThroughApp, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

interface WireCall {
  url: string;
  method: string;
}

let op: OidcProviderHarness;
let rs: ResourceServer;
let elsewhere: ResourceServer;
let app: TestApp;
let extra: TestApp | undefined;
let registry: OAuthRegistry;
let client: OAuth2Client;
let token: OAuth2Token;
let seq = 0;
/** Every request the library sent through the injected fetch. */
const wire: WireCall[] = [];
/** What the module's fetchToken does in the current test. */
let fetchTokenImpl: (name: string, req: unknown) => Promise<OAuth2Token | null | undefined> = async () => undefined;
let fetchTokenCalls: Array<[string, unknown]> = [];

const clientId = 'api-client';
const clientSecret = 'api-secret-0123456789abcdef0123456789abcdef';
const nowS = () => Math.floor(Date.now() / 1000);
const apiBase = () => `${rs.origin}/api/v1`;

const baseConfig = (): OAuthClientConfig => ({
  clientId,
  clientSecret,
  serverMetadataUrl: op.discoveryUrl,
  scope: 'openid offline_access profile',
  authorizeParams: { prompt: 'consent' },
  apiBaseUrl: apiBase(),
});

/** A fresh login through the guard: a token of its own grant. */
async function login(): Promise<OAuth2Token> {
  const res = await loginThroughApp(new Browser(), `${app.origin}/auth/op`);
  expect(res.status, res.text).toBe(200);
  return res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;
}

/** A snapshot of everything that could have been sent, to show nothing was. */
function sentSoFar() {
  return { wire: wire.length, rs: rs.received.length, provider: op.requests.length, elsewhere: elsewhere.received.length };
}

beforeAll(async () => {
  op = await startOidcProvider();
  const rsId = 'rs-api';
  const rsSecret = 'rs-secret-0123456789abcdef0123456789abcdef';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  const introspectionUrl = `${op.issuer}${PROVIDER_PATHS.introspection}`;
  rs = await startResourceServer({ introspectionUrl, clientId: rsId, clientSecret: rsSecret });
  elsewhere = await startResourceServer({ introspectionUrl, clientId: rsId, clientSecret: rsSecret });
  // Bound now, so a test that swaps globalThis.fetch still sees this one pass through.
  const realFetch = globalThis.fetch;
  const recording: typeof fetch = (input, init) => {
    wire.push({ url: input instanceof Request ? input.url : input.toString(), method: init?.method ?? 'GET' });
    return realFetch(input, init);
  };
  app = await startTestApp({
    platform: 'express',
    routes: [{ path: '/auth/op', client: 'op' }],
    oauth: {
      clients: { op: baseConfig() },
      fetch: recording,
      fetchToken: (name, req) => {
        fetchTokenCalls.push([name, req]);
        return fetchTokenImpl(name, req);
      },
    },
  });
  await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${app.origin}/auth/op`] });
  registry = app.app.get(OAuthRegistry);
  client = registry.get('op') as OAuth2Client;
  token = await login();
  expect(typeof token.refresh_token).toBe('string');
  expect(token.expires_at).toBeGreaterThan(nowS() + 600);
});
afterAll(async () => {
  await app?.close();
  await rs?.close();
  await elsewhere?.close();
  await op?.close();
});
afterEach(async () => {
  await extra?.close();
  extra = undefined;
  fetchTokenImpl = async () => undefined;
  fetchTokenCalls = [];
  rs.hang.clear();
  rs.redirects.clear();
  expect(op.serverErrors).toEqual([]);
});

/** Registers another client in the running app (same provider client). */
function variant(config: Partial<OAuthClientConfig>): OAuth2Client {
  return registry.register(`op-${++seq}`, { ...baseConfig(), ...config }) as OAuth2Client;
}

describe('where a call goes', () => {
  it('a path without / resolves under apiBaseUrl as a directory, a leading / from its origin, an absolute URL as given', async () => {
    const cases: Array<[string, string]> = [
      ['items/1', '/api/v1/items/1'],
      ['./items/2', '/api/v1/items/2'],
      ['a/../items/3', '/api/v1/items/3'],
      ['../v2/items', '/api/v2/items'],
      ['/other/root', '/other/root'],
      [`${rs.origin}/api/abs?x=1`, '/api/abs?x=1'],
    ];
    for (const [input, path] of cases) {
      const res = await client.get(input, { token });
      expect(res.status, input).toBe(200);
      expect(await res.json(), input).toMatchObject<Partial<ResourceAnswer>>({
        url: path,
        active: true,
        sub: 'alice',
        client_id: clientId,
        authorization: `Bearer ${token.access_token}`,
      });
    }
    // Query parameters are added, lists repeated; the methods are the ones asked for.
    const q = await client.get('search', { token, query: { q: 'a b&c', tag: ['x', 'y'], n: 3 } });
    expect(((await q.json()) as ResourceAnswer).url).toBe('/api/v1/search?q=a+b%26c&tag=x&tag=y&n=3');
    for (const [send, method] of [
      [() => client.post('m', { token }), 'POST'],
      [() => client.put('m', { token }), 'PUT'],
      [() => client.patch('m', { token }), 'PATCH'],
      [() => client.delete('m', { token }), 'DELETE'],
      [() => client.request('options', 'm', { token }), 'OPTIONS'],
    ] as const) {
      const res = await send();
      expect(((await res.json()) as ResourceAnswer).method).toBe(method);
    }
  });

  it('paths that could leave the API host are refused with invalid_url before anything is sent', async () => {
    const before = sentSoFar();
    for (const input of [
      `//${new URL(elsewhere.origin).host}/steal`,
      `/\\${new URL(elsewhere.origin).host}/steal`,
      `http:${new URL(elsewhere.origin).host}/steal`,
      'https:evil.example/x',
      'javascript:alert(1)',
      '../../../steal',
      '%2e%2e/%2e%2e/%2e%2e/steal',
      'a/../../../../steal',
    ]) {
      await expect(client.get(input, { token }), input).rejects.toMatchObject({ code: 'invalid_url' });
      await expect(client.get(input), input).rejects.toMatchObject({ code: 'invalid_url' });
    }
    // A relative path with no apiBaseUrl at all.
    const bare = variant({ apiBaseUrl: undefined });
    await expect(bare.get('items', { token })).rejects.toMatchObject({ code: 'invalid_url' });
    expect(sentSoFar()).toEqual(before);
    expect(fetchTokenCalls).toEqual([]);
  });

  it('a redirect is handed back, not followed: the token never reaches the target', async () => {
    rs.redirects.set('/api/v1/moved', `${elsewhere.origin}/api/steal`);
    const before = elsewhere.received.length;
    const res = await client.get('moved', { token });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${elsewhere.origin}/api/steal`);
    expect(elsewhere.received.length).toBe(before);
  });

  it('the Response is handed back unread, whatever its status', async () => {
    const bogus: OAuth2Token = { access_token: 'not-a-token', token_type: 'Bearer' };
    const res = await client.get('items', { token: bogus });
    expect(res.bodyUsed).toBe(false);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await res.json()).toEqual({ error: 'invalid_token' });
  });
});

describe('the token', () => {
  it('goes in the Authorization header only: never the query, a form body or a JSON body', async () => {
    const start = rs.received.length;
    await client.get('items', { token, query: { page: 2 } });
    await client.post('items', { token, form: { name: 'x' } });
    await client.post('items', { token, json: { name: 'y' } });
    const got = rs.received.slice(start);
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.headers.authorization).toBe(`Bearer ${token.access_token}`);
      expect(r.url).not.toContain(token.access_token);
      expect(r.url).not.toContain('access_token');
      expect(r.body).not.toContain(token.access_token);
    }
    expect(got[0]!.url).toBe('/api/v1/items?page=2');
    expect(got[1]!.body).toBe('name=x');
    expect(got[1]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(JSON.parse(got[2]!.body)).toEqual({ name: 'y' });
  });

  it('opts.token wins; otherwise fetchToken(name, req) gets exactly the req given and its token is used', async () => {
    await client.get('items', { token, req: { ignored: true } });
    expect(fetchTokenCalls).toEqual([]);

    class IncomingRequest {
      readonly user = 'alice';
    }
    const req = new IncomingRequest();
    fetchTokenImpl = async () => token;
    const res = await client.get('items', { req });
    expect(((await res.json()) as ResourceAnswer).authorization).toBe(`Bearer ${token.access_token}`);
    expect(fetchTokenCalls).toHaveLength(1);
    expect(fetchTokenCalls[0]![0]).toBe('op');
    expect(fetchTokenCalls[0]![1]).toBe(req);

    // No req given: fetchToken receives undefined, not something made up.
    await client.get('items');
    expect(fetchTokenCalls).toHaveLength(2);
    expect(fetchTokenCalls[1]).toEqual(['op', undefined]);
    expect(fetchTokenCalls[1]!.length).toBe(2);
  });

  it('missing_token before anything is sent: fetchToken finds none, or none is configured, or the token has no access_token', async () => {
    const before = sentSoFar();
    fetchTokenImpl = async () => null;
    await expect(client.get('items', { req: {} })).rejects.toMatchObject({ code: 'missing_token' });
    fetchTokenImpl = async () => undefined;
    await expect(client.get('items')).rejects.toMatchObject({ code: 'missing_token' });
    await expect(client.get('items', { token: { token_type: 'Bearer' } as OAuth2Token })).rejects.toMatchObject({ code: 'missing_token' });
    expect(fetchTokenCalls).toHaveLength(2);

    extra = await startTestApp({ platform: 'express', routes: [], oauth: { clients: { bare: { ...baseConfig() } } } });
    const bare = extra.app.get(OAuthRegistry).get('bare') as OAuth2Client;
    await expect(bare.get('items')).rejects.toMatchObject({
      code: 'missing_token',
      message: 'No token for OAuth client "bare": pass { token } or configure fetchToken; nothing was sent.',
    });
    expect(sentSoFar()).toEqual(before);
  });

  it('an expired token without refresh_token is token_expired before anything is sent', async () => {
    const before = sentSoFar();
    const { refresh_token: _r, ...noRefresh } = token;
    const dead = { ...noRefresh, expires_at: nowS() - 5 } as OAuth2Token;
    await expect(client.get('items', { token: dead })).rejects.toMatchObject({ code: 'token_expired' });
    fetchTokenImpl = async () => dead;
    await expect(client.get('items', { req: {} })).rejects.toMatchObject({ code: 'token_expired' });
    expect(sentSoFar()).toEqual(before);
  });

  it('withholdToken sends no Authorization header, asks fetchToken nothing and refreshes nothing', async () => {
    const before = op.requests.length;
    fetchTokenImpl = async () => token;
    const expiredWithRefresh = { ...token, expires_at: nowS() - 5 };
    for (const opts of [{ withholdToken: true }, { withholdToken: true, token: expiredWithRefresh }, { withholdToken: true, req: {} }]) {
      const res = await client.get('/public/ping', opts);
      expect(await res.json()).toMatchObject({ url: '/public/ping', authorization: null });
    }
    const denied = await client.get('items', { withholdToken: true });
    expect(denied.status).toBe(401);
    expect(rs.received.at(-1)!.headers.authorization).toBeUndefined();
    expect(fetchTokenCalls).toEqual([]);
    // No refresh, and no introspection either (no bearer reached the resource server).
    expect(op.requests.length).toBe(before);
  });
});

describe('transport', () => {
  it('an API that hangs fails with timeout within the client timeout plus a little; the module timeout applies too', async () => {
    rs.hang.add('/api/v1/slow');
    const quick = variant({ timeout: 400 });
    let started = Date.now();
    await expect(quick.get('slow', { token })).rejects.toMatchObject({ code: 'timeout' });
    let took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(400 + 10_000);

    extra = await startTestApp({ platform: 'express', routes: [], oauth: { timeout: 300, clients: { m: baseConfig() } } });
    const moduleTimed = extra.app.get(OAuthRegistry).get('m') as OAuth2Client;
    started = Date.now();
    await expect(moduleTimed.get('slow', { token })).rejects.toMatchObject({ code: 'timeout' });
    took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(300 + 10_000);
  });

  it('a refresh endpoint that hangs fails the call with timeout; the refresh token is not spent', async () => {
    rs.hang.add('/hanging-token');
    const own = await login();
    const stuck = variant({ timeout: 300, refreshTokenUrl: `${rs.origin}/hanging-token` });
    const before = rs.received.length;
    const started = Date.now();
    await expect(stuck.get('items', { token: { ...own, expires_at: nowS() - 5 } })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(300 + 10_000);
    // The refresh went to the hanging endpoint, and the API was never called.
    expect(rs.received.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['POST /hanging-token']);
    await expect(client.introspectToken(own.refresh_token!, 'refresh_token')).resolves.toMatchObject({ active: true });
  });

  it('the injected fetch carries every request, the global fetch none: discovery-backed refresh and the API call', async () => {
    const own = await login();
    const fresh = variant({}); // a new client instance: discovery and JWKS are fetched again
    const globalFetch = globalThis.fetch;
    let globalCalls = 0;
    globalThis.fetch = (input, init) => {
      globalCalls++;
      return globalFetch(input, init);
    };
    const start = wire.length;
    let status: number;
    try {
      const res = await fresh.get(`${op.issuer}${PROVIDER_PATHS.userinfo}`, { token: { ...own, expires_at: nowS() - 5 } });
      status = res.status;
    } finally {
      globalThis.fetch = globalFetch;
    }
    expect(status).toBe(200);
    expect(globalCalls).toBe(0);
    const paths = wire.slice(start).map((c) => `${c.method} ${new URL(c.url).pathname}`);
    expect(paths).toEqual([
      `GET ${PROVIDER_PATHS.discovery}`,
      `POST ${PROVIDER_PATHS.token}`,
      `GET ${PROVIDER_PATHS.jwks}`,
      `GET ${PROVIDER_PATHS.userinfo}`,
    ]);
  });
});
