/**
 * Compliance hooks (Authlib's `compliance_fix` hook points) end to end, through
 * `OAuthGuard` and API calls on Express and Fastify. Each hook point meets a
 * provider that needs it, and each test shows both sides: without the hook the
 * login or call fails with the code the contract names, with it it succeeds.
 *
 * Real peers where one can show the need: oidc-provider (a client registered to
 * require signed request objects; endpoints behind an API gateway that wants a key;
 * an API that wants an extra header; a GitHub-style profile that needs mapping to
 * OpenID claim names, served by a resource server that checks the provider's
 * token), and Authlib's OAuth 1.0a server, which verifies that the signature covers
 * what `protectedRequest` added. The hostile provider only where no real provider
 * misbehaves that way: a templated issuer in discovery (Entra's `{tenantid}`), a
 * token answer without `token_type` (Slack), nested under `data`, or form-encoded
 * with `expires` (StackOverflow), and a refresh answer nested under `data`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuth1Client,
  OAuthProviderError,
  OAuthRegistry,
  type OAuth1Token,
  type OAuth2Client,
  type OAuth2Token,
  type OAuthClientConfig,
  type OAuthClientHooks,
  type OAuthModuleOptions,
  type ProviderRequest,
  type ProviderResponse,
  type TokenUpdateEvent,
} from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';
import { startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp, type TestRoute } from '../support/nest-app.js';
import {
  ALICE,
  PROVIDER_PATHS,
  loginForCallbackUrl,
  loginThroughApp,
  startAppLogin,
  startOidcProvider,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

/** What the app's guarded routes answer: `req.oauth`. */
interface GuardAnswer {
  oauth: { client: string; token: OAuth2Token; userinfo?: Record<string, unknown> };
}

interface GatewayRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

const GATEWAY_KEY = 'gw-key-0123456789';
const SECRET = 'hooks-secret-0123456789abcdef0123456789abcdef';
const nowS = () => Math.floor(Date.now() / 1000);

let op: OidcProviderHarness;
let rs: ResourceServer;
let hostile: HostileProvider;
let oauth1: OAuth1Server;
let gateway: Server;
let gatewayOrigin: string;
const gatewayLog: GatewayRequest[] = [];
let t: TestApp | undefined;
let seq = 0;

beforeAll(async () => {
  op = await startOidcProvider({
    configuration: {
      // The harness's features (a shallow override replaces them all), plus signed
      // request objects (RFC 9101), which a client may be registered to require.
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId,
        },
        requestObjects: { enabled: true },
      },
    },
  });
  // An API gateway in front of the provider's back-channel endpoints: it forwards
  // to the very same provider (same storage and keys) only requests with its key.
  const forward = op.provider.callback();
  gateway = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    gatewayLog.push({ method: req.method ?? 'GET', path, headers: req.headers });
    if (req.headers['x-api-key'] !== GATEWAY_KEY) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'ApiKey realm="gateway"' });
      res.end(JSON.stringify({ error: 'invalid_client', error_description: 'the gateway needs an x-api-key' }));
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayOrigin = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

  const rsId = 'hooks-rs';
  const rsSecret = 'hooks-rs-secret-0123456789abcdef0123456789';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startResourceServer({ introspectionUrl: `${op.issuer}${PROVIDER_PATHS.introspection}`, clientId: rsId, clientSecret: rsSecret });
  hostile = await startHostileProvider({ sub: 'hostile-user' });
  oauth1 = await startOAuth1Server();
});
afterAll(async () => {
  gateway?.closeAllConnections();
  await new Promise<void>((resolve) => (gateway ? gateway.close(() => resolve()) : resolve()));
  await rs?.close();
  await hostile?.close();
  await oauth1?.close();
  await op?.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  hostile.reset();
  rs.requiredHeaders.clear();
  rs.views.clear();
  expect(op.serverErrors).toEqual([]);
});

/** Starts an app guarding `/auth/<name>` for each name; clients are registered afterwards (`register`). */
async function start(platform: Platform, names: string[], oauth: OAuthModuleOptions = {}): Promise<TestApp> {
  const routes: TestRoute[] = names.map((name) => ({ path: `/auth/${name}`, client: name }));
  t = await startTestApp({ platform, routes, oauth });
  return t;
}

