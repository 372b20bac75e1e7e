/**
 * Authlib's setting names at real peers, with the clients loaded from
 * `OAUTH_CLIENTS` as a Django app's `AUTHLIB_OAUTH_CLIENTS` would be written, on
 * Express and Fastify:
 * - `token_placement` (`header`, `uri`, `body`): where a resource server that
 *   checks every token with oidc-provider finds it (RFC 6750 sections 2.1-2.3);
 * - `client_kwargs.leeway`: how early a token is refreshed before an API call;
 * - `realm`, `signature_type` constants and `request_token_params` in the requests
 *   form, against Authlib's own OAuth 1.0a server, which must accept every request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth1Client, type OAuth1Token, type OAuth2Client, type OAuth2Token, type TokenUpdateEvent } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';
import { ALICE, PROVIDER_PATHS, loginThroughApp, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

interface SentRequest {
  url: URL;
  method: string;
  authorization: string | null;
  body: string;
}

let op: OidcProviderHarness;
let rs: ResourceServer;
let oauth1: OAuth1Server;
let t: TestApp | undefined;
let seq = 0;
/** Every request the module sent, through its `fetch` option. */
const sent: SentRequest[] = [];

const SECRET = 'names-secret-0123456789abcdef0123456789abcdef';
const nowS = () => Math.floor(Date.now() / 1000);

const recordingFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  sent.push({
    url: new URL(input instanceof Request ? input.url : input.toString()),
    method: init?.method ?? 'GET',
    authorization: headers.get('authorization'),
    body: typeof init?.body === 'string' ? init.body : '',
  });
  return fetch(input, init);
};

beforeAll(async () => {
  op = await startOidcProvider();
  const rsId = 'names-rs';
  const rsSecret = 'names-rs-secret-0123456789abcdef0123456789';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startResourceServer({ introspectionUrl: `${op.issuer}${PROVIDER_PATHS.introspection}`, clientId: rsId, clientSecret: rsSecret });
  oauth1 = await startOAuth1Server();
});
afterAll(async () => {
  await rs?.close();
  await op?.close();
  await oauth1?.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  expect(op.serverErrors).toEqual([]);
});

/**
 * An app whose clients come from `OAUTH_CLIENTS` (a JSON string, as from `.env`),
 * each guarded at `/auth/<name>`.
 */
async function startWithSettings(platform: Platform, clients: Record<string, Record<string, unknown>>): Promise<TestApp> {
  t = await startTestApp({
    platform,
    routes: Object.keys(clients).map((name) => ({ path: `/auth/${name}`, client: name })),
    config: { OAUTH_CLIENTS: JSON.stringify(clients) },
    oauth: { fetch: recordingFetch },
  });
  return t;
}

/** An OpenID client at oidc-provider in Authlib's spelling, with a refresh token. */
function oidcSettings(clientId: string, clientKwargs: Record<string, unknown>): Record<string, unknown> {
  return {
    client_id: clientId,
    client_secret: SECRET,
    server_metadata_url: op.discoveryUrl,
    authorize_params: { prompt: 'consent' },
    api_base_url: `${rs.origin}/api/`,
    client_kwargs: { scope: 'openid offline_access', ...clientKwargs },
  };
}

