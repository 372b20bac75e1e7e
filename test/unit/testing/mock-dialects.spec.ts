/**
 * Each dialect of the testing kit refuses what its provider refuses and answers in
 * its shape, spoken to with plain HTTP (no preset hooks): these are the behaviours
 * the presets' hooks exist to meet.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { SignJWT, decodeJwt, importPKCS8 } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { OAuthClientConfig, PresetName } from '../../../lib/index.js';
import { MockOAuthProvider } from '../../../lib/testing/index.js';
import { parseAutoSubmitForm } from '../../support/oidc-provider.js';
import { OAuth1PresetDriver } from '../../support/preset-driver.js';

const REDIRECT = 'https://app.example/cb';
const UA = { 'user-agent': 'dialect-test' };

let mock: MockOAuthProvider | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

interface Ends {
  config: OAuthClientConfig & Record<string, unknown>;
  authorize: string;
  token: string;
  userinfo?: string;
}

async function start(as: PresetName, overrides: Record<string, unknown> = {}): Promise<Ends> {
  mock = await MockOAuthProvider.start({ as });
  const config = mock.clientConfig(overrides) as Ends['config'];
  if (config.serverMetadataUrl) {
    const doc = (await (await fetch(config.serverMetadataUrl, { headers: UA })).json()) as Record<string, string>;
    return { config, authorize: doc.authorization_endpoint!, token: doc.token_endpoint!, ...(doc.userinfo_endpoint ? { userinfo: doc.userinfo_endpoint } : {}) };
  }
  return { config, authorize: config.authorizeUrl!, token: config.accessTokenUrl! };
}

/** GETs the authorization URL; returns the callback fields (redirect or form_post) or the error page. */
async function authorize(ends: Ends, params: Record<string, string>): Promise<{ status: number; fields: Record<string, string>; text: string }> {
  const url = new URL(ends.authorize);
  const all = { response_type: 'code', client_id: ends.config.clientId!, redirect_uri: REDIRECT, state: 'st', ...params };
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual', headers: UA });
  const text = await res.text();
  if (res.status === 302) return { status: 302, fields: Object.fromEntries(new URL(res.headers.get('location')!).searchParams), text };
  const form = parseAutoSubmitForm(text, url.toString());
  return { status: res.status, fields: form?.fields ?? {}, text };
}

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = UA) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: json as Record<string, unknown> };
}

