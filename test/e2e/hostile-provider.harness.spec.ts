/**
 * The hostile provider alone, driven with plain fetch: it must be a correct, strict
 * provider by default (else the attack tests prove nothing) and each forgery must
 * produce exactly the broken token it claims to.
 */
import { createHash, createPublicKey, randomBytes, verify as nodeVerify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import { atHash, HOSTILE_PATHS, startHostileProvider, type HostileProvider } from '../support/hostile-provider.js';

let op: HostileProvider;
const redirectUri = 'http://127.0.0.1:9/cb';

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});
afterEach(() => {
  op.reset();
});

const verifierAndChallenge = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

async function authorize(params: Record<string, string>): Promise<Response> {
  const url = new URL(op.origin + HOSTILE_PATHS.authorize);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return fetch(url, { redirect: 'manual' });
}

/** An authorization request as a client would send it; returns the code and the rest. */
async function codeFor(extra: Record<string, string> = {}) {
  const { verifier, challenge } = verifierAndChallenge();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const res = await authorize({
    response_type: 'code',
    client_id: op.clientId,
    redirect_uri: redirectUri,
    scope: 'openid profile',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  return { back, code: back.searchParams.get('code')!, verifier, state, nonce };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function exchange(form: Record<string, string>, auth: string | null = basic(op.clientId, op.clientSecret)): Promise<Response> {
  return fetch(op.origin + HOSTILE_PATHS.token, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(op.origin + HOSTILE_PATHS.jwks)).json()) as JSONWebKeySet;
}

/** A full login; returns the token endpoint's answer, parsed. */
async function login(): Promise<{ body: Record<string, unknown>; nonce: string; code: string; verifier: string }> {
  const { code, verifier, nonce } = await codeFor();
  const res = await exchange({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  return { body: (await res.json()) as Record<string, unknown>, nonce, code, verifier };
}

const decodePayload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('discovery and keys', () => {
  it('serves a discovery document for its own origin', async () => {
    const doc = (await (await fetch(op.discoveryUrl)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: op.origin,
      authorization_endpoint: op.origin + HOSTILE_PATHS.authorize,
      token_endpoint: op.origin + HOSTILE_PATHS.token,
      userinfo_endpoint: op.origin + HOSTILE_PATHS.userinfo,
      jwks_uri: op.origin + HOSTILE_PATHS.jwks,
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    });
  });

  it('bends discovery on request', async () => {
    op.scenario = { discovery: { issuer: 'https://elsewhere.example', issParameterSupported: null, algs: ['ES256'] } };
    const doc = (await (await fetch(op.discoveryUrl)).json()) as Record<string, unknown>;
    expect(doc.issuer).toBe('https://elsewhere.example');
    expect('authorization_response_iss_parameter_supported' in doc).toBe(false);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
  });

  it('publishes public signing keys only, each with kid, alg and use', async () => {
    const { keys } = await jwks();
    expect(keys.map((k) => [k.kty, k.kid, k.alg, k.use])).toEqual([
      ['RSA', 'rsa-1', 'RS256', 'sig'],
      ['EC', 'ec-1', 'ES256', 'sig'],
    ]);
    for (const k of keys) expect(k.d).toBeUndefined();
  });
});

describe('authorization endpoint', () => {
  it('records the request and redirects back with code, state and iss', async () => {
    const before = op.authorizations.length;
    const { back, code, state, nonce } = await codeFor();
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('iss')).toBe(op.origin);
    expect(code).toMatch(/^[\w-]{32}$/);
    const rec = op.authorizations[before];
    expect(rec).toMatchObject({ clientId: op.clientId, redirectUri, state, nonce, codeChallengeMethod: 'S256', code, responseType: 'code' });
    expect(op.authorizations).toHaveLength(before + 1);
  });

  it('answers an unknown client with an error page, never a redirect', async () => {
    const res = await authorize({ response_type: 'code', client_id: 'intruder', redirect_uri: redirectUri, state: 's' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('drops or replaces iss, and edits the response, when told to', async () => {
    op.scenario = { authorize: { iss: null } };
    expect((await codeFor()).back.searchParams.has('iss')).toBe(false);
    op.scenario = { authorize: { iss: 'https://evil.example', edit: (p) => p.append('state', 'twice') } };
    const { back } = await codeFor();
    expect(back.searchParams.get('iss')).toBe('https://evil.example');
    expect(back.searchParams.getAll('state')).toHaveLength(2);
  });
});

describe('token endpoint, strict like a real one', () => {
  it('exchanges a code for a correct, verifiable ID token (basic auth)', async () => {
    const { body, nonce } = await login();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile' });
    const { payload, protectedHeader } = await jwtVerify(String(body.id_token), createLocalJWKSet(await jwks()), {
      issuer: op.origin,
      audience: op.clientId,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.kid).toBe('rsa-1');
    expect(payload).toMatchObject({ sub: 'user-1', nonce, at_hash: atHash(String(body.access_token)) });
    expect(op.exchanges.at(-1)).toMatchObject({ clientAuth: 'client_secret_basic', refusal: null });
  });

  it('accepts client_secret_post', async () => {
    const { code, verifier } = await codeFor();
    const res = await exchange(
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: op.clientId, client_secret: op.clientSecret },
      null,
    );
    expect(res.status).toBe(200);
    expect(op.exchanges.at(-1)).toMatchObject({ clientAuth: 'client_secret_post', refusal: null });
  });

  it('refuses a wrong PKCE verifier, and the code is then used up', async () => {
    const { code, verifier } = await codeFor();
    const bad = await exchange({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifierAndChallenge().verifier });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant' });
    const again = await exchange({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a missing verifier, another redirect_uri, a replayed code and a wrong secret', async () => {
    const a = await codeFor();
    expect(await (await exchange({ grant_type: 'authorization_code', code: a.code, redirect_uri: redirectUri })).json()).toMatchObject({ error: 'invalid_grant' });
    const b = await codeFor();
    const other = await exchange({ grant_type: 'authorization_code', code: b.code, redirect_uri: 'http://127.0.0.1:9/other', code_verifier: b.verifier });
    expect(await other.json()).toMatchObject({ error: 'invalid_grant' });
    const c = await codeFor();
    const form = { grant_type: 'authorization_code', code: c.code, redirect_uri: redirectUri, code_verifier: c.verifier };
    const wrong = await exchange(form, basic(op.clientId, 'not-the-secret'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const d = await codeFor();
    const ok = { grant_type: 'authorization_code', code: d.code, redirect_uri: redirectUri, code_verifier: d.verifier };
    expect((await exchange(ok)).status).toBe(200);
    expect(await (await exchange(ok)).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('replaces or edits the answer of a valid exchange on request, using the code up all the same', async () => {
    op.scenario = { token: { respond: { status: 200, body: '{"access_tok', headers: { 'content-type': 'application/json' } } } };
    const a = await codeFor();
    const form = { grant_type: 'authorization_code', code: a.code, redirect_uri: redirectUri, code_verifier: a.verifier };
    const res = await exchange(form);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"access_tok');
    op.reset();
    expect(await (await exchange(form)).json()).toMatchObject({ error: 'invalid_grant' });
    op.scenario = { token: { edit: (b) => delete b.expires_in } };
    const { body } = await login();
    expect('expires_in' in body).toBe(false);
  });
});

async function forged(scenario: HostileProvider['scenario']): Promise<string> {
  op.scenario = scenario;
  const { body } = await login();
  return String(body.id_token);
}

describe('ID token forgeries produce what they claim', () => {

  it('alg none: no signature', async () => {
    const jwt = await forged({ idToken: { forge: 'alg-none' } });
    expect(decodeProtectedHeader(jwt).alg).toBe('none');
    expect(jwt.endsWith('.')).toBe(true);
  });

  it('altered signature (RS256 and ES256): same claims, signature no longer verifies', async () => {
    for (const signWith of ['rsa', 'ec'] as const) {
      const jwt = await forged({ idToken: { forge: 'altered-signature', signWith } });
      expect(decodeProtectedHeader(jwt).kid).toBe(op.keys[signWith].kid);
      expect(decodePayload(jwt).iss).toBe(op.origin);
      await expect(compactVerify(jwt, createLocalJWKSet(await jwks()))).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    }
  });

  it('HS256 keyed with the public key, PEM and JWK forms', async () => {
    const pem = await forged({ idToken: { forge: 'hs256-public-pem' } });
    expect(decodeProtectedHeader(pem)).toMatchObject({ alg: 'HS256', kid: 'rsa-1' });
    await expect(jwtVerify(pem, new TextEncoder().encode(op.keys.rsa.publicPem), { algorithms: ['HS256'] })).resolves.toBeTruthy();
    const jwk = await forged({ idToken: { forge: 'hs256-public-jwk' } });
    await expect(jwtVerify(jwk, new TextEncoder().encode(JSON.stringify(op.keys.rsa.publicJwk)), { algorithms: ['HS256'] })).resolves.toBeTruthy();
  });

  it('hand-signed (the crit control): the same hand signing without crit verifies', async () => {
    const jwt = await forged({ idToken: { forge: 'hand-signed' } });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', kid: 'rsa-1', typ: 'JWT' });
    await expect(compactVerify(jwt, createLocalJWKSet(await jwks()))).resolves.toBeTruthy();
  });

  it('unknown crit: correctly signed, refused by jose for its crit', async () => {
    const jwt = await forged({ idToken: { forge: 'unknown-crit' } });
    const [h, p, s] = jwt.split('.');
    const key = createPublicKey({ key: op.keys.rsa.publicJwk as JWK & { kty: string }, format: 'jwk' });
    expect(nodeVerify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))).toBe(true);
    await expect(compactVerify(jwt, createLocalJWKSet(await jwks()))).rejects.toBeInstanceOf(errors.JOSENotSupported);
  });

  it('header and claim hooks, and ES256 signing', async () => {
    const jwt = await forged({
      idToken: {
        signWith: 'ec',
        header: (h) => delete h.kid,
        claims: (c) => {
          c.sub = 42;
          c.aud = [op.clientId, 'other'];
        },
      },
    });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', typ: 'JWT' });
    const { payload } = await compactVerify(jwt, createLocalJWKSet({ keys: [op.keys.ec.publicJwk] }));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ sub: 42, aud: [op.clientId, 'other'] });
  });
});

describe('userinfo, key rotation, request log', () => {
  it('userinfo needs the bearer token and can lie about sub', async () => {
    expect((await fetch(op.origin + HOSTILE_PATHS.userinfo)).status).toBe(401);
    const { body } = await login();
    const get = () => fetch(op.origin + HOSTILE_PATHS.userinfo, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(await (await get()).json()).toMatchObject({ sub: 'user-1' });
    op.scenario = { userinfo: { claims: (c) => (c.sub = 'user-2') } };
    expect(await (await get()).json()).toMatchObject({ sub: 'user-2' });
  });

  it('rotates the RSA key: new kid published and used, old one gone', async () => {
    await op.rotateKeys();
    const kids = (await jwks()).keys.map((k) => k.kid);
    expect(kids).not.toContain('rsa-1');
    expect(kids).toContain(op.keys.rsa.kid);
    const { body } = await login();
    expect(decodeProtectedHeader(String(body.id_token)).kid).toBe(op.keys.rsa.kid);
    await expect(jwtVerify(String(body.id_token), createLocalJWKSet(await jwks()))).resolves.toBeTruthy();
  });

  it('logs every request in order and remembers every secret it handed out or received', async () => {
    const mark = op.mark();
    const t0 = Date.now();
    const { body, code, verifier } = await login();
    await fetch(op.origin + '/nowhere');
    expect(op.linesSince(mark)).toEqual(['GET /authorize', 'POST /token', 'GET /nowhere']);
    expect(op.count(HOSTILE_PATHS.token, mark)).toBe(1);
    for (const r of op.requestsSince(mark)) expect(r.at).toBeGreaterThanOrEqual(t0);
    const secrets = op.secrets();
    for (const s of [code, verifier, body.access_token, body.refresh_token, body.id_token, op.clientSecret]) expect(secrets).toContain(s);
  });
});

async function refresh(refreshToken: string): Promise<Response> {
  return exchange({ grant_type: 'refresh_token', refresh_token: refreshToken });
}

describe('refresh_token grant', () => {
  it('a new access token and ID token (same iss, sub, aud and auth_time; no nonce), the refresh token not rotated', async () => {
    const { body } = await login();
    const first = decodePayload(String(body.id_token));
    const res = await refresh(String(body.refresh_token));
    expect(res.status).toBe(200);
    const fresh = (await res.json()) as Record<string, unknown>;
    expect(fresh).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile' });
    expect(fresh.access_token).not.toBe(body.access_token);
    expect('refresh_token' in fresh).toBe(false);
    const { payload } = await jwtVerify(String(fresh.id_token), createLocalJWKSet(await jwks()), { issuer: op.origin, audience: op.clientId });
    expect(payload).toMatchObject({ sub: first.sub, auth_time: first.auth_time, at_hash: atHash(String(fresh.access_token)) });
    expect(payload.nonce).toBeUndefined();
    expect(op.exchanges.at(-1)).toMatchObject({ grantType: 'refresh_token', refreshToken: body.refresh_token, refusal: null, accessToken: fresh.access_token });
    expect(op.secrets()).toContain(fresh.access_token);
  });

  it('refresh.idToken bends only the refreshed ID token; idToken only the first', async () => {
    op.scenario = { idToken: { claims: (c) => (c.first = true) }, refresh: { idToken: { claims: (c, ctx) => Object.assign(c, { sub: 'user-2', grant: ctx.grant }) } } };
    const { body } = await login();
    expect(decodePayload(String(body.id_token))).toMatchObject({ sub: 'user-1', first: true });
    const fresh = (await (await refresh(String(body.refresh_token))).json()) as Record<string, unknown>;
    const claims = decodePayload(String(fresh.id_token));
    expect(claims).toMatchObject({ sub: 'user-2', grant: 'refresh_token' });
    expect(claims.first).toBeUndefined();
  });

  it('refuses an unknown refresh token and a wrong client secret', async () => {
    const unknown = await refresh('not-a-refresh-token');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_grant' });
    const { body } = await login();
    const wrong = await exchange({ grant_type: 'refresh_token', refresh_token: String(body.refresh_token) }, basic(op.clientId, 'not-the-secret'));
    expect(wrong.status).toBe(401);
  });
});

describe('transport faults', () => {
  it('hang: no answer at all (the client gives up), and the request is logged', async () => {
    op.scenario = { faults: { [HOSTILE_PATHS.jwks]: 'hang' } };
    const mark = op.mark();
    await expect(fetch(op.origin + HOSTILE_PATHS.jwks, { signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(op.linesSince(mark)).toEqual([`GET ${HOSTILE_PATHS.jwks}`]);
  });

  it('reset: the connection is destroyed without an answer', async () => {
    op.scenario = { faults: { [HOSTILE_PATHS.token]: 'reset' } };
    await expect(exchange({ grant_type: 'authorization_code', code: 'x' })).rejects.toThrow(TypeError);
    expect(op.exchanges.at(-1)?.code).not.toBe('x');
  });

  it('5xx: an HTML 503 page', async () => {
    op.scenario = { faults: { [HOSTILE_PATHS.discovery]: '5xx' } };
    const res = await fetch(op.discoveryUrl);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('Service Unavailable');
  });

  it('huge: a 200 whose body goes on past several MB, while the client reads', async () => {
    op.scenario = { faults: { [HOSTILE_PATHS.userinfo]: 'huge' } };
    const res = await fetch(op.origin + HOSTILE_PATHS.userinfo);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let read = 0;
    while (read < 8 * 1024 * 1024) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      read += value!.length;
    }
    await reader.cancel();
  });

  it('faults apply to the named path only, and reset() clears them', async () => {
    op.scenario = { faults: { [HOSTILE_PATHS.jwks]: '5xx' } };
    expect((await fetch(op.discoveryUrl)).status).toBe(200);
    op.reset();
    expect((await fetch(op.origin + HOSTILE_PATHS.jwks)).status).toBe(200);
  });
});

describe('the client config an app uses', () => {
  it('names this provider, its credentials and openid', () => {
    expect(op.client).toEqual({ clientId: op.clientId, clientSecret: op.clientSecret, serverMetadataUrl: op.discoveryUrl, scope: 'openid profile' });
  });
});
