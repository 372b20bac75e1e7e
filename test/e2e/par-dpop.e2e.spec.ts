/**
 * Pushed authorization requests and DPoP through `OAuthGuard`, on Express and
 * Fastify, against oidc-provider with PAR required, DPoP-bound tokens and DPoP
 * nonces required, and a resource server that checks every proof and the token's
 * `cnf.jkt` by introspection (contract: "Pushed authorization requests and DPoP").
 *
 * - login: the browser is sent with `client_id` and `request_uri` only; the code
 *   exchange carries a proof by the configured key; the token is `DPoP`, bound to it;
 * - userinfo, refresh and API calls carry proofs (`ath` with the token) and the
 *   `DPoP` scheme; the resource server's nonce challenge is answered once and its
 *   nonce reused; a server that challenges again is `invalid_dpop_nonce` (502);
 * - PAR is automatic when discovery requires it; `dpop: true` works with a key of
 *   the process;
 * - misbehaviour no real provider shows on demand, bent in the app's injected
 *   fetch: a Bearer answer to a DPoP request, a token endpoint that challenges for a
 *   nonce forever, a PAR endpoint that answers garbage or hangs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token, type OAuthClientConfig, type OAuthResult } from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { startDpopResourceServer, type DpopResourceAnswer, type DpopResourceServer } from '../support/dpop-resource-server.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { FAPI_PATHS, fapiClient, startFapiProvider } from '../support/oidc-provider-fapi.js';
import { ALICE, loginAtProvider, startAppLogin, type OidcProviderHarness } from '../support/oidc-provider.js';

/** The two settings of the contract, until OAuthClientConfig declares them. */
type FapiClientConfig = OAuthClientConfig & {
  pushedAuthorizationRequests?: boolean;
  dpop?: boolean | { privateKey: JWK | string };
};

interface GuardedBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

const RS_SECRET = 'rs-secret-0123456789abcdef0123456789abcdef';
const clientEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JWK;
const clientPublic = { kty: 'EC', crv: 'P-256', x: clientEc.x, y: clientEc.y, kid: 'app-1', alg: 'ES256', use: 'sig' };
const dpopKey = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;

/** How the app's fetch bends the provider's answers in the current test. */
type Bend = 'none' | 'bearer-token-type' | 'token-nonce-loop' | 'par-garbage' | 'par-hang';

let op: OidcProviderHarness;
let rs: DpopResourceServer;
let dpopThumbprint: string;
let bend: Bend = 'none';
/** Requests the bent fetch answered itself, by path. */
const bentAnswers: string[] = [];

