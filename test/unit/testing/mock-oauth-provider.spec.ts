/**
 * The testing kit's generic OpenID provider, spoken to over HTTP as a client would:
 * discovery, JWKS, authorization, code exchange with each client authentication,
 * PKCE, refresh rotation, userinfo, revocation, end session, and the kit's own API
 * (`clientConfig`, `nextLogin`, `failNextLogin`, `requests`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PRESET_SOURCE, type PresetClientConfig } from '../../../lib/index.js';
import { MockOAuthProvider } from '../../../lib/testing/index.js';

const REDIRECT = 'https://app.example/cb';

let mock: MockOAuthProvider;
let meta: Record<string, string>;

beforeAll(async () => {
  mock = await MockOAuthProvider.start();
  meta = (await (await fetch(`${mock.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
});
afterAll(() => mock.stop());
beforeEach(() => mock.clearRequests());

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function authorize(params: Record<string, string> = {}): Promise<Response> {
  const url = new URL(meta.authorization_endpoint!);
  const all = { response_type: 'code', client_id: mock.clientId, redirect_uri: REDIRECT, state: 's1', scope: 'openid profile email offline_access', ...params };
  for (const [k, v] of Object.entries(all)) if (v !== '') url.searchParams.set(k, v);
  return fetch(url, { redirect: 'manual' });
}

async function code(params: Record<string, string> = {}): Promise<string> {
  const res = await authorize(params);
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!).searchParams.get('code')!;
}

async function token(form: Record<string, string>, headers: Record<string, string> = { authorization: basic(mock.clientId, mock.clientSecret) }) {
  const res = await fetch(meta.token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('MockOAuthProvider (generic OpenID)', () => {
  it('listens on 127.0.0.1 and serves a discovery document naming its endpoints', () => {
    expect(mock.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(meta).toMatchObject({
      issuer: mock.issuer,
      authorization_endpoint: `${mock.origin}/authorize`,
      token_endpoint: `${mock.origin}/token`,
      jwks_uri: `${mock.origin}/jwks`,
      userinfo_endpoint: `${mock.origin}/userinfo`,
      revocation_endpoint: `${mock.origin}/revoke`,
      end_session_endpoint: `${mock.origin}/logout`,
      authorization_response_iss_parameter_supported: true,
    });
  });

  it('approves at once and redirects back with code, state and iss; form_post answers an auto-submitting form', async () => {
    const res = await authorize();
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('s1');
    expect(back.searchParams.get('iss')).toBe(mock.issuer);
    expect(back.searchParams.get('code')).toMatch(/^[\w-]{32}$/);

    const post = await authorize({ response_mode: 'form_post' });
    expect(post.status).toBe(200);
    const html = await post.text();
    expect(html).toContain(`<form method="post" action="${REDIRECT}">`);
    expect(html).toMatch(/name="code" value="[\w-]{32}"/);
  });

  it('shows an error page, never a redirect, for an unknown client or a bad redirect_uri', async () => {
    expect((await authorize({ client_id: 'nobody' })).status).toBe(400);
    expect((await authorize({ redirect_uri: 'https://app.example/cb#frag' })).status).toBe(400);
    expect((await authorize({ redirect_uri: 'javascript:alert(1)' })).status).toBe(400);
  });

  it('exchanges a code once, with Basic or body authentication, and signs an ID token for the nonce', async () => {
    const nonce = randomBytes(8).toString('hex');
    const c = await code({ nonce });
    const { status, body } = await token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email offline_access' });
    const jwks = (await (await fetch(meta.jwks_uri!)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(body.id_token as string, createLocalJWKSet(jwks), { issuer: mock.issuer, audience: mock.clientId });
    expect(payload).toMatchObject({ sub: 'alice', nonce });
    const digest = createHash('sha256').update(body.access_token as string).digest();
    expect(payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));

    const again = await token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // RFC 6749 section 4.1.2: the replayed code revokes what the first exchange gave.
    const me = await fetch(meta.userinfo_endpoint!, { headers: { authorization: `Bearer ${body.access_token as string}` } });
    expect(me.status).toBe(401);

    const viaBody = await token(
      { grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT, client_id: mock.clientId, client_secret: mock.clientSecret },
      {},
    );
    expect(viaBody.status).toBe(200);
  });

  it('refuses a wrong secret, two authentication methods at once, and a redirect_uri that differs', async () => {
    expect(await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT }, { authorization: basic(mock.clientId, 'wrong') })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    const both = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT, client_secret: mock.clientSecret });
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    const other = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: 'https://app.example/other' });
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('checks PKCE: S256 only, the verifier must match, and a verifier without a challenge is refused', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const plain = await authorize({ code_challenge: challenge, code_challenge_method: 'plain' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const c = await code({ code_challenge: challenge, code_challenge_method: 'S256' });
    expect(await token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const ok = await code({ code_challenge: challenge, code_challenge_method: 'S256' });
    expect((await token({ grant_type: 'authorization_code', code: ok, redirect_uri: REDIRECT, code_verifier: verifier })).status).toBe(200);
    const none = await code();
    expect(await token({ grant_type: 'authorization_code', code: none, redirect_uri: REDIRECT, code_verifier: verifier })).toMatchObject({ status: 400 });
  });

  it('rotates refresh tokens: the new one works, the used one is refused', async () => {
    const first = (await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT })).body;
    const second = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.id_token).toEqual(expect.any(String));
    expect(await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token as string })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token as string })).status).toBe(200);
  });

  it('issues no refresh token without offline_access', async () => {
    const { body } = await token({ grant_type: 'authorization_code', code: await code({ scope: 'openid' }), redirect_uri: REDIRECT });
    expect(body.refresh_token).toBeUndefined();
  });

  it('answers userinfo and api/me for the token\'s user, with the claims its scope releases', async () => {
    mock.nextLogin({ sub: 'bob', name: 'Bob', email: 'bob@example.com', email_verified: true, team: 'blue' });
    const { body } = await token({ grant_type: 'authorization_code', code: await code({ scope: 'openid email' }), redirect_uri: REDIRECT });
    const auth = { authorization: `Bearer ${body.access_token as string}` };
    const info = await (await fetch(meta.userinfo_endpoint!, { headers: auth })).json();
    expect(info).toEqual({ sub: 'bob', email: 'bob@example.com', email_verified: true, team: 'blue' });
    expect(await (await fetch(`${mock.origin}/api/me`, { headers: auth })).json()).toEqual(info);
    expect((await fetch(`${mock.origin}/api/me`)).status).toBe(401);
  });

  it('revokes (RFC 7009): the token stops working, and an unknown token is answered 200 too', async () => {
    const { body } = await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT });
    const revoke = (value: string) =>
      fetch(meta.revocation_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(mock.clientId, mock.clientSecret) },
        body: new URLSearchParams({ token: value }),
      });
    expect((await revoke(body.refresh_token as string)).status).toBe(200);
    expect(await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string })).toMatchObject({ status: 400 });
    expect((await fetch(meta.userinfo_endpoint!, { headers: { authorization: `Bearer ${body.access_token as string}` } })).status).toBe(401);
    expect((await revoke('never-issued')).status).toBe(200);
  });

  it('ends the session: back to post_logout_redirect_uri with the state', async () => {
    const res = await fetch(`${meta.end_session_endpoint!}?post_logout_redirect_uri=${encodeURIComponent('https://app.example/bye')}&state=z`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://app.example/bye?state=z');
  });

  it('nextLogin queues identities, one per authorization, then falls back to alice', async () => {
    mock.nextLogin({ sub: 'carol' }).nextLogin({ sub: 'dave' });
    const subs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await token({ grant_type: 'authorization_code', code: await code({ scope: 'openid' }), redirect_uri: REDIRECT });
      const info = (await (await fetch(meta.userinfo_endpoint!, { headers: { authorization: `Bearer ${body.access_token as string}` } })).json()) as { sub: string };
      subs.push(info.sub);
    }
    expect(subs).toEqual(['carol', 'dave', 'alice']);
    expect(() => mock.nextLogin({} as never)).toThrow(/sub/);
  });

  it('failNextLogin refuses the next authorization with the error, then approves again', async () => {
    mock.failNextLogin();
    const refused = new URL((await authorize()).headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('access_denied');
    expect(refused.searchParams.get('state')).toBe('s1');
    expect(new URL((await authorize()).headers.get('location')!).searchParams.get('code')).not.toBeNull();
  });

  it('records every request it receives', async () => {
    await authorize();
    await token({ grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT });
    expect(mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /authorize', 'POST /token']);
    expect(mock.requests[1]!.form).toEqual({ grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT });
    expect(mock.requests[1]!.headers.authorization).toMatch(/^Basic /);
  });

  it('clientConfig points at it, and registers a new client id with the secret given (none: public)', async () => {
    expect(mock.clientConfig()).toEqual({
      clientId: mock.clientId,
      clientSecret: mock.clientSecret,
      serverMetadataUrl: `${mock.issuer}/.well-known/openid-configuration`,
      apiBaseUrl: `${mock.origin}/api/`,
      scope: 'openid profile email offline_access',
    });
    const pub = mock.clientConfig({ clientId: 'spa', clientSecret: undefined });
    expect(pub.clientId).toBe('spa');
    const c = await code({ client_id: 'spa' });
    expect((await token({ grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT, client_id: 'spa' }, {})).status).toBe(200);
  });
});

describe('MockOAuthProvider.clientConfig for a preset', () => {
  it('moves the preset\'s URLs to the mock, keeps URLs the caller gave, and marks the moved ones as given', async () => {
    const gh = await MockOAuthProvider.start({ as: 'github' });
    try {
      const config = gh.clientConfig({ userinfoUrl: 'https://elsewhere.example/user' }) as PresetClientConfig;
      expect(config).toMatchObject({
        clientId: gh.clientId,
        clientSecret: gh.clientSecret,
        authorizeUrl: `${gh.origin}/login/oauth/authorize`,
        accessTokenUrl: `${gh.origin}/login/oauth/access_token`,
        apiBaseUrl: `${gh.origin}/`,
        userinfoUrl: 'https://elsewhere.example/user',
        scope: 'read:user user:email',
      });
      expect(config[PRESET_SOURCE]!.explicit).toMatchObject({ authorizeUrl: `${gh.origin}/login/oauth/authorize`, userinfoUrl: 'https://elsewhere.example/user' });
      expect(config[PRESET_SOURCE]!.defaults.authorizeUrl).toBe('https://github.com/login/oauth/authorize');
    } finally {
      await gh.stop();
    }
  });
});
