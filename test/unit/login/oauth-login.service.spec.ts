import { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientContext } from '../../../lib/clients/client-context.js';
import type { ResolvedModuleOptions } from '../../../lib/config/resolve-module-options.js';
import { validateClientConfig } from '../../../lib/config/validate-client.js';
import { OAuth2Client, OAuthValidationError, type OAuth2Token } from '../../../lib/index.js';
import { OAuthLoginService } from '../../../lib/login/oauth-login.service.js';
import { OAuthStateBackend } from '../../../lib/login/state-backend.provider.js';
import { Browser } from '../../support/browser.js';
import { FakeBrowser } from '../../support/fake-browser.js';
import { ALICE, loginForCallbackUrl, loginForFormPost, startOidcProvider, type OidcProviderHarness } from '../../support/oidc-provider.js';

const APP = 'http://localhost:3000';
const LOGIN_PATH = '/login/op';

let op: OidcProviderHarness;
/** URLs the clients sent requests to: a refused callback must add none. */
const sent: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  sent.push(input instanceof Request ? input.url : String(input));
  return fetch(input, init);
};

const options: ResolvedModuleOptions = {
  settings: { get: () => undefined },
  http: { fetch: recordingFetch, timeout: 10_000 },
  stateStore: 'cookie',
  stateSecrets: ['k'.repeat(32)],
  stateTtl: 600,
  maxResolvedClients: 1000,
  resolvedClientTtl: 3600,
};
// The real backend provider on the cookie store; with a store named in the options
// it never looks at the module graph, so no ModuleRef is needed.
const backend = new OAuthStateBackend(options, undefined as unknown as ModuleRef);
const service = new OAuthLoginService(backend, options);

function client(name: string, config: Record<string, unknown>): OAuth2Client {
  const ctx: ClientContext = {
    config: validateClientConfig(name, config),
    http: options.http,
    login: service,
    emitTokenUpdate: () => undefined,
    emitLogout: () => undefined,
    logger: new Logger('test'),
  };
  return new OAuth2Client(ctx);
}

/** A client with fixed endpoints that are never reached in these tests. */
const offline = (name: string, extra: Record<string, unknown> = {}) =>
  client(name, { clientId: `${name}-id`, clientSecret: 's', authorizeUrl: `https://${name}.example/authorize`, accessTokenUrl: `https://${name}.example/token`, ...extra });

/** Starts a login in `browser` at `url` and returns the provider URL and the Set-Cookie lines. */
async function start(c: OAuth2Client, browser: FakeBrowser, url = LOGIN_PATH, opts: Parameters<OAuthLoginService['start']>[3] = {}) {
  const x = browser.exchange({ url, method: 'GET', host: 'localhost:3000' });
  const providerUrl = new URL(await service.start(c, x.req, x.res, opts));
  return { providerUrl, cookies: x.commit() };
}

/** The pending login the browser holds for `state`, read (and used up) through the backend. */
async function pendingOf(browser: FakeBrowser, state: string) {
  const x = browser.exchange();
  return backend.take(x.req, x.res, state);
}

beforeAll(async () => {
  op = await startOidcProvider({ clients: [{ client_id: 'app', client_secret: 'app-secret', redirect_uris: [`${APP}${LOGIN_PATH}`] }] });
});
afterAll(async () => {
  await op.close();
});

describe('OAuthLoginService.start', () => {
  it('stores the pending login under its state with the client name, in a cookie, and returns the provider URL', async () => {
    const a = offline('alpha', { scope: 'openid' });
    const b = new FakeBrowser();
    const { providerUrl, cookies } = await start(a, b);
    expect(providerUrl.origin + providerUrl.pathname).toBe('https://alpha.example/authorize');
    // No redirectUri configured: the login route itself, on the request's origin.
    expect(providerUrl.searchParams.get('redirect_uri')).toBe(`${APP}${LOGIN_PATH}`);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^oauth_s_lax=[\w.-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600/);
    const state = providerUrl.searchParams.get('state')!;
    const pending = await pendingOf(b, state);
    expect(pending).toMatchObject({ c: 'alpha', redirect_uri: `${APP}${LOGIN_PATH}`, openid: true, nonce: providerUrl.searchParams.get('nonce') });
    expect(typeof pending!.code_verifier).toBe('string');
    // The URL and the state are not stored: the state is the key.
    expect(pending).not.toHaveProperty('url');
    expect(pending).not.toHaveProperty('state');
  });

  it('keeps a safe ?next= as returnTo when asked, and drops an unsafe one', async () => {
    const a = offline('alpha');
    const b = new FakeBrowser();
    const kept = await start(a, b, `${LOGIN_PATH}?next=${encodeURIComponent('/orders?id=7')}`, { returnTo: true });
    expect(await pendingOf(b, kept.providerUrl.searchParams.get('state')!)).toMatchObject({ c: 'alpha', returnTo: '/orders?id=7' });

    for (const next of ['//evil.example', 'https://evil.example', '/a\\b']) {
      const dropped = await start(a, b, `${LOGIN_PATH}?next=${encodeURIComponent(next)}`, { returnTo: true });
      expect(await pendingOf(b, dropped.providerUrl.searchParams.get('state')!)).not.toHaveProperty('returnTo');
    }
    const twice = await start(a, b, `${LOGIN_PATH}?next=%2Fa&next=%2Fb`, { returnTo: true });
    expect(await pendingOf(b, twice.providerUrl.searchParams.get('state')!)).not.toHaveProperty('returnTo');
    const notAsked = await start(a, b, `${LOGIN_PATH}?next=%2Fhome`);
    expect(await pendingOf(b, notAsked.providerUrl.searchParams.get('state')!)).not.toHaveProperty('returnTo');
  });

  it('resolves a configured or given path against the request origin', async () => {
    const b = new FakeBrowser();
    const configured = await start(offline('alpha', { redirectUri: '/auth/callback' }), b);
    expect(configured.providerUrl.searchParams.get('redirect_uri')).toBe(`${APP}/auth/callback`);
    const given = await start(offline('alpha', { redirectUri: '/auth/callback' }), b, LOGIN_PATH, { redirectUri: 'https://other.example/cb' });
    expect(given.providerUrl.searchParams.get('redirect_uri')).toBe('https://other.example/cb');
  });

  it('a form_post login keeps its state in a SameSite=None; Secure cookie (the callback is a cross-site POST)', async () => {
    const b = new FakeBrowser();
    const perLogin = await start(offline('alpha'), b, LOGIN_PATH, { params: { response_mode: 'form_post' } });
    expect(perLogin.cookies.at(-1)).toMatch(/; Secure; SameSite=None|; SameSite=None.*; Secure/);
    const configured = await start(offline('beta', { authorizeParams: { response_mode: 'form_post' } }), b);
    expect(configured.cookies.at(-1)).toMatch(/SameSite=None/);
    expect(configured.cookies.at(-1)).toMatch(/; Secure/);
    const plain = await start(offline('gamma'), b);
    expect(plain.cookies.at(-1)).toMatch(/SameSite=Lax/);
    expect(plain.cookies.at(-1)).not.toMatch(/; Secure/);
  });
});