const basic = (id: string, secret: string) => ({ ...UA, authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('github dialect', () => {
  it('refuses requests without a User-Agent (403), everywhere', async () => {
    const e = await start('github');
    const token = await withoutUserAgent('POST', e.token);
    expect(token.status).toBe(403);
    expect(token.text).toContain('User-Agent');
    expect((await withoutUserAgent('GET', `${mock!.origin}/user`)).status).toBe(403);
  });

  it('answers form-encoded unless JSON is asked for, scopes comma-separated, and failures as HTTP 200', async () => {
    const e = await start('github');
    const { fields } = await authorize(e, { scope: 'read:user user:email' });
    const creds = { client_id: e.config.clientId!, client_secret: e.config.clientSecret! };
    const form = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, ...creds });
    expect(form.status).toBe(200);
    expect(form.type).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(form.text))).toMatchObject({ token_type: 'bearer', scope: 'read:user,user:email' });
    const again = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, ...creds }, { ...UA, accept: 'application/json' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ error: 'bad_verification_code' });
    const wrong = await post(e.token, { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: 'no' }, { ...UA, accept: 'application/json' });
    expect(wrong).toMatchObject({ status: 200, json: { error: 'incorrect_client_credentials' } });
  });

  it('gives expiring tokens and refresh tokens to GitHub Apps only', async () => {
    const e = await start('github', { clientId: 'Ov23oauthapp', clientSecret: 'app-secret' });
    const { fields } = await authorize(e, { scope: 'read:user' });
    const res = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, client_id: 'Ov23oauthapp', client_secret: 'app-secret' }, { ...UA, accept: 'application/json' });
    expect(res.json).toEqual({ access_token: expect.any(String), token_type: 'bearer', scope: 'read:user' });
  });

  it('answers user/emails 404 without the user:email scope', async () => {
    const e = await start('github');
    const { fields } = await authorize(e, { scope: 'read:user' });
    const { json } = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: e.config.clientSecret! }, { ...UA, accept: 'application/json' });
    const auth = { ...UA, authorization: `token ${json.access_token as string}` };
    expect((await fetch(`${mock!.origin}/user`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${mock!.origin}/user/emails`, { headers: auth })).status).toBe(404);
  });
});

describe('reddit dialect', () => {
  it('answers 429 without a User-Agent, needs duration, takes Basic only, and refreshes only permanent grants', async () => {
    const e = await start('reddit');
    expect(await withoutUserAgent('POST', e.token)).toEqual({ status: 429, text: 'Too Many Requests' });
    expect((await authorize(e, { scope: 'identity' })).status).toBe(400);
    const temporary = await authorize(e, { scope: 'identity', duration: 'temporary' });
    const body = { grant_type: 'authorization_code', code: temporary.fields.code!, redirect_uri: REDIRECT };
    const viaBody = await post(e.token, { ...body, client_id: e.config.clientId!, client_secret: e.config.clientSecret! });
    expect(viaBody).toMatchObject({ status: 401, json: { message: 'Unauthorized', error: 401 } });
    const ok = await post(e.token, body, basic(e.config.clientId!, e.config.clientSecret!));
    expect(ok.status).toBe(200);
    expect(ok.json.refresh_token).toBeUndefined();
    const permanent = await authorize(e, { scope: 'identity', duration: 'permanent' });
    const kept = await post(e.token, { ...body, code: permanent.fields.code! }, basic(e.config.clientId!, e.config.clientSecret!));
    expect(kept.json.refresh_token).toEqual(expect.any(String));
    const reused = await post(e.token, { ...body, code: permanent.fields.code! }, basic(e.config.clientId!, e.config.clientSecret!));
    expect(reused).toMatchObject({ status: 200, json: { error: 'invalid_grant' } });
  });
});

describe('x dialect', () => {
  it('requires PKCE, Basic auth and client_id in the body, and refreshes only with offline.access', async () => {
    const e = await start('x');
    const none = await authorize(e, { scope: 'users.read tweet.read' });
    expect(none.fields).toMatchObject({ error: 'invalid_request' });
    const p = pkce();
    const login = async (scope: string) => (await authorize(e, { scope, code_challenge: p.challenge, code_challenge_method: 'S256' })).fields.code!;
    const form = (code: string) => ({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier });
    const creds = basic(e.config.clientId!, e.config.clientSecret!);
    expect(await post(e.token, form(await login('users.read')), creds)).toMatchObject({ status: 400, json: { error: 'invalid_request', error_description: 'Missing required parameter [client_id].' } });
    expect(await post(e.token, { ...form(await login('users.read')), client_id: e.config.clientId!, client_secret: e.config.clientSecret! })).toMatchObject({
      status: 401,
      json: { error: 'unauthorized_client', error_description: 'Missing valid authorization header' },
    });
    const ok = await post(e.token, { ...form(await login('users.read tweet.read')), client_id: e.config.clientId! }, creds);
    expect(ok.json).toMatchObject({ token_type: 'bearer', scope: 'users.read tweet.read' });
    expect(ok.json.refresh_token).toBeUndefined();
    const me = await fetch(`${mock!.origin}/2/users/me`, { headers: { authorization: `Bearer ${ok.json.access_token as string}` } });
    expect(await me.json()).toEqual({ data: { id: 'alice', name: 'alice', username: 'alice' } });
    const offline = await post(e.token, { ...form(await login('users.read offline.access')), client_id: e.config.clientId! }, creds);
    expect(offline.json.refresh_token).toEqual(expect.any(String));
  });
});

/** A client secret JWT made with the mock's Apple key, with one thing changed. */
async function appleSecret(e: Ends, change: { alg?: string; kid?: string; iss?: string; sub?: string; aud?: string; life?: number; key?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const apple = mock!.apple!;
  const pem = change.key ?? apple.privateKey;
  return new SignJWT({})
    .setProtectedHeader({ alg: change.alg ?? 'ES256', kid: change.kid ?? apple.keyId })
    .setIssuer(change.iss ?? apple.teamId)
    .setSubject(change.sub ?? e.config.clientId!)
    .setAudience(change.aud ?? 'https://appleid.apple.com')
    .setIssuedAt(now)
    .setExpirationTime(now + (change.life ?? 300))
    .sign(await importPKCS8(pem, change.alg ?? 'ES256'));
}

describe('apple dialect', () => {
  it('shows an error page when name or email is asked for without form_post', async () => {
    const e = await start('apple');
    const res = await authorize(e, { scope: 'openid name email' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('form_post');
  });

  it('posts the user field at the first authorization only, and string booleans in the ID token', async () => {
    const e = await start('apple');
    mock!.nextLogin({ sub: '001.a.1', email: 'a@privaterelay.appleid.com', email_verified: true, is_private_email: true, given_name: 'Ada', family_name: 'King' });
    const first = await authorize(e, { scope: 'openid name email', response_mode: 'form_post', nonce: 'n1' });
    expect(JSON.parse(first.fields.user!)).toEqual({ name: { firstName: 'Ada', lastName: 'King' }, email: 'a@privaterelay.appleid.com' });
    const res = await post(e.token, { grant_type: 'authorization_code', code: first.fields.code!, redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: await appleSecret(e) });
    expect(res.status).toBe(200);
    expect(res.json.scope).toBeUndefined();
    expect(decodeJwt(res.json.id_token as string)).toMatchObject({ sub: '001.a.1', email_verified: 'true', is_private_email: 'true', nonce: 'n1' });
    mock!.nextLogin({ sub: '001.a.1', email: 'a@privaterelay.appleid.com' });
    const second = await authorize(e, { scope: 'openid name email', response_mode: 'form_post' });
    expect(second.fields.user).toBeUndefined();
    expect(second.fields.code).toEqual(expect.any(String));
  });

  it.each([
    ['a wrong audience', { aud: 'https://example.com' }],
    ['a wrong issuer (team)', { iss: 'OTHERTEAM1' }],
    ['a wrong subject (client)', { sub: 'com.example.other' }],
    ['a wrong key id', { kid: 'OTHERKEY01' }],
    ['a lifetime over six months', { life: 15_777_001 }],
    ['another key', { key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }],
    ['another algorithm', { alg: 'ES384', key: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }],
  ])('refuses a client secret with %s', async (_label, change) => {
    const e = await start('apple');
    const { fields } = await authorize(e, { scope: 'openid', response_mode: 'form_post' });
    const res = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: await appleSecret(e, change) });
    expect(res).toMatchObject({ status: 400, json: { error: 'invalid_client' } });
  });

  it('refuses Basic authentication even with a valid secret', async () => {
    const e = await start('apple');
    const { fields } = await authorize(e, { scope: 'openid' });
    const res = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT }, basic(e.config.clientId!, await appleSecret(e)));
    expect(res).toMatchObject({ status: 400, json: { error: 'invalid_client' } });
  });
});

describe('twitch dialect', () => {
  it('takes the secret in the body only, answers scope as an array and errors as {status, message}', async () => {
    const e = await start('twitch');
    const { fields } = await authorize(e, { scope: 'openid user:read:email', nonce: 'n' });
    const form = { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT };
    expect(await post(e.token, form, basic(e.config.clientId!, e.config.clientSecret!))).toMatchObject({ status: 400, json: { status: 400, message: 'missing client secret' } });
    const ok = await post(e.token, { ...form, client_id: e.config.clientId!, client_secret: e.config.clientSecret! });
    expect(ok.json.scope).toEqual(['openid', 'user:read:email']);
    // Without the claims parameter the ID token carries no email.
    expect(decodeJwt(ok.json.id_token as string).email).toBeUndefined();
    const helix = `${mock!.origin}/helix/users`;
    const bearer = { authorization: `Bearer ${ok.json.access_token as string}` };
    expect(await (await fetch(helix, { headers: bearer })).json()).toMatchObject({ status: 401, message: 'Client-Id header required' });
    expect((await fetch(helix, { headers: { ...bearer, 'client-id': 'someone-else' } })).status).toBe(401);
    expect((await fetch(helix, { headers: { ...bearer, 'client-id': e.config.clientId! } })).status).toBe(200);

    const again = await post(e.token, { ...form, client_id: e.config.clientId!, client_secret: e.config.clientSecret! });
    expect(again).toMatchObject({ status: 400, json: { status: 400, message: 'Invalid authorization code' } });
  });

  it('puts the optional claims in the ID token when the claims parameter asks', async () => {
    const e = await start('twitch');
    mock!.nextLogin({ sub: '1', email: 'a@b.tv', preferred_username: 'ab' });
    const claims = JSON.stringify({ id_token: { email: null, preferred_username: null } });
    const { fields } = await authorize(e, { scope: 'openid user:read:email', claims });
    const ok = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: e.config.clientSecret! });
    expect(decodeJwt(ok.json.id_token as string)).toMatchObject({ email: 'a@b.tv', preferred_username: 'ab' });
  });
});

describe('facebook dialect', () => {
  it('refuses Basic, and API calls without or with a wrong appsecret_proof', async () => {
    const e = await start('facebook');
    const { fields } = await authorize(e, { scope: 'email' });
    const form = { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT };
    expect(await post(e.token, form, basic(e.config.clientId!, e.config.clientSecret!))).toMatchObject({
      status: 400,
      json: { error: { type: 'OAuthException', code: 1, message: 'Error validating client secret.' } },
    });
    const ok = await post(e.token, { ...form, client_id: e.config.clientId!, client_secret: e.config.clientSecret! });
    expect(ok.json).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 3600 });
    const me = (proof?: string) =>
      fetch(`${mock!.origin}/v22.0/me?fields=id,name${proof === undefined ? '' : `&appsecret_proof=${proof}`}`, { headers: { authorization: `Bearer ${ok.json.access_token as string}` } });
    expect(await (await me()).json()).toMatchObject({ error: { message: 'API calls from the server require an appsecret_proof argument' } });
    expect((await me('00'.repeat(32))).status).toBe(400);
  });
});

describe('linkedin dialect', () => {
  it('refuses Basic and a code_verifier (invalid_client), and omits the nonce from ID tokens', async () => {
    const e = await start('linkedin');
    const p = pkce();
    const login = async () => (await authorize(e, { scope: 'openid profile email', nonce: 'n1', code_challenge: p.challenge, code_challenge_method: 'S256' })).fields.code!;
    const form = async () => ({ grant_type: 'authorization_code', code: await login(), redirect_uri: REDIRECT });
    const creds = { client_id: e.config.clientId!, client_secret: e.config.clientSecret! };
    expect(await post(e.token, await form(), basic(e.config.clientId!, e.config.clientSecret!))).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    expect(await post(e.token, { ...(await form()), ...creds, code_verifier: p.verifier })).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const ok = await post(e.token, { ...(await form()), ...creds });
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.json.id_token as string).nonce).toBeUndefined();
  });
});

describe('slack dialect', () => {
  it('answers ok:true, and every failure as HTTP 200 ok:false with Slack\'s error names', async () => {
    const e = await start('slack');
    const { fields } = await authorize(e, { scope: 'openid profile' });
    const form = { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT, client_id: e.config.clientId!, client_secret: e.config.clientSecret! };
    const ok = await post(e.token, form);
    expect(ok.json).toMatchObject({ ok: true, token_type: 'Bearer' });
    expect(decodeJwt(ok.json.id_token as string)).toMatchObject({ 'https://slack.com/user_id': 'alice', 'https://slack.com/user_image_512': expect.any(String) });
    expect(decodeJwt(ok.json.id_token as string).picture).toBeUndefined();
    expect(await post(e.token, form)).toMatchObject({ status: 200, json: { ok: false, error: 'invalid_code' } });
  });
});

describe('dropbox dialect', () => {
  it('takes get_current_account as a POST with no body (or JSON null) only', async () => {
    const e = await start('dropbox');
    const { fields } = await authorize(e, { scope: 'account_info.read', token_access_type: 'offline' });
    const ok = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT }, basic(e.config.clientId!, e.config.clientSecret!));
    expect(ok.json).toMatchObject({ refresh_token: expect.any(String), account_id: 'alice' });
    const url = `${mock!.origin}/2/users/get_current_account`;
    const auth = { authorization: `Bearer ${ok.json.access_token as string}` };
    expect((await fetch(url, { headers: auth })).status).toBe(400);
    expect((await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(400);
    expect((await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '' })).status).toBe(400);
    expect((await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: 'null' })).status).toBe(200);
    expect(await (await fetch(url, { method: 'POST', headers: auth })).json()).toMatchObject({ account_id: 'alice', email_verified: true });
  });
});

describe('microsoft dialect', () => {
  it('names the issuer {tenantid} for common, the personal tenant for consumers, and signs with the user\'s tid', async () => {
    const e = await start('microsoft');
    const common = (await (await fetch(`${mock!.origin}/common/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(common.issuer).toBe(`${mock!.origin}/{tenantid}/v2.0`);
    const consumers = (await (await fetch(`${mock!.origin}/consumers/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(consumers.issuer).toBe(`${mock!.origin}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`);
    mock!.nextLogin({ sub: 's1', tid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
    const { fields } = await authorize(e, { scope: 'openid' });
    const ok = await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT }, basic(e.config.clientId!, e.config.clientSecret!));
    expect(decodeJwt(ok.json.id_token as string)).toMatchObject({ iss: `${mock!.origin}/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/v2.0`, tid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', ver: '2.0' });
    expect((await fetch(`${mock!.origin}/contoso.com/oauth2/v2.0/authorize?client_id=${e.config.clientId!}&redirect_uri=${REDIRECT}&response_type=code`)).status).toBe(400);
  });
});

describe('google dialect', () => {
  it('signs ID tokens with a scheme-less issuer, and gives a refresh token only offline at first consent or with prompt=consent', async () => {
    const e = await start('google');
    const exchange = async (params: Record<string, string>) => {
      const { fields } = await authorize(e, { scope: 'openid email', ...params });
      return (await post(e.token, { grant_type: 'authorization_code', code: fields.code!, redirect_uri: REDIRECT }, basic(e.config.clientId!, e.config.clientSecret!))).json;
    };
    const online = await exchange({});
    expect(decodeJwt(online.id_token as string).iss).toBe(mock!.origin.replace('http://', ''));
    expect(online.refresh_token).toBeUndefined();
    // Alice consented above: offline without prompt=consent gets no refresh token.
    expect((await exchange({ access_type: 'offline' })).refresh_token).toBeUndefined();
    expect((await exchange({ access_type: 'offline', prompt: 'consent' })).refresh_token).toEqual(expect.any(String));
  });
});

describe('auth0 dialect', () => {
  it('names its issuer with a trailing slash', async () => {
    const e = await start('auth0');
    const doc = (await (await fetch(e.config.serverMetadataUrl!)).json()) as Record<string, string>;
    expect(doc.issuer).toBe(`${mock!.origin}/`);
    expect(doc.end_session_endpoint).toBeUndefined();
  });
});

describe('twitter dialect (OAuth 1.0a)', () => {
  it('verifies every signature: a tampered one, a replayed nonce and a stale timestamp are refused', async () => {
    mock = await MockOAuthProvider.start({ as: 'twitter' });
    const config = mock.clientConfig();
    const driver = new OAuth1PresetDriver(config);
    const ok = await driver.signed('POST', config.requestTokenUrl!, undefined, { oauth_callback: 'https://app.example/cb' });
    expect(ok.status).toBe(200);
    expect(Object.fromEntries(new URLSearchParams(await ok.text()))).toMatchObject({ oauth_callback_confirmed: 'true' });

    const wrongSecret = new OAuth1PresetDriver({ ...config, clientSecret: 'not-the-secret' });
    expect((await wrongSecret.signed('POST', config.requestTokenUrl!, undefined, { oauth_callback: 'https://app.example/cb' })).status).toBe(401);

    const header = (await captureHeader(driver, config.requestTokenUrl!))!;
    const send = (h: string) => fetch(config.requestTokenUrl!, { method: 'POST', headers: { authorization: h } });
    expect((await send(header)).status).toBe(200);
    expect((await send(header)).status).toBe(401);
    const stale = header.replace(/oauth_timestamp="\d+"/, `oauth_timestamp="${Math.floor(Date.now() / 1000) - 3600}"`);
    expect((await send(stale)).status).toBe(401);
  });
});

/** A signed Authorization header for a request token request, not sent. */
async function captureHeader(driver: OAuth1PresetDriver, url: string): Promise<string | undefined> {
  const original = globalThis.fetch;
  let header: string | undefined;
  globalThis.fetch = (async (_input: unknown, init?: RequestInit) => {
    header = (init?.headers as Record<string, string> | undefined)?.Authorization;
    return new Response('', { status: 200 });
  }) as typeof fetch;
  try {
    await driver.signed('POST', url, undefined, { oauth_callback: 'https://app.example/cb' });
  } finally {
    globalThis.fetch = original;
  }
  return header;
}

/** A request with no User-Agent at all (fetch always sends one). */
function withoutUserAgent(method: string, url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}
