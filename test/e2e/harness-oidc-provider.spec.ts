/**
 * Proves the OpenID Provider harness by hand (fetch, discovery, token requests),
 * without the library, so e2e failures elsewhere point at the library.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, SignJWT, importJWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import {
  ALICE,
  PROVIDER_PATHS,
  loginAtProvider,
  loginForCallbackUrl,
  loginForFormPost,
  reservePort,
  startOidcProvider,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  response_modes_supported: string[];
  code_challenge_methods_supported: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  scopes_supported: string[];
}

interface TokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
  error?: string;
}

const b64url = (buf: Buffer): string => buf.toString('base64url');
const APP = 'http://127.0.0.1:1';
const REDIRECT = `${APP}/cb`;

function pkce(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

/** RFC 6749 section 2.3.1: form-encode, then base64. */
const formEncode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
}

describe('oidc-provider harness', () => {
  let op: OidcProviderHarness;
  let meta: Discovery;

  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [
        {
          client_id: 'basic',
          client_secret: 'basic-secret-with-chars:+&',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    });
    await op.addClient({
      client_id: 'post',
      client_secret: 'post-secret',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'client_secret_post',
    });
    await op.addClient({ client_id: 'public', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    await op.addClient({
      client_id: 'formpost',
      client_secret: 'formpost-secret',
      redirect_uris: [REDIRECT],
    });
    const res = await fetch(op.discoveryUrl);
    meta = (await res.json()) as Discovery;
  });
  afterAll(async () => {
    await op.close();
  });
  beforeEach(() => op.resetRequests());

  function authUrl(clientId: string, extra: Record<string, string> = {}): { url: string; state: string; nonce: string; verifier: string } {
    const { verifier, challenge } = pkce();
    const state = b64url(randomBytes(16));
    const nonce = b64url(randomBytes(16));
    const url = new URL(meta.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      scope: 'openid email profile',
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    }).toString();
    return { url: url.toString(), state, nonce, verifier };
  }

  async function token(body: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; json: TokenResponse }> {
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });
    return { status: res.status, json: (await res.json()) as TokenResponse };
  }

  async function codeFor(clientId: string, extra: Record<string, string> = {}) {
    const auth = authUrl(clientId, extra);
    const callback = new URL(await loginForCallbackUrl(new Browser(), auth.url, APP));
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe(auth.state);
    expect(callback.searchParams.get('iss')).toBe(op.issuer);
    return { ...auth, code: callback.searchParams.get('code')! };
  }

  it('serves discovery for its issuer with the features later tests rely on', () => {
    expect(meta.issuer).toBe(op.issuer);
    expect(op.issuer).toBe(`http://127.0.0.1:${op.port}`);
    expect(meta.token_endpoint).toBe(`${op.issuer}${PROVIDER_PATHS.token}`);
    expect(meta.jwks_uri).toBe(`${op.issuer}${PROVIDER_PATHS.jwks}`);
    expect(meta.userinfo_endpoint).toBe(`${op.issuer}${PROVIDER_PATHS.userinfo}`);
    expect(meta.introspection_endpoint).toBe(`${op.issuer}${PROVIDER_PATHS.introspection}`);
    expect(meta.revocation_endpoint).toBe(`${op.issuer}${PROVIDER_PATHS.revocation}`);
    expect(meta.response_modes_supported).toContain('form_post');
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(meta.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']),
    );
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'offline_access']));
  });

  it('completes a code flow with client_secret_basic: verified ID token, userinfo, one token request', async () => {
    const { code, nonce, verifier } = await codeFor('basic');
    const res = await token(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier },
      { authorization: basic('basic', 'basic-secret-with-chars:+&') },
    );
    expect(res.status).toBe(200);
    expect(res.json.token_type).toBe('Bearer');
    expect(res.json.expires_in).toBeGreaterThan(0);
    expect(typeof res.json.access_token).toBe('string');
    const { payload, protectedHeader } = await jwtVerify(res.json.id_token!, createRemoteJWKSet(new URL(meta.jwks_uri)), {
      issuer: op.issuer,
      audience: 'basic',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe('alice');
    expect(payload.nonce).toBe(nonce);

    const info = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${res.json.access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual(ALICE);

    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
    expect(op.count(PROVIDER_PATHS.token, 'POST')).toBe(1);
    expect(op.count(PROVIDER_PATHS.jwks)).toBe(1);
    expect(op.count(PROVIDER_PATHS.authorization)).toBeGreaterThanOrEqual(1);
    expect(op.requests[0]).toMatchObject({ method: 'GET', path: PROVIDER_PATHS.authorization });
    expect(op.serverErrors).toEqual([]);
  });

  it('refuses a replayed code and a wrong secret', async () => {
    const { code, verifier } = await codeFor('basic');
    const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier };
    const wrong = await token(body, { authorization: basic('basic', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('invalid_client');
    const first = await token(body, { authorization: basic('basic', 'basic-secret-with-chars:+&') });
    expect(first.status).toBe(200);
    const again = await token(body, { authorization: basic('basic', 'basic-secret-with-chars:+&') });
    expect(again.status).toBe(400);
    expect(again.json.error).toBe('invalid_grant');
  });

  it('accepts client_secret_post and a public client with PKCE, refusing a wrong verifier', async () => {
    const post = await codeFor('post');
    const ok = await token({
      grant_type: 'authorization_code',
      code: post.code,
      redirect_uri: REDIRECT,
      code_verifier: post.verifier,
      client_id: 'post',
      client_secret: 'post-secret',
    });
    expect(ok.status).toBe(200);
    expect(ok.json.id_token).toBeTypeOf('string');

    const pub = await codeFor('public');
    const bad = await token({ grant_type: 'authorization_code', code: pub.code, redirect_uri: REDIRECT, code_verifier: pkce().verifier, client_id: 'public' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_grant');
    const pub2 = await codeFor('public');
    const good = await token({ grant_type: 'authorization_code', code: pub2.code, redirect_uri: REDIRECT, code_verifier: pub2.verifier, client_id: 'public' });
    expect(good.status).toBe(200);
    expect(good.json.access_token).toBeTypeOf('string');
  });

  it('answers form_post with an auto-submit form that carries code and state', async () => {
    const auth = authUrl('formpost', { response_mode: 'form_post' });
    const form = await loginForFormPost(new Browser(), auth.url, APP);
    expect(form.action).toBe(REDIRECT);
    expect(form.fields.state).toBe(auth.state);
    expect(form.fields.iss).toBe(op.issuer);
    expect(form.fields.code).toMatch(/^[A-Za-z0-9_-]+$/);
    const res = await token(
      { grant_type: 'authorization_code', code: form.fields.code, redirect_uri: REDIRECT, code_verifier: auth.verifier },
      { authorization: basic('formpost', 'formpost-secret') },
    );
    expect(res.status).toBe(200);
  });

  it('rotates refresh tokens for offline_access, and introspects and revokes', async () => {
    const { code, verifier } = await codeFor('basic', { scope: 'openid offline_access', prompt: 'consent' });
    const auth = { authorization: basic('basic', 'basic-secret-with-chars:+&') };
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, auth);
    expect(first.json.refresh_token).toBeTypeOf('string');
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token! }, auth);
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).toBeTypeOf('string');
    expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
    const reused = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token! }, auth);
    expect(reused.status).toBe(400);
    expect(reused.json.error).toBe('invalid_grant');

    // Reusing a rotated refresh token revoked the whole grant (RFC 9700 section 4.14.2), so start afresh.
    const again = await codeFor('basic', { scope: 'openid offline_access', prompt: 'consent' });
    const fresh = await token(
      { grant_type: 'authorization_code', code: again.code, redirect_uri: REDIRECT, code_verifier: again.verifier },
      auth,
    );
    const introspect = async (t: string): Promise<Record<string, unknown>> => {
      const res = await fetch(meta.introspection_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
        body: new URLSearchParams({ token: t }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await introspect(fresh.json.access_token!)).toMatchObject({ active: true, sub: 'alice', client_id: 'basic' });
    const revoke = await fetch(meta.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: new URLSearchParams({ token: fresh.json.access_token!, token_type_hint: 'access_token' }),
    });
    expect(revoke.status).toBe(200);
    expect(await introspect(fresh.json.access_token!)).toEqual({ active: false });
  });

  it('issues client_credentials tokens', async () => {
    const res = await token({ grant_type: 'client_credentials' }, { authorization: basic('basic', 'basic-secret-with-chars:+&') });
    expect(res.status).toBe(200);
    expect(res.json.access_token).toBeTypeOf('string');
    expect(res.json.token_type).toBe('Bearer');
  });

  it('accepts private_key_jwt and client_secret_jwt client assertions', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
    await op.addClient({
      client_id: 'pkjwt',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [pub] },
    });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('pkjwt')
      .setSubject('pkjwt')
      .setAudience(op.issuer)
      .setJti(b64url(randomBytes(12)))
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(await importJWK({ ...privateKey.export({ format: 'jwk' }), alg: 'ES256' }));
    const { code, verifier } = await codeFor('pkjwt');
    const res = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(res.status).toBe(200);

    const secret = 'client-secret-jwt-needs-32-bytes-or-more!!';
    await op.addClient({ client_id: 'csjwt', client_secret: secret, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_jwt' });
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('csjwt')
      .setSubject('csjwt')
      .setAudience(meta.token_endpoint)
      .setJti(b64url(randomBytes(12)))
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    const cc = await token({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: hs,
    });
    expect(cc.status).toBe(200);
  });

  it('redirects access_denied when told to deny, and rejects invalid client metadata at addClient', async () => {
    op.interactionOutcome = 'deny';
    try {
      const auth = authUrl('post');
      const callback = new URL(await loginForCallbackUrl(new Browser(), auth.url, APP));
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe(auth.state);
    } finally {
      op.interactionOutcome = 'approve';
    }
    await expect(op.addClient({ client_id: 'broken', client_secret: 's', redirect_uris: ['not a url'] })).rejects.toThrow(/redirect_uris/);
  });

  it('reports an error page (unregistered redirect_uri) instead of looping', async () => {
    const auth = new URL(authUrl('basic').url);
    auth.searchParams.set('redirect_uri', `${APP}/elsewhere`);
    await expect(loginAtProvider(new Browser(), auth.toString(), APP)).rejects.toThrow(/provider answered 400.*redirect_uri/s);
  });

  it('keeps the provider session: a second login in the same browser needs no interaction', async () => {
    const browser = new Browser();
    await loginForCallbackUrl(browser, authUrl('basic').url, APP);
    op.resetRequests();
    const callback = new URL(await loginForCallbackUrl(browser, authUrl('basic').url, APP));
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(op.requests.map((r) => r.path)).toEqual([PROVIDER_PATHS.authorization]);
  });
});

describe('oidc-provider harness on a chosen port', () => {
  it('listens on a reserved port and records requests per instance', async () => {
    const port = await reservePort();
    await expect(fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).rejects.toThrow();
    const op = await startOidcProvider({ port });
    const other = await startOidcProvider();
    try {
      expect(op.issuer).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(op.discoveryUrl);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Discovery).issuer).toBe(op.issuer);
      expect(op.count(PROVIDER_PATHS.discovery, 'GET')).toBe(1);
      expect(other.requests).toEqual([]);
      // Clients are per instance.
      await op.addClient({ client_id: 'only-here', client_secret: 's', redirect_uris: [REDIRECT] });
      const here = await fetch(`${op.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('only-here', 's') },
        body: 'grant_type=client_credentials',
      });
      expect(here.status).toBe(200);
      const there = await fetch(`${other.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('only-here', 's') },
        body: 'grant_type=client_credentials',
      });
      expect(there.status).toBe(401);
    } finally {
      await op.close();
      await other.close();
    }
  });
});
