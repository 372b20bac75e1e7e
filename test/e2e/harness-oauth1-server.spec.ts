import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFormEncoded, signRequest, type SignedRequest, type SignRequestInput } from '../../lib/clients/oauth1/oauth1-signature.js';
import type { OAuth1SignatureMethod, OAuth1SignatureType } from '../../lib/interfaces/oauth-client-config.interface.js';
import { OAUTH1_INSTALL_COMMAND, startOAuth1Server, type OAuth1Server } from '../support/oauth1-server.js';

// The signer against Authlib's OAuth 1.0a provider, without the Nest client: every
// signature method in every placement through the whole RFC 5849 flow, then signed
// calls to a protected resource, and the server refusing what it must refuse.

let server: OAuth1Server;
beforeAll(async () => {
  server = await startOAuth1Server();
});
afterAll(async () => {
  await server?.close();
});

const METHODS: OAuth1SignatureMethod[] = ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'];
const TYPES: OAuth1SignatureType[] = ['header', 'query', 'body'];
const VARIANTS = METHODS.flatMap((method) => TYPES.map((type) => ({ method, type })));
const CALLBACK = 'http://127.0.0.1:9/auth/x/callback?from=harness';

type Variant = { method: OAuth1SignatureMethod; type: OAuth1SignatureType };
type Credentials = Pick<SignRequestInput, 'consumerKey' | 'consumerSecret' | 'rsaKey' | 'signatureMethod' | 'signatureType'>;

function credentials(v: Variant): Credentials {
  const base = { signatureMethod: v.method, signatureType: v.type };
  if (v.method === 'RSA-SHA1') return { ...base, consumerKey: server.clients.rsa.clientId, rsaKey: server.rsaPrivateKeyPem };
  const c = v.method === 'PLAINTEXT' ? server.clients.plaintext : server.clients.hmac;
  return { ...base, consumerKey: c.clientId, consumerSecret: c.clientSecret };
}

