/**
 * The PAR and DPoP pieces against real peers, without Nest: oidc-provider with
 * pushed requests required, DPoP-bound tokens and DPoP nonces required, and a
 * resource server that checks each proof and the token's `cnf.jkt` through
 * introspection. The flow is the one the OAuth 2 client will run:
 * push (client authentication, DPoP proof, nonce retry) -> authorize with
 * `request_uri` -> code exchange with a proof -> `token_type` DPoP -> userinfo ->
 * refresh -> API calls with the resource server's nonce challenges.
 */
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientAuthenticator } from '../../lib/clients/oauth2/client-auth.js';
import { createDpopSigner, expectDpopTokenType, sendWithDpop, type DpopSigner } from '../../lib/clients/oauth2/dpop.js';
import { randomToken, s256Challenge } from '../../lib/clients/oauth2/pkce.js';
import {
  pushAuthorizationRequest,
  pushedAuthorizationEndpoint,
  pushedAuthorizationUrl,
  usesPushedAuthorization,
  type AuthenticatedFormPost,
} from '../../lib/clients/oauth2/pushed-authorization.js';
import { throwIfOAuthError } from '../../lib/clients/oauth2/token-response.js';
import { validateClientConfig } from '../../lib/config/validate-client.js';
import { expectSuccess, parseJsonObject, providerRequest } from '../../lib/http/provider-http.js';
import { OAuthProviderError, OAuthResponseError, type OAuthClientConfig } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startDpopResourceServer, type DpopResourceAnswer, type DpopResourceServer } from '../support/dpop-resource-server.js';
import { FAPI_PATHS, fapiClient, startFapiProvider } from '../support/oidc-provider-fapi.js';
import { ALICE, loginForCallbackUrl, type OidcProviderHarness } from '../support/oidc-provider.js';

const APP = 'http://127.0.0.1:9';
const REDIRECT = `${APP}/cb`;
const SCOPE = 'openid offline_access profile';

let op: OidcProviderHarness;
let rs: DpopResourceServer;
let meta: Record<string, unknown>;
const http = { fetch: globalThis.fetch, timeout: 5000 };

const clientEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JWK;
const clientPublic = { kty: 'EC', crv: 'P-256', x: clientEc.x, y: clientEc.y, kid: 'app-1', alg: 'ES256', use: 'sig' };
const dpopEd = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;

/** The library's client authentication over the library's provider request: what the client's endpointRequest does. */
function authenticatedPost(name: string, config: Partial<OAuthClientConfig>): AuthenticatedFormPost {
  const auth = new ClientAuthenticator(validateClientConfig(name, { serverMetadataUrl: op.discoveryUrl, ...config }));
  return async (url, form, headers) => {
    const h: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers };
    await auth.apply(form, h, op.issuer);
    return providerRequest(url, { method: 'POST', headers: h, body: form.toString(), maxBytes: 1 << 20, what: 'provider' }, http);
  };
}

const tokenEndpoint = () => meta.token_endpoint as string;
const userinfoEndpoint = () => meta.userinfo_endpoint as string;

/** A code exchange or refresh with a proof, parsed and held to token_type DPoP. */
async function tokenRequest(signer: DpopSigner, post: AuthenticatedFormPost, form: Record<string, string>) {
  const what = 'token endpoint';
  const res = await sendWithDpop(
    signer,
    { htm: 'POST', htu: tokenEndpoint() },
    (proof) => post(tokenEndpoint(), new URLSearchParams(form), { dpop: proof }),
    { what },
  );
  const body = parseJsonObject(res, what);
  throwIfOAuthError(body, res.status, what);
  expectSuccess(res, what);
  expectDpopTokenType(body.token_type, what, res.status);
  return body as { access_token: string; token_type: string; refresh_token?: string; id_token?: string; expires_in: number };
}

/** A protected GET with the token under the DPoP scheme and a proof with `ath`. */
function dpopGet(signer: DpopSigner, url: string, accessToken: string): Promise<Response> {
  return sendWithDpop(
    signer,
    { htm: 'GET', htu: url, accessToken },
    (proof) => fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } }),
    { what: 'resource server' },
  );
}

interface Login {
  code: string;
  verifier: string;
  requestUri: string;
  authorizationUrl: URL;
}