/** Registers a client at oidc-provider for the app's routes; returns its id. */
async function opClient(app: TestApp, names: string[], metadata: Record<string, unknown> = {}): Promise<string> {
  const clientId = `hooks-${++seq}`;
  await op.addClient({
    client_id: clientId,
    client_secret: SECRET,
    redirect_uris: names.map((n) => `${app.origin}/auth/${n}`),
    ...metadata,
  });
  return clientId;
}

/** oidc-provider as discovery names it, for a client id given later (`registry.register`). */
const opConfig = (clientId: string, more: OAuthClientConfig = {}): OAuthClientConfig => ({
  clientId,
  clientSecret: SECRET,
  serverMetadataUrl: op.discoveryUrl,
  scope: 'openid profile',
  ...more,
});

/**
 * Adds a client to the running app. oidc-provider registers exact redirect URIs,
 * known once the app listens, so every client here is registered at run time.
 */
function register(name: string, config: OAuthClientConfig): OAuth2Client {
  return t!.app.get(OAuthRegistry).register(name, config) as OAuth2Client;
}

function expectFailure(res: BrowserResponse, status: number, error: string): { message: string } {
  expect(res.status, res.text).toBe(status);
  const body = res.json<{ statusCode: number; error: string; message: string }>();
  expect(body).toMatchObject({ statusCode: status, error });
  return body;
}

/** oidc-provider with its back-channel endpoints reached through the gateway. */
const gated = (clientId: string, hooks: OAuthClientHooks): OAuthClientConfig =>
  opConfig(clientId, {
    scope: 'openid offline_access',
    authorizeParams: { prompt: 'consent' },
    accessTokenUrl: `${gatewayOrigin}${PROVIDER_PATHS.token}`,
    revocationUrl: `${gatewayOrigin}${PROVIDER_PATHS.revocation}`,
    introspectionUrl: `${gatewayOrigin}${PROVIDER_PATHS.introspection}`,
    apiBaseUrl: `${rs.origin}/api/`,
    hooks,
  });

const addGatewayKey = (req: ProviderRequest): ProviderRequest => {
  req.headers.set('x-api-key', GATEWAY_KEY);
  return req;
};