async function bentFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  const fromProvider = url.origin === op.issuer;
  if (fromProvider && url.pathname === FAPI_PATHS.par && bend === 'par-garbage') {
    bentAnswers.push(url.pathname);
    return new Response('<html><body>Request accepted</body></html>', { status: 201, headers: { 'content-type': 'text/html' } });
  }
  if (fromProvider && url.pathname === FAPI_PATHS.par && bend === 'par-hang') {
    bentAnswers.push(url.pathname);
    return new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true });
    });
  }
  if (fromProvider && url.pathname === FAPI_PATHS.token && bend === 'token-nonce-loop') {
    bentAnswers.push(url.pathname);
    return new Response(JSON.stringify({ error: 'use_dpop_nonce', error_description: 'nonce again' }), {
      status: 400,
      headers: { 'content-type': 'application/json', 'dpop-nonce': `loop-${bentAnswers.length}` },
    });
  }
  const res = await fetch(input, init);
  if (fromProvider && url.pathname === FAPI_PATHS.token && bend === 'bearer-token-type' && res.status === 200) {
    bentAnswers.push(url.pathname);
    const body = (await res.json()) as Record<string, unknown>;
    return new Response(JSON.stringify({ ...body, token_type: 'Bearer' }), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  return res;
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${op.issuer}${FAPI_PATHS.introspection}`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from(`rs:${RS_SECRET}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** Proofs the provider received on `path` since request `from`, decoded (undefined: none sent). */
function proofsAt(path: string, from: number) {
  return op.requests
    .slice(from)
    .filter((r) => r.path === path)
    .map((r) => (r.headers.dpop === undefined ? undefined : { header: decodeProtectedHeader(r.headers.dpop), claims: decodeJwt(r.headers.dpop), authorization: r.headers.authorization }));
}

/** A private_key_jwt client of the provider with the resource server as its API. */
const base = (clientId: string): FapiClientConfig => ({
  clientId,
  serverMetadataUrl: op.discoveryUrl,
  tokenEndpointAuthMethod: 'private_key_jwt',
  clientKey: clientEc as Record<string, unknown>,
  scope: 'openid offline_access profile',
  authorizeParams: { prompt: 'consent' },
  apiBaseUrl: `${rs.origin}/api/`,
});

beforeAll(async () => {
  op = await startFapiProvider();
  await op.addClient({ client_id: 'rs', client_secret: RS_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startDpopResourceServer({ introspectionUrl: `${op.issuer}${FAPI_PATHS.introspection}`, clientId: 'rs', clientSecret: RS_SECRET });
  dpopThumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: dpopKey.x }, 'sha256');
});
afterAll(async () => {
  await rs?.close();
  await op?.close();
});

describe.each(PLATFORMS)('PAR and DPoP through the guard on %s', (platform) => {
  let t: TestApp;
  let registry: OAuthRegistry;
  let token: OAuth2Token;
  const id = (name: string) => `${platform}-${name}`;

  beforeAll(async () => {
    const clients: Record<string, FapiClientConfig> = {
      fapi: { ...base(id('fapi')), pushedAuthorizationRequests: true, dpop: { privateKey: dpopKey } },
      // No pushedAuthorizationRequests: discovery says the provider requires it.
      auto: { ...base(id('auto')), dpop: true },
      short: { ...base(id('short')), pushedAuthorizationRequests: true, dpop: { privateKey: JSON.stringify(dpopKey) }, timeout: 800 },
    };
    t = await startTestApp({
      platform,
      routes: [
        ...Object.keys(clients).map((name) => ({ path: `/auth/${name}`, client: name })),
        { path: '/auth/unregistered', client: 'fapi', options: { redirectUri: '/not-registered' } },
      ],
      oauth: { clients: clients as Record<string, OAuthClientConfig>, fetch: bentFetch as typeof fetch },
    });
    for (const name of Object.keys(clients)) {
      await op.addClient(
        fapiClient({
          client_id: id(name),
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks: { keys: [clientPublic] },
          redirect_uris: [`${t.origin}/auth/${name}`],
        }),
      );
    }
    registry = t.app.get(OAuthRegistry);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    bend = 'none';
    bentAnswers.length = 0;
    rs.alwaysChallenge = false;
    expect(op.serverErrors).toEqual([]);
  });

  /** Starts a login at the app; returns the authorization URL the browser was sent to. */
  async function start(browser: Browser, name: string): Promise<URL> {
    return (await startAppLogin(browser, `${t.origin}/auth/${name}`)).authorizationUrl;
  }

  async function finish(browser: Browser, authorizationUrl: URL): Promise<BrowserResponse> {
    const back = await loginAtProvider(browser, authorizationUrl.toString(), t.origin);
    if (typeof back !== 'string') throw new Error('expected a redirect back');
    return browser.get(back);
  }

  it('login: the browser carries client_id and request_uri only; the token is DPoP-bound to the configured key', async () => {
    const from = op.requests.length;
    const browser = new Browser();
    const authorizationUrl = await start(browser, 'fapi');
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${op.issuer}${FAPI_PATHS.authorization}`);
    expect([...authorizationUrl.searchParams.keys()]).toEqual(['client_id', 'request_uri']);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(id('fapi'));
    expect(authorizationUrl.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(op.requests.slice(from).filter((r) => r.path === FAPI_PATHS.par && r.method === 'POST').length).toBeGreaterThanOrEqual(1);

    const beforeCallback = op.requests.length;
    const res = await finish(browser, authorizationUrl);
    expect(res.status, res.text).toBe(200);
    const body = res.json<GuardedBody>();
    token = body.oauth!.token;
    expect(token.token_type).toBe('DPoP');
    expect(body.oauth!.userinfo).toMatchObject({ sub: ALICE.sub, aud: id('fapi') });
    // The code exchange: proofs by the configured key, at most one nonce retry, the last with the nonce.
    const exchanges = proofsAt(FAPI_PATHS.token, beforeCallback);
    expect(exchanges.length).toBeGreaterThanOrEqual(1);
    expect(exchanges.length).toBeLessThanOrEqual(2);
    for (const p of exchanges) {
      expect(p).toBeDefined();
      expect(p!.header).toMatchObject({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: dpopKey.x } });
      expect(p!.header.jwk).not.toHaveProperty('d');
      expect(p!.claims).toMatchObject({ htm: 'POST', htu: `${op.issuer}${FAPI_PATHS.token}` });
      expect(p!.claims.ath).toBeUndefined();
    }
    expect(typeof exchanges.at(-1)!.claims.nonce).toBe('string');
    expect(await introspect(token.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: dpopThumbprint } });
  });

  it('userinfo: the DPoP scheme and a proof with ath', async () => {
    const client = registry.get('fapi') as OAuth2Client;
    const from = op.requests.length;
    const info = await client.userinfo({ token });
    expect(info).toMatchObject({ sub: ALICE.sub, name: ALICE.name });
    const proofs = proofsAt(FAPI_PATHS.userinfo, from);
    expect(proofs.length).toBeGreaterThanOrEqual(1);
    expect(proofs.length).toBeLessThanOrEqual(2);
    const last = proofs.at(-1)!;
    expect(last.authorization).toBe(`DPoP ${token.access_token}`);
    expect(last.claims).toMatchObject({ htm: 'GET', htu: `${op.issuer}${FAPI_PATHS.userinfo}`, nonce: expect.any(String) });
    expect(typeof last.claims.ath).toBe('string');
  });

  it('API calls: a proof per call; the resource server\'s nonce challenge answered once, then its nonce reused', async () => {
    const client = registry.get('fapi') as OAuth2Client;
    let from = rs.received.length;
    const res = await client.get('accounts/7', { token, query: { fields: 'balance' } });
    expect(res.status).toBe(200);
    expect((await res.json()) as DpopResourceAnswer).toMatchObject({
      method: 'GET',
      url: '/api/accounts/7?fields=balance',
      sub: ALICE.sub,
      client_id: id('fapi'),
      jkt: dpopThumbprint,
      nonce: rs.nonce,
    });
    expect(rs.outcomesSince(from)).toEqual(['use_dpop_nonce', 'ok']);
    expect(rs.received.at(-1)!.headers.authorization).toBe(`DPoP ${token.access_token}`);

    from = rs.received.length;
    const posted = await client.post('transfers', { token, json: { amount: 1 } });
    expect(posted.status).toBe(200);
    expect(rs.outcomesSince(from)).toEqual(['ok']);
    expect(rs.received.at(-1)!.proof).toMatchObject({ htm: 'POST', htu: `${rs.origin}/api/transfers` });
  });

  it('a resource server that challenges again is invalid_dpop_nonce after exactly two requests', async () => {
    const client = registry.get('fapi') as OAuth2Client;
    rs.alwaysChallenge = true;
    const from = rs.received.length;
    await expect(client.get('accounts', { token })).rejects.toMatchObject({ code: 'invalid_dpop_nonce' });
    expect(rs.outcomesSince(from)).toEqual(['use_dpop_nonce', 'use_dpop_nonce']);
  });

  it('refresh: a proof by the same key, a new DPoP-bound token', async () => {
    const client = registry.get('fapi') as OAuth2Client;
    const from = op.requests.length;
    const fresh = await client.refreshToken(token);
    expect(fresh.token_type).toBe('DPoP');
    expect(fresh.access_token).not.toBe(token.access_token);
    const proofs = proofsAt(FAPI_PATHS.token, from);
    expect(proofs.length).toBeGreaterThanOrEqual(1);
    for (const p of proofs) expect(p!.header.jwk).toMatchObject({ x: dpopKey.x });
    expect(await introspect(fresh.access_token)).toMatchObject({ active: true, cnf: { jkt: dpopThumbprint } });
    token = fresh;
  });

  it('PAR is automatic when discovery requires it; dpop: true binds to a key of the process', async () => {
    const browser = new Browser();
    const authorizationUrl = await start(browser, 'auto');
    expect([...authorizationUrl.searchParams.keys()]).toEqual(['client_id', 'request_uri']);
    const res = await finish(browser, authorizationUrl);
    expect(res.status, res.text).toBe(200);
    const auto = res.json<GuardedBody>().oauth!.token;
    expect(auto.token_type).toBe('DPoP');
    const info = await introspect(auto.access_token);
    expect(info).toMatchObject({ active: true, cnf: { jkt: expect.any(String) } });
    expect((info.cnf as { jkt: string }).jkt).not.toBe(dpopThumbprint);
  });

  it('a Bearer answer to a DPoP code exchange is refused: 502 invalid_response', async () => {
    const browser = new Browser();
    const authorizationUrl = await start(browser, 'fapi');
    bend = 'bearer-token-type';
    const res = await finish(browser, authorizationUrl);
    expect(bentAnswers).toEqual([FAPI_PATHS.token]);
    expect(res.status).toBe(502);
    expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 502, error: 'invalid_response' });
    expect(res.text).not.toContain('access_token');
  });

  it('a token endpoint that asks for a nonce again: 502 invalid_dpop_nonce after exactly two requests', async () => {
    const browser = new Browser();
    const authorizationUrl = await start(browser, 'fapi');
    bend = 'token-nonce-loop';
    const res = await finish(browser, authorizationUrl);
    expect(bentAnswers).toEqual([FAPI_PATHS.token, FAPI_PATHS.token]);
    expect(res.status).toBe(502);
    expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 502, error: 'invalid_dpop_nonce' });
  });

  it('a PAR endpoint that answers garbage: 502 invalid_response, no redirect', async () => {
    bend = 'par-garbage';
    const res = await new Browser().get(`${t.origin}/auth/fapi`);
    expect(bentAnswers).toEqual([FAPI_PATHS.par]);
    expect(res.status).toBe(502);
    expect(res.location).toBeUndefined();
    expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 502, error: 'invalid_response' });
  });

  it('a PAR endpoint that hangs: 504 timeout within the client\'s timeout', async () => {
    bend = 'par-hang';
    const res = await new Browser().get(`${t.origin}/auth/short`);
    expect(bentAnswers).toEqual([FAPI_PATHS.par]);
    expect(res.status).toBe(504);
    expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 504, error: 'timeout' });
  });

  it('the provider\'s PAR refusal is 401 with its error, like a token error', async () => {
    // The guard asks for a redirect URI the provider does not know for this client.
    const from = op.requests.length;
    const res = await new Browser().get(`${t.origin}/auth/unregistered`);
    expect(op.requests.slice(from).filter((r) => r.path === FAPI_PATHS.par).length).toBeGreaterThanOrEqual(1);
    expect(res.status).toBe(401);
    expect(res.location).toBeUndefined();
    expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 401, error: 'invalid_request' });
  });
});