/** Push, then play the user at the provider with the request_uri; returns the code. */
async function login(signer: DpopSigner, post: AuthenticatedFormPost, clientId: string, opts: { proofAtPush: boolean }): Promise<Login> {
  const verifier = randomToken();
  const state = randomToken();
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state,
    nonce: randomToken(),
    code_challenge: s256Challenge(verifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
    dpop_jkt: signer.thumbprint,
  };
  const pushed = await pushAuthorizationRequest({
    endpoint: pushedAuthorizationEndpoint(clientId, meta),
    params,
    send: post,
    ...(opts.proofAtPush ? { dpop: signer } : {}),
  });
  const authorizationUrl = new URL(pushedAuthorizationUrl(meta.authorization_endpoint as string, clientId, pushed.requestUri));
  const back = new URL(await loginForCallbackUrl(new Browser(), authorizationUrl.toString(), APP));
  expect(back.searchParams.get('state')).toBe(state);
  expect(back.searchParams.get('iss')).toBe(op.issuer);
  return { code: back.searchParams.get('code')!, verifier, requestUri: pushed.requestUri, authorizationUrl };
}

const codeExchange = (l: Login) => ({ grant_type: 'authorization_code', code: l.code, redirect_uri: REDIRECT, code_verifier: l.verifier });