describe('OAuthLoginService.complete', () => {
  it('refuses a callback whose pending login belongs to another client, and sends nothing', async () => {
    const alpha = offline('alpha');
    const beta = offline('beta');
    const b = new FakeBrowser();
    const { providerUrl } = await start(alpha, b);
    const state = providerUrl.searchParams.get('state')!;
    sent.length = 0;
    const x = b.exchange({ url: `${LOGIN_PATH}?code=stolen-code&state=${state}`, method: 'GET', host: 'localhost:3000' });
    const err = await service.complete(beta, x.req, x.res).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthValidationError);
    expect(err).toMatchObject({
      code: 'mismatching_state',
      message: 'The callback state is unknown, expired, already used, or belongs to another browser or client; start the login again.',
    });
    expect(sent).toEqual([]);
  });

  it('refuses a callback in a browser that did not start the login, and sends nothing', async () => {
    const alpha = offline('alpha');
    const { providerUrl } = await start(alpha, new FakeBrowser());
    sent.length = 0;
    const x = new FakeBrowser().exchange({ url: `${LOGIN_PATH}?code=c&state=${providerUrl.searchParams.get('state')}`, method: 'GET' });
    await expect(service.complete(alpha, x.req, x.res)).rejects.toMatchObject({ code: 'mismatching_state' });
    expect(sent).toEqual([]);
  });

  it('completes a real login at oidc-provider: token, validated claims and returnTo; a replay is refused', async () => {
    const c = client('op', { clientId: 'app', clientSecret: 'app-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid email' });
    const b = new FakeBrowser();
    const { providerUrl } = await start(c, b, `${LOGIN_PATH}?next=%2Fdashboard`, { returnTo: true });
    const callback = new URL(await loginForCallbackUrl(new Browser(), providerUrl.toString(), APP));
    const x = b.exchange({ url: callback.pathname + callback.search, method: 'GET', host: 'localhost:3000' });
    const result = await service.complete(c, x.req, x.res);
    x.commit();
    expect(result.client).toBe('op');
    expect(result.returnTo).toBe('/dashboard');
    expect(typeof (result.token as OAuth2Token).access_token).toBe('string');
    expect(result.userinfo).toMatchObject({ sub: ALICE.sub, iss: op.issuer, aud: 'app' });

    const replay = b.exchange({ url: callback.pathname + callback.search, method: 'GET', host: 'localhost:3000' });
    await expect(service.complete(c, replay.req, replay.res)).rejects.toMatchObject({ code: 'mismatching_state' });
  });

  it('completes a form_post callback from its POST body', async () => {
    const c = client('op', { clientId: 'app', clientSecret: 'app-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid' });
    const b = new FakeBrowser();
    const { providerUrl } = await start(c, b, LOGIN_PATH, { params: { response_mode: 'form_post' } });
    const form = await loginForFormPost(new Browser(), providerUrl.toString(), APP);
    const x = b.exchange({ url: new URL(form.action).pathname, method: 'POST', body: form.fields, host: 'localhost:3000' });
    const result = await service.complete(c, x.req, x.res);
    expect(result.userinfo?.sub).toBe(ALICE.sub);
  });

  it('serves the seed\'s two calls on a client: authorizeRedirect answers 302, authorizeAccessToken returns the token', async () => {
    const c = client('op', { clientId: 'app', clientSecret: 'app-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid' });
    const b = new FakeBrowser();
    const x = b.exchange({ url: LOGIN_PATH, method: 'GET', host: 'localhost:3000' });
    await c.authorizeRedirect(x.req, x.res);
    x.commit();
    const answer = x.answer();
    expect(answer.status).toBe(302);
    expect(answer.ended).toBe(true);
    expect(answer.headers['cache-control']).toBe('no-store');
    const callback = new URL(await loginForCallbackUrl(new Browser(), answer.headers.location!, APP));
    const y = b.exchange({ url: callback.pathname + callback.search, method: 'GET', host: 'localhost:3000' });
    const token = await c.authorizeAccessToken(y.req, y.res);
    expect(token.userinfo?.sub).toBe(ALICE.sub);
  });
});