/** Sends a signed request as signRequest says: its URL, its headers, its form body. */
async function send(method: string, signed: SignedRequest, extra: { headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...signed.headers, ...extra.headers };
  let body = extra.body;
  if (signed.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = signed.form.toString();
  }
  return fetch(signed.url, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
}

/** Requests made so far to `path`, as the server logged them. */
async function logged(path: string) {
  return (await server.log()).filter((r) => r.path === path);
}

interface TemporaryCredential {
  oauth_token: string;
  oauth_token_secret: string;
}

async function requestToken(v: Variant, callback = CALLBACK): Promise<{ res: Response; body: Map<string, string> }> {
  // Body placement needs a form body; an empty one carries just the protocol parameters.
  const signed = signRequest({ method: 'POST', url: `${server.origin}/initiate`, ...(v.type === 'body' ? { form: {} } : {}), callback, ...credentials(v) });
  const res = await send('POST', signed);
  return { res, body: parseFormEncoded(await res.text()) };
}

async function temporaryCredential(v: Variant): Promise<TemporaryCredential> {
  const { res, body } = await requestToken(v);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
  // RFC 5849 2.1 says "true"; Authlib 1.2 writes Python's True.
  expect(body.get('oauth_callback_confirmed')).toBe('True');
  return { oauth_token: body.get('oauth_token')!, oauth_token_secret: body.get('oauth_token_secret')! };
}

async function authorize(oauthToken: string, query = ''): Promise<URL> {
  const res = await fetch(`${server.origin}/authorize?oauth_token=${encodeURIComponent(oauthToken)}${query}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function accessToken(v: Variant, temp: TemporaryCredential, verifier: string, tokenSecret = temp.oauth_token_secret) {
  const signed = signRequest({
    method: 'POST',
    url: `${server.origin}/token`,
    ...(v.type === 'body' ? { form: {} } : {}),
    token: temp.oauth_token,
    tokenSecret,
    verifier,
    ...credentials(v),
  });
  const res = await send('POST', signed);
  return { res, body: parseFormEncoded(await res.text()) };
}

/** The whole flow; returns the token credentials. */
async function login(v: Variant): Promise<TemporaryCredential> {
  const temp = await temporaryCredential(v);
  const callback = await authorize(temp.oauth_token);
  expect(`${callback.origin}${callback.pathname}`).toBe('http://127.0.0.1:9/auth/x/callback');
  expect(callback.searchParams.get('from')).toBe('harness');
  expect(callback.searchParams.get('oauth_token')).toBe(temp.oauth_token);
  const verifier = callback.searchParams.get('oauth_verifier')!;
  expect(verifier).toMatch(/^\w{20,}$/);
  const { res, body } = await accessToken(v, temp, verifier);
  expect(res.status).toBe(200);
  expect(body.get('user_id')).toBe('alice');
  expect(body.get('screen_name')).toBe('alice');
  const token = { oauth_token: body.get('oauth_token')!, oauth_token_secret: body.get('oauth_token_secret')! };
  expect(token.oauth_token).toMatch(/^\w{20,}$/);
  expect(token.oauth_token).not.toBe(temp.oauth_token);
  return token;
}

interface MeAnswer {
  user_id: string;
  client_id: string;
  method: string;
  signature_method: string;
  signature_type: string;
  query: Record<string, string[]>;
  form: Record<string, string[]>;
  json: unknown;
}

/** Parameters that trip naive signers: `+`, spaces, `%`, unicode, empties, repeats, prototype names. */
const TRICKY: Array<[string, string]> = [
  ['q', 'a b+c'],
  ['list', '2'],
  ['list', '1'],
  ['empty', ''],
  ['pct', '100% %20 &='],
  ['uni', 'snow ☃ and 😀'],
  ['__proto__', 'polluted?'],
  ['constructor', 'prototype'],
  ['a.b-c_d~', "*!'()"],
];

const pick = <T>(list: readonly T[]): T => list[randomBytes(1)[0]! % list.length]!;

function grouped(pairs: Array<[string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [k, v] of pairs) (out[k] ??= []).push(v);
  return { ...out };
}

describe.each(VARIANTS)('Authlib OAuth 1.0a server with $method in the $type', (v) => {
  it('completes request token -> authorize -> access token, placing parameters where asked', async () => {
    const before = { initiate: (await logged('/initiate')).length, token: (await logged('/token')).length };
    await login(v);
    const initiate = (await logged('/initiate')).slice(before.initiate);
    const token = (await logged('/token')).slice(before.token);
    expect(initiate.map((r) => r.placement)).toEqual([[v.type]]);
    expect(token.map((r) => r.placement)).toEqual([[v.type]]);
  });

  it('makes signed GET and form POST calls the server accepts, and signed calls it refuses when altered', async () => {
    const token = await login(v);
    const sign = (method: string, url: string, form?: Array<[string, string]>, over: Partial<SignRequestInput> = {}) =>
      signRequest({ method, url, ...(form ? { form } : {}), token: token.oauth_token, tokenSecret: token.oauth_token_secret, ...credentials(v), ...over });
    const url = `${server.origin}/api/me?${new URLSearchParams(TRICKY).toString()}`;

    if (v.type !== 'body') {
      const res = await send('GET', sign('GET', url));
      expect(res.status).toBe(200);
      const me = (await res.json()) as MeAnswer;
      expect(me).toMatchObject({ user_id: 'alice', method: 'GET', signature_method: v.method, signature_type: v.type.toUpperCase(), form: {} });
      const sent = Object.entries(me.query).filter(([k]) => !k.startsWith('oauth_'));
      expect(Object.fromEntries(sent)).toEqual(grouped(TRICKY));
      // Query placement puts the protocol parameters in the query; the others do not.
      expect('oauth_signature' in me.query).toBe(v.type === 'query');
    }

    // A form POST with the same tricky parameters in the body and one in the query.
    const post = await send('POST', sign('POST', `${server.origin}/api/me?where=query+side`, TRICKY));
    expect(post.status).toBe(200);
    const me = (await post.json()) as MeAnswer;
    expect(me).toMatchObject({ user_id: 'alice', method: 'POST', signature_method: v.method, signature_type: v.type.toUpperCase() });
    const formSent = Object.fromEntries(Object.entries(me.form).filter(([k]) => !k.startsWith('oauth_')));
    expect(formSent).toEqual(grouped(TRICKY));
    expect(me.query.where).toEqual(['query side']);

    // Altered after signing: a value in the query, a value in the body. Each is
    // signed afresh: Authlib records a nonce before it checks the signature.
    const alterations: Array<(signed: SignedRequest) => SignedRequest> = [
      (signed) => ({ ...signed, url: signed.url.replace('n=1', 'n=2') }),
      (signed) => ({ ...signed, form: new URLSearchParams([...signed.form!].map(([k, val]): [string, string] => [k, k === 'status' ? 'hello!' : val])) }),
    ];
    for (const alter of alterations) {
      const res = await send('POST', alter(sign('POST', `${server.origin}/api/me?n=1`, [['status', 'hello']])));
      if (v.method === 'PLAINTEXT') {
        // PLAINTEXT signs nothing but the secrets (RFC 5849 3.4.4): only TLS protects the request.
        expect(res.status).toBe(200);
      } else {
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
      }
    }

    // Wrong secrets (RSA-SHA1 uses neither secret, only the key).
    if (v.method === 'RSA-SHA1') {
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const res = await send('POST', sign('POST', `${server.origin}/api/me`, [['a', 'b']], { rsaKey: otherKey }));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
    } else {
      for (const over of [{ tokenSecret: 'wrong' }, { consumerSecret: 'wrong' }]) {
        const res = await send('POST', sign('POST', `${server.origin}/api/me`, [['a', 'b']], over));
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
      }
    }

    // An unknown token credential.
    const forged = await send('POST', sign('POST', `${server.origin}/api/me`, [['a', 'b']], { token: 'forged' }));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'invalid_token' });
  });
});

describe('startOAuth1Server without Authlib', () => {
  it('fails, saying what to install, instead of skipping', async () => {
    expect(OAUTH1_INSTALL_COMMAND).toBe('apt-get install -y python3-authlib python3-flask');
    const missing = startOAuth1Server({ python: '/nonexistent/python3' });
    await expect(missing).rejects.toThrow(/Install them with: apt-get install -y python3-authlib python3-flask /);
  });
});

describe('Authlib OAuth 1.0a server checks', () => {
  const hmacHeader: Variant = { method: 'HMAC-SHA1', type: 'header' };

  it('refuses a replayed nonce and a stale timestamp (RFC 5849 3.3)', async () => {
    const token = await login(hmacHeader);
    const signed = signRequest({ method: 'GET', url: `${server.origin}/api/me`, token: token.oauth_token, tokenSecret: token.oauth_token_secret, ...credentials(hmacHeader) });
    expect((await send('GET', signed)).status).toBe(200);
    const replay = await send('GET', signed);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_nonce' });

    const stale = signRequest({
      method: 'GET',
      url: `${server.origin}/api/me`,
      token: token.oauth_token,
      tokenSecret: token.oauth_token_secret,
      ...credentials(hmacHeader),
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    const res = await send('GET', stale);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', error_description: 'Invalid "oauth_timestamp" value' });
  });

  it('refuses a request token request with a wrong signature, answering a form-encoded error', async () => {
    const signed = signRequest({ method: 'POST', url: `${server.origin}/initiate`, callback: CALLBACK, ...credentials(hmacHeader), consumerSecret: 'wrong' });
    const res = await send('POST', signed);
    expect(res.status).toBe(401);
    // Authlib reports `error=`, not the OAuth Problem Reporting `oauth_problem=`.
    expect(Object.fromEntries(parseFormEncoded(await res.text()))).toEqual({ error: 'invalid_signature' });
  });

  it('refuses an access token request signed with the wrong token secret, and burns the temporary credential', async () => {
    const temp = await temporaryCredential(hmacHeader);
    const verifier = (await authorize(temp.oauth_token)).searchParams.get('oauth_verifier')!;
    const wrong = await accessToken(hmacHeader, temp, verifier, 'wrong-secret');
    expect(wrong.res.status).toBe(401);
    expect(wrong.body.get('error')).toBe('invalid_signature');
    // Authlib deletes the temporary credential on any failed token request: a retry fails.
    const retry = await accessToken(hmacHeader, temp, verifier);
    expect(retry.res.status).toBe(401);
    expect(retry.body.get('error')).toBe('invalid_token');
  });

  it('refuses an access token request with a wrong verifier', async () => {
    const temp = await temporaryCredential(hmacHeader);
    await authorize(temp.oauth_token);
    const wrong = await accessToken(hmacHeader, temp, 'not-the-verifier');
    expect(wrong.res.status).toBe(400);
    expect(wrong.body.get('error')).toBe('invalid_request');
  });

  it('refuses an unknown client', async () => {
    const signed = signRequest({ method: 'POST', url: `${server.origin}/initiate`, callback: CALLBACK, ...credentials(hmacHeader), consumerKey: 'nobody' });
    const res = await send('POST', signed);
    expect(res.status).toBe(401);
    expect(parseFormEncoded(await res.text()).get('error')).toBe('invalid_client');
  });

  it('denies X-style with denied=<oauth_token>, and Authlib-style with error=access_denied and no token', async () => {
    const x = await temporaryCredential(hmacHeader);
    const xCallback = await authorize(x.oauth_token, '&deny=1');
    expect(xCallback.searchParams.get('denied')).toBe(x.oauth_token);
    expect(xCallback.searchParams.has('oauth_verifier')).toBe(false);

    const a = await temporaryCredential(hmacHeader);
    const aCallback = await authorize(a.oauth_token, '&deny=authlib');
    expect(aCallback.searchParams.get('error')).toBe('access_denied');
    expect(aCallback.searchParams.has('oauth_token')).toBe(false);
    expect(aCallback.searchParams.has('oauth_verifier')).toBe(false);
    expect(aCallback.searchParams.get('from')).toBe('harness');
  });

  it('completes an out-of-band login (oauth_callback "oob"): the verifier is shown, not sent', async () => {
    const { res, body } = await requestToken(hmacHeader, 'oob');
    expect(res.status).toBe(200);
    const temp = { oauth_token: body.get('oauth_token')!, oauth_token_secret: body.get('oauth_token_secret')! };
    const shown = await fetch(`${server.origin}/authorize?oauth_token=${temp.oauth_token}`);
    expect(shown.status).toBe(200);
    const { oauth_token, oauth_verifier } = (await shown.json()) as { oauth_token: string; oauth_verifier: string };
    expect(oauth_token).toBe(temp.oauth_token);
    const token = await accessToken(hmacHeader, temp, oauth_verifier);
    expect(token.res.status).toBe(200);
    expect(token.body.get('user_id')).toBe('alice');
  });

  // A deviation of Authlib 1.2 from RFC 5849 3.4.1.3.1, kept visible here: it
  // percent-decodes every oauth_* value once more when it builds the base string, so
  // a callback URL holding %XX fails its signature check in every placement, while
  // one without escapes passes. RFC-conformant providers (X among them) accept both.
  it.each(TYPES)('Authlib 1.2 refuses a %%XX-escaped oauth_callback in the %s (its double decoding)', async (type) => {
    const v: Variant = { method: 'HMAC-SHA1', type };
    for (const callback of ['http://127.0.0.1:9/cb?next=%2Fhome', 'http://127.0.0.1:9/c%20b']) {
      const { res, body } = await requestToken(v, callback);
      expect(res.status, callback).toBe(401);
      expect(body.get('error')).toBe('invalid_signature');
    }
    const plain = await requestToken(v, 'http://127.0.0.1:9/cb?next=/home&a=b+c');
    expect(plain.res.status).toBe(200);
  });

  it('accepts parameters in the query, the body, or split between them: 40 random sets, one signature each', async () => {
    const token = await login(hmacHeader);
    const alphabet = ['a', 'Z', '0', ' ', '+', '%', '&', '=', '☃', '~', '*', '/', '?', '#', '"', "'", ''];
    const names = ['a', 'b', 'A', '__proto__', 'constructor', 'toString', 'x y', 'n+m', 'é', ''];
    for (let round = 0; round < 40; round++) {
      const params: Array<[string, string]> = Array.from({ length: 1 + (randomBytes(1)[0]! % 6) }, () => [
        pick(names),
        Array.from({ length: randomBytes(1)[0]! % 6 }, () => pick(alphabet)).join(''),
      ]);
      const split = randomBytes(1)[0]! % (params.length + 1);
      const query = new URLSearchParams(params.slice(0, split)).toString();
      const signed = signRequest({
        method: 'POST',
        url: `${server.origin}/api/me${query ? `?${query}` : ''}`,
        form: params.slice(split),
        token: token.oauth_token,
        tokenSecret: token.oauth_token_secret,
        ...credentials(hmacHeader),
      });
      const res = await send('POST', signed);
      expect(res.status, JSON.stringify({ params, split })).toBe(200);
      const me = (await res.json()) as MeAnswer;
      expect(me.query, JSON.stringify(params)).toEqual(grouped(params.slice(0, split)));
      expect(me.form, JSON.stringify(params)).toEqual(grouped(params.slice(split)));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('signs the API call with a JSON body over the URL and protocol parameters only', async () => {
    const token = await login(hmacHeader);
    const signed = signRequest({ method: 'PUT', url: `${server.origin}/api/me?id=7`, token: token.oauth_token, tokenSecret: token.oauth_token_secret, ...credentials(hmacHeader) });
    const res = await send('PUT', signed, { headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"polluted":1},"a":[1,2]}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ method: 'PUT', query: { id: ['7'] }, json: { a: [1, 2] } });
  });
});