/** The DPoP proofs the provider received on `path` since request index `from`. */
function proofsAt(path: string, from: number) {
  return op.requests
    .slice(from)
    .filter((r) => r.path === path)
    .map((r) => (r.headers.dpop === undefined ? undefined : decodeJwt(r.headers.dpop)));
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${op.issuer}${FAPI_PATHS.introspection}`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from('rs:rs-secret-0123456789abcdef0123456789abcdef').toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  op = await startFapiProvider();
  await op.addClient({
    client_id: 'rs',
    client_secret: 'rs-secret-0123456789abcdef0123456789abcdef',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  });
  await op.addClient(
    fapiClient({
      client_id: 'fapi-app',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientPublic] },
      redirect_uris: [REDIRECT],
    }),
  );
  meta = (await (await fetch(op.discoveryUrl)).json()) as Record<string, unknown>;
  rs = await startDpopResourceServer({
    introspectionUrl: `${op.issuer}${FAPI_PATHS.introspection}`,
    clientId: 'rs',
    clientSecret: 'rs-secret-0123456789abcdef0123456789abcdef',
  });
});
afterAll(async () => {
  await rs?.close();
  await op?.close();
});
afterEach(() => {
  rs.alwaysChallenge = false;
  rs.rotateOnSuccess = false;
  rs.requireNonce = true;
  expect(op.serverErrors).toEqual([]);
});

describe('the provider as configured', () => {
  it('announces PAR as required and DPoP, and refuses an authorization request that was not pushed', async () => {
    expect(meta.require_pushed_authorization_requests).toBe(true);
    expect(meta.pushed_authorization_request_endpoint).toBe(`${op.issuer}${FAPI_PATHS.par}`);
    expect(meta.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA']));
    expect(usesPushedAuthorization(undefined, meta)).toBe(true);
    const direct = new URL(meta.authorization_endpoint as string);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: 'fapi-app', redirect_uri: REDIRECT, scope: 'openid', state: 's' })) {
      direct.searchParams.set(k, v);
    }
    const res = await new Browser().get(direct.toString());
    const back = new URL(res.location!);
    expect(back.origin).toBe(APP);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'Pushed Authorization Request must be used',
      state: 's',
      iss: op.issuer,
    });
  });
});

describe('the whole flow, PAR with a DPoP proof', () => {
  let signer: DpopSigner;
  let post: AuthenticatedFormPost;
  let token: Awaited<ReturnType<typeof tokenRequest>>;

  beforeAll(() => {
    signer = createDpopSigner({ privateKey: JSON.stringify(dpopEd) }, { client: 'fapi' })!;
    post = authenticatedPost('fapi', { clientId: 'fapi-app', tokenEndpointAuthMethod: 'private_key_jwt', clientKey: clientEc as Record<string, unknown> });
  });

  it('push -> authorize with request_uri only -> code exchange with a proof -> a DPoP-bound token', async () => {
    const from = op.requests.length;
    const l = await login(signer, post, 'fapi-app', { proofAtPush: true });
    expect(l.requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    // The browser carried nothing but these two.
    expect([...l.authorizationUrl.searchParams.keys()]).toEqual(['client_id', 'request_uri']);
    // The push met the nonce challenge once: a proof without nonce, then one with it.
    const pushes = proofsAt(FAPI_PATHS.par, from);
    expect(pushes).toHaveLength(2);
    expect(pushes[0]!.nonce).toBeUndefined();
    expect(typeof pushes[1]!.nonce).toBe('string');
    expect(pushes.map((p) => [p!.htm, p!.htu])).toEqual([
      ['POST', `${op.issuer}${FAPI_PATHS.par}`],
      ['POST', `${op.issuer}${FAPI_PATHS.par}`],
    ]);
    // Both pushes carried their own client assertion (each jti is single-use).
    const assertions = op.requests.slice(from).filter((r) => r.path === FAPI_PATHS.par);
    expect(assertions).toHaveLength(2);

    const beforeToken = op.requests.length;
    token = await tokenRequest(signer, post, codeExchange(l));
    // The nonce learnt at the push served the code exchange: one request, no challenge.
    const exchanges = proofsAt(FAPI_PATHS.token, beforeToken);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.nonce).toBe(pushes[1]!.nonce);
    expect(exchanges[0]!.ath).toBeUndefined();
    expect(token.token_type).toBe('DPoP');
    expect(typeof token.refresh_token).toBe('string');
    expect(decodeJwt(token.id_token!)).toMatchObject({ sub: ALICE.sub, aud: 'fapi-app' });
    const info = await introspect(token.access_token);
    expect(info).toMatchObject({ active: true, sub: ALICE.sub, client_id: 'fapi-app', token_type: 'DPoP', cnf: { jkt: signer.thumbprint } });
  });

  it('userinfo takes the token with a proof under the DPoP scheme; as a Bearer token it is refused', async () => {
    const from = op.requests.length;
    const res = await dpopGet(signer, userinfoEndpoint(), token.access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: ALICE.sub, name: ALICE.name });
    const proofs = proofsAt(FAPI_PATHS.userinfo, from);
    // Same server as the token endpoint: its remembered nonce is good, one request.
    expect(proofs).toHaveLength(1);
    expect(proofs[0]).toMatchObject({ htm: 'GET', htu: userinfoEndpoint(), nonce: signer.nonceFor(userinfoEndpoint()) });
    expect(typeof proofs[0]!.ath).toBe('string');

    const bearer = await fetch(userinfoEndpoint(), { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(bearer.status).toBe(401);
    // A proof by another key does not make the stolen token usable either.
    const thief = createDpopSigner({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) }, { client: 'thief' })!;
    const stolen = await dpopGet(thief, userinfoEndpoint(), token.access_token);
    expect(stolen.status).toBe(401);
    expect(stolen.headers.get('www-authenticate')).toMatch(/^DPoP /);
  });

  it('refresh carries a proof and yields a new DPoP-bound token for the same key', async () => {
    const from = op.requests.length;
    const fresh = await tokenRequest(signer, post, { grant_type: 'refresh_token', refresh_token: token.refresh_token! });
    expect(fresh.token_type).toBe('DPoP');
    expect(fresh.access_token).not.toBe(token.access_token);
    const proofs = proofsAt(FAPI_PATHS.token, from);
    expect(proofs.every((p) => p !== undefined && p.htm === 'POST' && p.htu === tokenEndpoint())).toBe(true);
    expect(await introspect(fresh.access_token)).toMatchObject({ active: true, cnf: { jkt: signer.thumbprint } });
    token = fresh;
  });

  it('API calls: the resource server\'s nonce challenge is answered once, its nonce then reused', async () => {
    const url = `${rs.origin}/accounts/42?fields=balance#top`;
    let from = rs.received.length;
    const first = await dpopGet(signer, url, token.access_token);
    expect(first.status).toBe(200);
    const body = (await first.json()) as DpopResourceAnswer;
    expect(body).toMatchObject({ sub: ALICE.sub, client_id: 'fapi-app', jkt: signer.thumbprint, url: '/accounts/42?fields=balance', nonce: rs.nonce });
    expect(rs.outcomesSince(from)).toEqual(['use_dpop_nonce', 'ok']);
    // The resource server's nonce is its own, not the authorization server's.
    expect(signer.nonceFor(url)).toBe(rs.nonce);
    expect(signer.nonceFor(tokenEndpoint())).not.toBe(rs.nonce);

    from = rs.received.length;
    expect((await dpopGet(signer, `${rs.origin}/accounts`, token.access_token)).status).toBe(200);
    expect(rs.outcomesSince(from)).toEqual(['ok']);

    // A new nonce on the server: one challenge, one retry.
    rs.rotateNonce();
    from = rs.received.length;
    expect((await dpopGet(signer, `${rs.origin}/accounts`, token.access_token)).status).toBe(200);
    expect(rs.outcomesSince(from)).toEqual(['use_dpop_nonce', 'ok']);

    // A nonce handed out with a success (RFC 9449 section 8.2) is used next: no challenge.
    rs.rotateOnSuccess = true;
    from = rs.received.length;
    for (let i = 0; i < 3; i++) expect((await dpopGet(signer, `${rs.origin}/accounts`, token.access_token)).status).toBe(200);
    expect(rs.outcomesSince(from)).toEqual(['ok', 'ok', 'ok']);
    // Every proof passed the server's checks: distinct jti, exact htu, ath.
    const proofs = rs.received.slice(from).map((r) => r.proof!);
    expect(new Set(proofs.map((p) => p.jti)).size).toBe(3);
  });

  it('a resource server that challenges forever gets exactly two requests, then invalid_dpop_nonce', async () => {
    rs.alwaysChallenge = true;
    const from = rs.received.length;
    const err = await dpopGet(signer, `${rs.origin}/accounts`, token.access_token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthResponseError);
    expect(err).toMatchObject({ code: 'invalid_dpop_nonce', status: 401 });
    expect(rs.outcomesSince(from)).toEqual(['use_dpop_nonce', 'use_dpop_nonce']);
  });
});