async function login(name: string): Promise<OAuth2Token> {
  const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/${name}`);
  expect(res.status, res.text).toBe(200);
  return res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;
}

describe.each(PLATFORMS)("Authlib's OAuth 2 names at a real resource on %s", (platform: Platform) => {
  it('token_placement header, uri and body put the token where RFC 6750 sections 2.1, 2.3 and 2.2 say, and the resource accepts it there', async () => {
    const ids = { header: `names-${++seq}`, uri: `names-${++seq}`, body: `names-${++seq}` };
    await startWithSettings(platform, {
      header: oidcSettings(ids.header, { token_placement: 'header' }),
      uri: oidcSettings(ids.uri, { token_placement: 'uri' }),
      body: oidcSettings(ids.body, { token_placement: 'body' }),
    });
    for (const [name, clientId] of Object.entries(ids)) {
      await op.addClient({ client_id: clientId, client_secret: SECRET, redirect_uris: [`${t!.origin}/auth/${name}`] });
    }
    const registry = t!.app.get(OAuthRegistry);
    const call = async (name: string, token: OAuth2Token, form?: Record<string, string>): Promise<ResourceAnswer> => {
      const client = registry.get<OAuth2Client>(name);
      const res = form ? await client.post('items', { token, form }) : await client.get('items', { token, query: { page: '2' } });
      expect(res.status, `${name} ${form ? 'POST' : 'GET'}`).toBe(200);
      return (await res.json()) as ResourceAnswer;
    };

    const header = await login('header');
    expect(await call('header', header)).toMatchObject({ placement: 'header', authorization: `Bearer ${header.access_token}`, url: '/api/items?page=2', sub: ALICE.sub });

    const uri = await login('uri');
    const inQuery = await call('uri', uri);
    expect(inQuery).toMatchObject({ placement: 'query', authorization: null, sub: ALICE.sub, client_id: ids.uri });
    expect(new URLSearchParams(inQuery.url.split('?')[1]).get('access_token')).toBe(uri.access_token);
    expect(new URLSearchParams(inQuery.url.split('?')[1]).get('page')).toBe('2');

    const body = await login('body');
    const inBody = await call('body', body, { name: 'x' });
    expect(inBody).toMatchObject({ placement: 'body', authorization: null, url: '/api/items', sub: ALICE.sub, client_id: ids.body });
    const received = rs.received.at(-1)!;
    expect(Object.fromEntries(new URLSearchParams(received.body))).toEqual({ name: 'x', access_token: body.access_token });
    // RFC 6750 2.2 is for form bodies only: a GET from the same client uses the header.
    expect(await call('body', body)).toMatchObject({ placement: 'header', authorization: `Bearer ${body.access_token}` });
  });

  it('client_kwargs.leeway is how early a token is refreshed before an API call (Authlib OAuth2Session leeway)', async () => {
    const ids = { early: `names-${++seq}`, usual: `names-${++seq}` };
    await startWithSettings(platform, {
      early: oidcSettings(ids.early, { leeway: 600 }),
      usual: oidcSettings(ids.usual, {}),
    });
    for (const [name, clientId] of Object.entries(ids)) {
      await op.addClient({ client_id: clientId, client_secret: SECRET, redirect_uris: [`${t!.origin}/auth/${name}`] });
    }
    const registry = t!.app.get(OAuthRegistry);
    const updates: TokenUpdateEvent[] = [];
    const sub = registry.tokenUpdate$.subscribe((e) => updates.push(e));
    try {
      // Five minutes left: inside a 600 s leeway, outside the default 60 s.
      const early = { ...(await login('early')), expires_at: nowS() + 300 };
      const usual = { ...(await login('usual')), expires_at: nowS() + 300 };
      const usualAnswer = (await (await registry.get<OAuth2Client>('usual').get('me', { token: usual })).json()) as ResourceAnswer;
      expect(usualAnswer.authorization).toBe(`Bearer ${usual.access_token}`);
      expect(updates).toEqual([]);
      const earlyAnswer = (await (await registry.get<OAuth2Client>('early').get('me', { token: early })).json()) as ResourceAnswer;
      expect(updates).toHaveLength(1);
      expect(updates[0]).toMatchObject({ name: 'early', refreshToken: early.refresh_token, accessToken: early.access_token });
      expect(earlyAnswer).toMatchObject({ authorization: `Bearer ${updates[0]!.token.access_token}`, sub: ALICE.sub });
      expect(updates[0]!.token.access_token).not.toBe(early.access_token);
    } finally {
      sub.unsubscribe();
    }
  });
});

/** The seed's Twitter entry pointed at Authlib's server, plus `more`. */
const settings = (more: Record<string, unknown>): Record<string, unknown> => ({
  client_id: oauth1.clients.hmac.clientId,
  client_secret: oauth1.clients.hmac.clientSecret,
  request_token_url: `${oauth1.origin}/initiate`,
  request_token_params: null,
  access_token_url: `${oauth1.origin}/token`,
  access_token_params: null,
  refresh_token_url: null,
  authorize_url: `${oauth1.origin}/authorize`,
  api_base_url: `${oauth1.origin}/api/`,
  client_kwargs: null,
  ...more,
});

async function oauth1Login(name: string): Promise<OAuth1Token> {
  const browser = new Browser();
  const started = await browser.get(`${t!.origin}/auth/${name}`);
  expect(started.status, started.text).toBe(302);
  const authorize = await browser.get(started.location!);
  expect(authorize.status, authorize.text).toBe(302);
  const callback = await browser.get(authorize.location!);
  expect(callback.status, callback.text).toBe(200);
  return callback.json<{ oauth: { token: OAuth1Token } }>().oauth.token;
}

describe.each(PLATFORMS)("Authlib's OAuth 1 names against Authlib's server on %s", (platform: Platform) => {
  it('realm goes first in every Authorization header, unsigned, and Authlib accepts the requests; request_token_params in the requests form reach the request token endpoint, signed', async () => {
    await startWithSettings(platform, {
      twitter: settings({ realm: 'Photos', signature_type: 'HEADER', request_token_params: { params: { x_auth_access_type: 'read' } } }),
    });
    const from = sent.length;
    const token = await oauth1Login('twitter');
    const res = await t!.app.get(OAuthRegistry).get<OAuth1Client>('twitter').get('me', { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user_id: 'alice', signature_type: 'HEADER' });

    const calls = sent.slice(from);
    expect(calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual(['POST /initiate', 'POST /token', 'GET /api/me']);
    for (const c of calls) expect(c.authorization, c.url.pathname).toMatch(/^OAuth realm="Photos", oauth_[a-z_]+="/);
    expect(Object.fromEntries(new URLSearchParams(calls[0]!.body))).toEqual({ x_auth_access_type: 'read' });
    // Authlib verified each signature; the realm was left out of them (RFC 5849 3.4.1.3.1).
    expect((await oauth1.log()).filter((e) => ['/initiate', '/token', '/api/me'].includes(e.path)).slice(-3).map((e) => e.placement)).toEqual([
      ['header'],
      ['header'],
      ['header'],
    ]);
  });

  it.each([
    ['QUERY', 'query', { signature_type: 'QUERY' }],
    ['BODY', 'body', { client_kwargs: { signature_type: 'BODY' } }],
  ] as const)('signature_type %s puts the protocol parameters in the %s, where Authlib finds and checks them', async (constant, placement, more) => {
    await startWithSettings(platform, { twitter: settings(more) });
    const token = await oauth1Login('twitter');
    const client = t!.app.get(OAuthRegistry).get<OAuth1Client>('twitter');
    const res = await client.post('me', { token, form: { status: 'hello' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user_id: 'alice', signature_type: constant, form: { status: ['hello'] } });
    const last = (await oauth1.log()).filter((e) => e.path !== '/log').at(-1)!;
    expect(last).toMatchObject({ method: 'POST', path: '/api/me', placement: [placement] });
  });
});