describe.each(PLATFORMS)('compliance hooks on %s', (platform: Platform) => {
  describe('serverMetadata', () => {
    it("a discovery document with Entra's templated issuer fails discovery (502); the hook fills in the tenant and the login succeeds", async () => {
      const tenantIssuer = `${hostile.origin}/tenant-a/v2.0`;
      hostile.scenario = {
        discovery: { issuer: `${hostile.origin}/{tenantid}/v2.0` },
        authorize: { iss: tenantIssuer },
        idToken: { claims: (c) => void (c.iss = tenantIssuer) },
      };
      const base: OAuthClientConfig = { ...hostile.client, issuer: tenantIssuer };
      const seen: Array<Record<string, unknown>> = [];
      const hooks: OAuthClientHooks = {
        serverMetadata: (doc) => {
          seen.push(doc);
          return { ...doc, issuer: String(doc.issuer).replace('{tenantid}', 'tenant-a') };
        },
      };
      await start(platform, ['plain', 'fixed']);
      register('plain', base);
      register('fixed', { ...base, hooks });
      const browser = new Browser();

      const without = await browser.get(`${t!.origin}/auth/plain`);
      expect(expectFailure(without, 502, 'invalid_server_metadata').message).toContain('{tenantid}');

      const walk = await walkLogin(browser, `${t!.origin}/auth/fixed`, hostile);
      expect(walk.callback?.status, walk.callback?.text ?? walk.login.text).toBe(200);
      const { oauth } = walk.callback!.json<GuardAnswer>();
      expect(oauth.userinfo).toMatchObject({ iss: tenantIssuer, sub: 'hostile-user' });
      // The hook saw the provider's own document, before any check.
      expect(seen[0]).toMatchObject({ issuer: `${hostile.origin}/{tenantid}/v2.0`, token_endpoint: hostile.origin + HOSTILE_PATHS.token });
    });
  });

  describe('authorizationParams', () => {
    it('a client the provider requires to send signed request objects (RFC 9101) is refused (401 invalid_request); the hook folds the parameters into one and the login succeeds', async () => {
      await start(platform, ['plain', 'jar']);
      const clientId = await opClient(t!, ['plain', 'jar'], { require_signed_request_object: true, request_object_signing_alg: 'HS256' });
      const sent: URLSearchParams[] = [];
      register('plain', opConfig(clientId));
      register(
        'jar',
        opConfig(clientId, {
          hooks: {
            authorizationParams: async (params) => {
              sent.push(new URLSearchParams(params));
              const requestObject = await new SignJWT(Object.fromEntries(params))
                .setProtectedHeader({ alg: 'HS256' })
                .setIssuer(clientId)
                .setAudience(op.issuer)
                .setIssuedAt()
                .setExpirationTime('5m')
                .sign(new TextEncoder().encode(SECRET));
              return new URLSearchParams({ client_id: clientId, request: requestObject });
            },
          },
        }),
      );

      // Without the hook the provider refuses the request and says why in its redirect.
      const refused = new Browser();
      const { authorizationUrl } = await startAppLogin(refused, `${t!.origin}/auth/plain`);
      const back = new URL(await loginForCallbackUrl(refused, authorizationUrl.toString(), t!.origin));
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('error_description')).toMatch(/Request Object must be used/);
      const without = await refused.get(back.toString());
      expect(expectFailure(without, 401, 'invalid_request').message).toBe('The provider refused the authorization: invalid_request.');

      const browser = new Browser();
      const login = await browser.get(`${t!.origin}/auth/jar`);
      const authorization = new URL(login.location!);
      expect([...authorization.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
      // What the hook received: the request the module built, PKCE and nonce included.
      expect([...sent[0]!.keys()].sort()).toEqual(['client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state']);
      const res = await loginThroughApp(browser, `${t!.origin}/auth/jar`);
      expect(res.status, res.text).toBe(200);
      expect(res.json<GuardAnswer>().oauth.userinfo).toMatchObject({ sub: ALICE.sub, aud: clientId });
    });
  });

  describe('accessTokenRequest, refreshTokenRequest, revokeTokenRequest, introspectTokenRequest', () => {
    it('a token endpoint behind an API gateway that wants a key: the code exchange is invalid_client (401) without the hook; with it the login succeeds', async () => {
      await start(platform, ['plain', 'keyed']);
      const clientId = await opClient(t!, ['plain', 'keyed']);
      const seen: Array<{ method: string; url: string; headers: Headers; body: string }> = [];
      register('plain', gated(clientId, {}));
      register(
        'keyed',
        gated(clientId, {
          accessTokenRequest: (req) => {
            seen.push({ method: req.method, url: req.url, headers: new Headers(req.headers), body: String(req.body) });
            return addGatewayKey(req);
          },
        }),
      );

      const before = gatewayLog.length;
      const without = await loginThroughApp(new Browser(), `${t!.origin}/auth/plain`);
      expect(expectFailure(without, 401, 'invalid_client').message).toBe('The token endpoint refused the request: invalid_client.');
      expect(gatewayLog.slice(before).map((r) => `${r.method} ${r.path} ${r.headers['x-api-key'] ?? '-'}`)).toEqual([`POST ${PROVIDER_PATHS.token} -`]);

      const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/keyed`);
      expect(res.status, res.text).toBe(200);
      const { oauth } = res.json<GuardAnswer>();
      expect(oauth.userinfo).toMatchObject({ sub: ALICE.sub, aud: clientId });
      expect(typeof oauth.token.refresh_token).toBe('string');
      // The hook saw the whole code exchange: client authentication, code, verifier.
      expect(seen).toHaveLength(1);
      expect(seen[0]!.method).toBe('POST');
      expect(seen[0]!.url).toBe(`${gatewayOrigin}${PROVIDER_PATHS.token}`);
      expect(seen[0]!.headers.get('authorization')).toMatch(/^Basic /);
      expect([...new URLSearchParams(seen[0]!.body).keys()].sort()).toEqual(['code', 'code_verifier', 'grant_type', 'redirect_uri']);
    });

    it('refreshes go through the gateway too: invalid_client without refreshTokenRequest (logins still work), a new token with it, also inside an API call', async () => {
      await start(platform, ['keyed', 'full']);
      const clientId = await opClient(t!, ['keyed', 'full']);
      const keyed = register('keyed', gated(clientId, { accessTokenRequest: addGatewayKey }));
      const full = register('full', gated(clientId, { accessTokenRequest: addGatewayKey, refreshTokenRequest: addGatewayKey }));
      const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/full`);
      expect(res.status, res.text).toBe(200);
      const token = res.json<GuardAnswer>().oauth.token;

      await expect(keyed.refreshToken(token)).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
      const refreshed = await full.refreshToken(token);
      expect(refreshed.access_token).not.toBe(token.access_token);
      expect(refreshed.userinfo).toMatchObject({ sub: ALICE.sub });
      const api = await full.get('me', { token: refreshed });
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject<Partial<ResourceAnswer>>({ sub: ALICE.sub, authorization: `Bearer ${refreshed.access_token}` });

      // An expired token is refreshed through the hook before the call.
      const call = await full.get('me', { token: { ...refreshed, expires_at: nowS() - 5 } });
      expect(call.status).toBe(200);
      const used = ((await call.json()) as ResourceAnswer).authorization;
      expect(used).not.toBe(`Bearer ${refreshed.access_token}`);
      expect(used).toMatch(/^Bearer /);
    });

    it('revocation (RFC 7009) and introspection (RFC 7662) behind the gateway: invalid_client without their hooks; with them the token is introspected and really revoked', async () => {
      await start(platform, ['keyed', 'full']);
      const clientId = await opClient(t!, ['keyed', 'full']);
      const keyed = register('keyed', gated(clientId, { accessTokenRequest: addGatewayKey }));
      const full = register(
        'full',
        gated(clientId, { accessTokenRequest: addGatewayKey, revokeTokenRequest: addGatewayKey, introspectTokenRequest: addGatewayKey }),
      );
      const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/keyed`);
      expect(res.status, res.text).toBe(200);
      const token = res.json<GuardAnswer>().oauth.token;

      await expect(keyed.introspectToken(token)).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
      await expect(keyed.revokeToken(token)).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
      expect((await full.get('me', { token })).status).toBe(200);

      expect(await full.introspectToken(token)).toMatchObject({ active: true, sub: ALICE.sub, client_id: clientId });
      await full.revokeToken(token);
      const after = await full.get('me', { token });
      expect(after.status).toBe(401);
      expect(await after.json()).toEqual({ error: 'invalid_token' });
      expect(await full.introspectToken(token)).toEqual({ active: false });
    });
  });

  describe('accessTokenResponse', () => {
    const answers = [
      {
        name: 'Slack-style, without token_type',
        respond: (body: Record<string, unknown>) => ({
          status: 200,
          body: JSON.stringify({ ok: true, access_token: body.access_token, scope: body.scope, team: { id: 'T0001' } }),
        }),
        message: 'The token endpoint answered a token_type other than Bearer; only bearer tokens are supported.',
        hook: (res: ProviderResponse): ProviderResponse => ({ ...res, body: { token_type: 'bearer', ...(res.body as object) } }),
        expiresIn: undefined,
      },
      {
        name: 'nested under "data"',
        respond: (body: Record<string, unknown>) => ({ status: 200, body: JSON.stringify({ data: body }) }),
        message: 'The token endpoint answered without a string access_token.',
        hook: (res: ProviderResponse): ProviderResponse => ({ ...res, body: (res.body as { data: unknown }).data }),
        expiresIn: 3600,
      },
      {
        name: 'StackOverflow-style, form-encoded with "expires"',
        respond: (body: Record<string, unknown>) => ({
          status: 200,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ access_token: String(body.access_token), expires: '86400' }).toString(),
        }),
        message: 'The token endpoint answered a token_type other than Bearer; only bearer tokens are supported.',
        hook: (res: ProviderResponse): ProviderResponse => {
          const form = res.body as Record<string, string>;
          return { ...res, body: { access_token: form.access_token, token_type: 'bearer', expires_in: Number(form.expires) } };
        },
        expiresIn: 86400,
      },
    ];

    it.each(answers)('a token answer $name is invalid_response (502) without the hook; the hook repairs it and the token works', async (a) => {
      hostile.scenario = { token: { respond: a.respond } };
      const base: OAuthClientConfig = { ...hostile.client, scope: 'read', apiBaseUrl: hostile.origin };
      await start(platform, ['plain', 'fixed']);
      register('plain', base);
      const fixed = register('fixed', { ...base, hooks: { accessTokenResponse: a.hook } });

      const without = await walkLogin(new Browser(), `${t!.origin}/auth/plain`, hostile);
      expect(expectFailure(without.callback!, 502, 'invalid_response').message).toBe(a.message);

      const startedAt = nowS();
      const walk = await walkLogin(new Browser(), `${t!.origin}/auth/fixed`, hostile);
      expect(walk.callback?.status, walk.callback?.text).toBe(200);
      const { token } = walk.callback!.json<GuardAnswer>().oauth;
      expect(token.access_token).toBe(hostile.exchanges.at(-1)!.accessToken);
      expect(token.token_type.toLowerCase()).toBe('bearer');
      if (a.expiresIn === undefined) {
        expect(token.expires_at).toBeUndefined();
      } else {
        expect(token.expires_in).toBe(a.expiresIn);
        expect(token.expires_at).toBeGreaterThanOrEqual(startedAt + a.expiresIn);
        expect(token.expires_at).toBeLessThanOrEqual(nowS() + a.expiresIn);
      }
      // The provider itself accepts the repaired token.
      const me = await fixed.get(HOSTILE_PATHS.userinfo, { token });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: 'hostile-user' });
    });
  });

  describe('accessTokenResponse and the error mapping', () => {
    it("a refusal in the provider's own shape is invalid_response (502) without the hook; mapped to an OAuth error by the hook, it is judged as one (401 and its code)", async () => {
      hostile.scenario = {
        token: { respond: { status: 400, body: JSON.stringify({ errors: [{ code: 'bad_verification_code', message: 'The code is incorrect or expired.' }] }) } },
      };
      const base: OAuthClientConfig = { ...hostile.client, scope: 'read' };
      await start(platform, ['plain', 'mapped']);
      register('plain', base);
      register('mapped', {
        ...base,
        hooks: {
          accessTokenResponse: (res) => {
            const first = (res.body as { errors?: Array<{ code?: string; message?: string }> }).errors?.[0];
            if (first?.code !== 'bad_verification_code') return res;
            return { ...res, body: { error: 'invalid_grant', error_description: first.message } };
          },
        },
      });
      const without = await walkLogin(new Browser(), `${t!.origin}/auth/plain`, hostile);
      expect(expectFailure(without.callback!, 502, 'invalid_response').message).toBe('The token endpoint answered HTTP 400.');
      const mapped = await walkLogin(new Browser(), `${t!.origin}/auth/mapped`, hostile);
      expect(expectFailure(mapped.callback!, 401, 'invalid_grant').message).toBe('The token endpoint refused the request: invalid_grant.');
    });
  });

  describe('refreshTokenResponse', () => {
    it('a refresh answer nested under "data" is invalid_response without the hook; with it the refresh and the API call that needs it succeed', async () => {
      const base: OAuthClientConfig = { ...hostile.client, scope: 'read', apiBaseUrl: hostile.origin };
      await start(platform, ['plain', 'fixed']);
      const plain = register('plain', base);
      const fixed = register('fixed', {
        ...base,
        hooks: { refreshTokenResponse: (res) => ({ ...res, body: (res.body as { data: unknown }).data }) },
      });
      const walk = await walkLogin(new Browser(), `${t!.origin}/auth/fixed`, hostile);
      expect(walk.callback?.status, walk.callback?.text).toBe(200);
      const token = walk.callback!.json<GuardAnswer>().oauth.token;
      expect(typeof token.refresh_token).toBe('string');
      hostile.scenario = { refresh: { respond: (body) => ({ status: 200, body: JSON.stringify({ data: body }) }) } };

      await expect(plain.refreshToken(token)).rejects.toMatchObject({ code: 'invalid_response', message: 'The refresh endpoint answered without a string access_token.' });
      const updates: TokenUpdateEvent[] = [];
      const sub = t!.app.get(OAuthRegistry).tokenUpdate$.subscribe((e) => updates.push(e));
      try {
        // An API call holding the expired token refreshes it through the hook first.
        const call = await fixed.get(HOSTILE_PATHS.userinfo, { token: { ...token, expires_at: nowS() - 5 } });
        expect(call.status).toBe(200);
      } finally {
        sub.unsubscribe();
      }
      const exchange = hostile.exchanges.at(-1)!;
      expect(exchange.grantType).toBe('refresh_token');
      expect(updates).toHaveLength(1);
      expect(updates[0]!.name).toBe('fixed');
      expect(updates[0]!.token.access_token).toBe(exchange.accessToken);
      expect(updates[0]!.token.access_token).not.toBe(token.access_token);
      // The nested answer had no refresh_token: the one used is kept (RFC 6749 section 6).
      expect(updates[0]!.token.refresh_token).toBe(token.refresh_token);
      expect(updates[0]!.refreshToken).toBe(token.refresh_token);
    });
  });

  describe('protectedRequest', () => {
    it('an API that wants a Client-Id header (as Twitch Helix does) answers 400 without the hook; the hook adds it before the token and the call succeeds', async () => {
      await start(platform, ['helix']);
      const clientId = await opClient(t!, ['helix']);
      rs.requiredHeaders.set('client-id', clientId);
      const seen: Array<{ method: string; url: string; authorization: string | null }> = [];
      const base = opConfig(clientId, { apiBaseUrl: `${rs.origin}/helix/` });
      const plain = register('plain', base);
      const helix = register('helix', {
        ...base,
        hooks: {
          protectedRequest: (req) => {
            seen.push({ method: req.method, url: req.url, authorization: req.headers.get('authorization') });
            req.headers.set('client-id', clientId);
            return req;
          },
        },
      });
      const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/helix`);
      expect(res.status, res.text).toBe(200);
      const token = res.json<GuardAnswer>().oauth.token;

      const without = await plain.get('users', { token, query: { login: 'alice' } });
      expect(without.status).toBe(400);
      expect(await without.json()).toEqual({ error: 'invalid_request', error_description: 'the client-id header is required' });

      const withHook = await helix.get('users', { token, query: { login: 'alice' } });
      expect(withHook.status).toBe(200);
      expect(await withHook.json()).toMatchObject<Partial<ResourceAnswer>>({
        url: '/helix/users?login=alice',
        sub: ALICE.sub,
        placement: 'header',
        authorization: `Bearer ${token.access_token}`,
      });
      // The hook ran before the token was added.
      expect(seen).toEqual([{ method: 'GET', url: `${rs.origin}/helix/users?login=alice`, authorization: null }]);
    });
  });

  describe('protectedRequest on OAuth 1', () => {
    it("runs before the request is signed: Authlib's server verifies a signature that covers the query and form fields the hook added", async () => {
      await start(platform, ['x']);
      const x = t!.app.get(OAuthRegistry).register('x', {
        ...oauth1.clients.hmac,
        requestTokenUrl: `${oauth1.origin}/initiate`,
        authorizeUrl: `${oauth1.origin}/authorize`,
        accessTokenUrl: `${oauth1.origin}/token`,
        apiBaseUrl: `${oauth1.origin}/api/`,
        hooks: {
          protectedRequest: (req) => {
            const url = new URL(req.url);
            url.searchParams.append('include_entities', 'true');
            req.url = url.toString();
            if (req.body instanceof URLSearchParams) req.body.append('via', 'hook + signature');
            return req;
          },
        },
      }) as OAuth1Client;
      const browser = new Browser();
      const login = await browser.get(`${t!.origin}/auth/x`);
      const back = await browser.get(login.location!);
      const res = await browser.get(back.location!);
      expect(res.status, res.text).toBe(200);
      const token = res.json<{ oauth: { token: OAuth1Token } }>().oauth.token;

      const post = await x.post('me', { token, query: { q: 'a' }, form: { status: 'hi' } });
      expect(post.status).toBe(200);
      expect(await post.json()).toMatchObject({
        user_id: 'alice',
        query: { q: ['a'], include_entities: ['true'] },
        form: { status: ['hi'], via: ['hook + signature'] },
      });
    });
  });

  describe('userinfo', () => {
    it('a GitHub-style profile (numeric id, no sub) is invalid_userinfo (401) without the hook; mapped to OpenID names at login, in userinfo({ token }) and userinfo({ req })', async () => {
      const fetched: Array<[string, unknown]> = [];
      const stored = new Map<unknown, OAuth2Token>();
      await start(platform, ['plain', 'mapped'], {
        fetchToken: async (name, req) => {
          fetched.push([name, req]);
          return stored.get(req);
        },
      });
      const clientId = await opClient(t!, ['plain', 'mapped']);
      rs.views.set('/user', (who) => ({
        id: 4242,
        login: who.sub,
        name: ALICE.name,
        email: ALICE.email,
        avatar_url: 'https://avatars.example/u/4242',
      }));
      // Plain OAuth 2 (no openid): the profile endpoint is the only source of the user.
      const base = opConfig(clientId, { scope: 'profile', userinfoUrl: `${rs.origin}/user`, fetchUserinfo: true });
      const plain = register('plain', base);
      const mapped = register('mapped', {
        ...base,
        hooks: {
          userinfo: (raw) => ({
            sub: String(raw.id),
            preferred_username: raw.login,
            name: raw.name,
            email: raw.email,
            picture: raw.avatar_url,
          }),
        },
      });
      const expected = { sub: '4242', preferred_username: ALICE.sub, name: ALICE.name, email: ALICE.email, picture: 'https://avatars.example/u/4242' };

      const without = await loginThroughApp(new Browser(), `${t!.origin}/auth/plain`);
      expect(expectFailure(without, 401, 'invalid_userinfo').message).toBe('The userinfo answer has no string "sub".');

      const res = await loginThroughApp(new Browser(), `${t!.origin}/auth/mapped`);
      expect(res.status, res.text).toBe(200);
      const { oauth } = res.json<GuardAnswer>();
      expect(oauth.userinfo).toEqual(expected);
      expect(oauth.token.id_token).toBeUndefined();

      expect(await mapped.userinfo({ token: oauth.token })).toEqual(expected);
      await expect(plain.userinfo({ token: oauth.token })).rejects.toMatchObject({ code: 'invalid_userinfo' });
      const req = { session: 'alice-session' };
      stored.set(req, oauth.token);
      expect(await mapped.userinfo({ req })).toEqual(expected);
      expect(fetched).toEqual([['mapped', req]]);
    });
  });

  describe('a hook that throws', () => {
    it('fails the login with 502 hook_failed and its message; an OAuthError it throws on purpose is kept', async () => {
      await start(platform, ['broken', 'refusing', 'early']);
      register('broken', {
        ...hostile.client,
        hooks: {
          accessTokenResponse: () => {
            throw new TypeError('the team object is missing');
          },
        },
      });
      register('refusing', {
        ...hostile.client,
        hooks: {
          accessTokenResponse: () => {
            throw new OAuthProviderError('access_denied', 'This workspace may not sign in here.');
          },
        },
      });
      register('early', {
        ...hostile.client,
        hooks: {
          authorizationParams: () => {
            throw new Error('no tenant for this login');
          },
        },
      });

      const broken = await walkLogin(new Browser(), `${t!.origin}/auth/broken`, hostile);
      expect(expectFailure(broken.callback!, 502, 'hook_failed').message).toBe(
        'The accessTokenResponse hook of OAuth client "broken" failed: the team object is missing',
      );
      const refusing = await walkLogin(new Browser(), `${t!.origin}/auth/refusing`, hostile);
      expect(expectFailure(refusing.callback!, 401, 'access_denied').message).toBe('This workspace may not sign in here.');

      const mark = hostile.mark();
      const early = await new Browser().get(`${t!.origin}/auth/early`);
      expect(expectFailure(early, 502, 'hook_failed').message).toBe('The authorizationParams hook of OAuth client "early" failed: no tenant for this login');
      // Discovery may be read; nothing reached the authorization endpoint.
      expect(hostile.count(HOSTILE_PATHS.authorize, mark)).toBe(0);
    });

    it('a hook that returns nothing (plain JavaScript, or a cast) fails with hook_failed naming it, at login and in an API call', async () => {
      await start(platform, ['silent']);
      // What a hook written in JavaScript does when it changes its argument and forgets to return it.
      const forgetful = ((req: ProviderRequest) => void req.headers.set('x-forgotten', '1')) as unknown as (req: ProviderRequest) => ProviderRequest;
      const silent = register('silent', { ...hostile.client, apiBaseUrl: hostile.origin, hooks: { accessTokenRequest: forgetful, protectedRequest: forgetful } });
      const mark = hostile.mark();
      const walk = await walkLogin(new Browser(), `${t!.origin}/auth/silent`, hostile);
      expect(expectFailure(walk.callback!, 502, 'hook_failed').message).toBe(
        'The accessTokenRequest hook of OAuth client "silent" returned nothing; a hook returns what it was given, changed.',
      );
      expect(hostile.count(HOSTILE_PATHS.token, mark)).toBe(0);
      await expect(silent.get(HOSTILE_PATHS.userinfo, { token: { access_token: 'x', token_type: 'bearer' } })).rejects.toMatchObject({
        name: 'OAuthHookError',
        code: 'hook_failed',
        message: 'The protectedRequest hook of OAuth client "silent" returned nothing; a hook returns what it was given, changed.',
      });
    });
  });
});