describe('PAR with dpop_jkt only, and a fresh signer', () => {
  it('the code exchange meets the nonce challenge itself: exactly one retry', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const signer = createDpopSigner({ privateKey: pem }, { client: 'fapi' })!;
    const post = authenticatedPost('fapi', { clientId: 'fapi-app', tokenEndpointAuthMethod: 'private_key_jwt', clientKey: clientEc as Record<string, unknown> });
    let from = op.requests.length;
    const l = await login(signer, post, 'fapi-app', { proofAtPush: false });
    expect(proofsAt(FAPI_PATHS.par, from)).toEqual([undefined]);
    from = op.requests.length;
    const token = await tokenRequest(signer, post, codeExchange(l));
    const proofs = proofsAt(FAPI_PATHS.token, from);
    expect(proofs.map((p) => p!.nonce === undefined)).toEqual([true, false]);
    expect(await introspect(token.access_token)).toMatchObject({ active: true, cnf: { jkt: signer.thumbprint } });
  });

  it('dpop_jkt binds the code: a proof by another key cannot redeem it', async () => {
    const signer = createDpopSigner({ privateKey: dpopEd }, { client: 'fapi' })!;
    const thief = createDpopSigner({ privateKey: clientEc }, { client: 'thief' })!;
    const post = authenticatedPost('fapi', { clientId: 'fapi-app', tokenEndpointAuthMethod: 'private_key_jwt', clientKey: clientEc as Record<string, unknown> });
    const l = await login(signer, post, 'fapi-app', { proofAtPush: false });
    // The provider answers a generic description; its event says why.
    const details: unknown[] = [];
    const listener = (...args: unknown[]) => void details.push((args[1] as { error_detail?: unknown }).error_detail);
    op.provider.on('grant.error', listener);
    const err = await tokenRequest(thief, post, codeExchange(l)).catch((e: unknown) => e);
    op.provider.off('grant.error', listener);
    expect(err).toBeInstanceOf(OAuthProviderError);
    expect(err).toMatchObject({ code: 'invalid_grant' });
    expect(details).toContain('DPoP proof key thumbprint does not match dpop_jkt');
  });
});

describe('the push authenticates the client with every method it supports', () => {
  const secret = 'par-secret-0123456789abcdef0123456789abcdef';
  it.each([
    ['client_secret_basic', { clientSecret: secret }],
    ['client_secret_post', { clientSecret: secret }],
    ['client_secret_jwt', { clientSecret: secret }],
    ['private_key_jwt', { clientKey: clientEc as Record<string, unknown> }],
    ['none', {}],
  ] as const)('%s', async (method, creds) => {
    const clientId = `par-${method}`;
    await op.addClient(
      fapiClient({
        client_id: clientId,
        token_endpoint_auth_method: method,
        ...(method === 'private_key_jwt' ? { jwks: { keys: [clientPublic] }, token_endpoint_auth_signing_alg: 'ES256' } : {}),
        ...(method === 'client_secret_jwt' ? { token_endpoint_auth_signing_alg: 'HS256' } : {}),
        ...('clientSecret' in creds ? { client_secret: secret } : {}),
        redirect_uris: [REDIRECT],
      }),
    );
    const signer = createDpopSigner(true, { client: clientId })!;
    const post = authenticatedPost(clientId, { clientId, tokenEndpointAuthMethod: method, ...creds });
    const l = await login(signer, post, clientId, { proofAtPush: true });
    const token = await tokenRequest(signer, post, codeExchange(l));
    expect(await introspect(token.access_token)).toMatchObject({ active: true, client_id: clientId, cnf: { jkt: signer.thumbprint } });
  });

  it('a wrong secret is the provider\'s invalid_client (OAuthProviderError), after one push', async () => {
    const clientId = 'par-wrong';
    await op.addClient(fapiClient({ client_id: clientId, client_secret: secret, redirect_uris: [REDIRECT] }));
    const post = authenticatedPost(clientId, { clientId, clientSecret: `${secret}-not` });
    const from = op.requests.length;
    const err = await pushAuthorizationRequest({
      endpoint: pushedAuthorizationEndpoint(clientId, meta),
      params: { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid' },
      send: post,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthProviderError);
    expect(err).toMatchObject({ code: 'invalid_client', status: 401 });
    expect(op.requests.slice(from).filter((r) => r.path === FAPI_PATHS.par)).toHaveLength(1);
  });
});
