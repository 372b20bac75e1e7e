import { KeyObject, createHmac, createSign } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROGUE_PATHS, startRogueProvider, type RogueProvider, type RogueScenario } from '../support/rogue-provider.js';
import type { TestApp } from '../support/nest-app.js';
import { appFor, attempt } from './rogue-support.js';

let rogue: RogueProvider;
let app: TestApp | undefined;

beforeAll(async () => {
  rogue = await startRogueProvider();
});
afterAll(async () => {
  await rogue.close();
});
afterEach(async () => {
  rogue.scenario = {};
  await app?.close();
  app = undefined;
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (jwt: string) => jwt.split('.') as [string, string, string];
const payloadOf = (jwt: string) => JSON.parse(Buffer.from(parts(jwt)[1], 'base64url').toString()) as Record<string, unknown>;
/** Flips one character in the middle of the signature. */
const alterSignature = (jwt: string) => {
  const [h, p, s] = parts(jwt);
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
};
const hs256 = (jwt: string, key: string | Buffer) => {
  const payload = parts(jwt)[1];
  const header = b64({ alg: 'HS256', typ: 'JWT' });
  return `${header}.${payload}.${createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')}`;
};
const now = () => Math.floor(Date.now() / 1000);

const rejected: Array<[string, RogueScenario]> = [
  ['alg none', { idTokenJwt: (jwt) => `${b64({ alg: 'none', typ: 'JWT' })}.${parts(jwt)[1]}.` }],
  ['RS256 signature bytes altered', { idTokenJwt: alterSignature }],
  ['ES256 signature bytes altered', { alg: 'ES256', idTokenJwt: alterSignature }],
  ['HS256 keyed with the public key (PEM)', { idTokenJwt: (jwt, keys) => hs256(jwt, keys.rsa.publicPem) }],
  ['HS256 keyed with the public key (JWK)', { idTokenJwt: (jwt, keys) => hs256(jwt, JSON.stringify(keys.rsa.publicJwk)) }],
  [
    'an unknown crit header',
    {
      // jose refuses to sign with an unknown crit, so this one is signed by hand.
      idTokenJwt: (jwt, keys) => {
        const header = b64({ alg: 'RS256', kid: keys.rsa.publicJwk.kid, crit: ['x-unknown'], 'x-unknown': 1 });
        const input = `${header}.${parts(jwt)[1]}`;
        return `${input}.${createSign('RSA-SHA256').update(input).sign(KeyObject.from(keys.rsa.privateKey), 'base64url')}`;
      },
    },
  ],
  ['a wrong iss', { idToken: (t) => (t.claims.iss = 'https://evil.example') }],
  ['no iss', { idToken: (t) => delete t.claims.iss }],
  ['a wrong aud', { idToken: (t) => (t.claims.aud = 'someone-else') }],
  ['no aud', { idToken: (t) => delete t.claims.aud }],
  ['no sub', { idToken: (t) => delete t.claims.sub }],
  ['a sub that is not a string', { idToken: (t) => ((t.claims as Record<string, unknown>).sub = 42) }],
  ['no iat', { idToken: (t) => delete t.claims.iat }],
  ['no exp', { idToken: (t) => delete t.claims.exp }],
  ['several audiences and no azp', { idToken: (t) => (t.claims.aud = ['rogue-client', 'other']) }],
  ['several audiences and a wrong azp', { idToken: (t) => Object.assign(t.claims, { aud: ['rogue-client', 'other'], azp: 'other' }) }],
  ['exp 10 minutes past', { idToken: (t) => (t.claims.exp = now() - 600) }],
  ['iat an hour ahead', { idToken: (t) => (t.claims.iat = now() + 3600) }],
  ['a wrong nonce', { idToken: (t) => (t.claims.nonce = 'not-the-nonce') }],
  ['no nonce', { idToken: (t) => delete t.claims.nonce }],
  ['a wrong at_hash', { idToken: (t) => (t.claims.at_hash = 'AAAAAAAAAAAAAAAAAAAAAA') }],
  ['a kid unknown even after a refetch', { idToken: (t) => (t.header.kid = 'nobody') }],
  ['a key that only allows enc', { jwks: (keys) => keys.map((k) => ({ ...k, use: 'enc' })) }],
  ['HS256 while the client did not configure it', { idTokenJwt: (jwt, _keys) => hs256(jwt, 'rogue-secret-0123456789') }],
];

describe('ID tokens the client must refuse', () => {
  it.each(rejected)('%s: 401 invalid_id_token, and nothing is called afterwards', async (_name, scenario) => {
    app = await appFor(rogue);
    rogue.scenario = scenario;
    let issued = '';
    const userEdit = scenario.tokenResponse;
    rogue.scenario.tokenResponse = (body) => {
      issued = String(body.access_token);
      return userEdit ? userEdit(body) : { status: 200, body: JSON.stringify(body) };
    };
    const start = rogue.requests.length;
    const a = await attempt(app, rogue);
    expect(a.callback?.status).toBe(401);
    const body = a.callback!.json<{ statusCode: number; error: string; message: string }>();
    expect(body.error).toBe('invalid_id_token');
    expect(body.message).not.toContain(issued);
    expect(body.message).not.toContain(new URL(a.callbackUrl!).searchParams.get('code')!);
    expect(rogue.count(ROGUE_PATHS.token, start)).toBe(1);
    expect(rogue.count(ROGUE_PATHS.userinfo, start)).toBe(0);
  });
});

describe('ID tokens accepted on purpose', () => {
  const accepted: Array<[string, RogueScenario]> = [
    ['aud as a one-element array', { idToken: (t) => (t.claims.aud = ['rogue-client']) }],
    ['exp 10 s past, within the leeway', { idToken: (t) => (t.claims.exp = now() - 10) }],
    [
      'no kid with one RSA key among EC and OKP decoys',
      {
        idToken: (t) => delete t.header.kid,
        jwks: (keys) => [...keys.map(({ kid: _kid, ...k }) => k), { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }],
      },
    ],
    ['a JWKS that also holds keys of unknown types', { jwks: (keys) => [{ kty: 'XYZ', kid: 'odd' }, { kty: 'oct', k: 'c2VjcmV0' }, ...keys] }],
    ['token_type "bEARER"', { tokenResponse: (b) => ({ status: 200, body: JSON.stringify({ ...b, token_type: 'bEARER' }) }) }],
    [
      'no expires_in',
      {
        tokenResponse: (b) => {
          const { expires_in: _e, ...rest } = b;
          return { status: 200, body: JSON.stringify(rest) };
        },
      },
    ],
    ['an ES256 signature', { alg: 'ES256' }],
    [
      // The control for the crit case: the same hand signing without crit is fine.
      'a token signed by hand without crit',
      {
        idTokenJwt: (jwt, keys) => {
          const input = `${b64({ alg: 'RS256', kid: keys.rsa.publicJwk.kid })}.${parts(jwt)[1]}`;
          return `${input}.${createSign('RSA-SHA256').update(input).sign(KeyObject.from(keys.rsa.privateKey), 'base64url')}`;
        },
      },
    ],
  ];

  it.each(accepted)('%s', async (_name, scenario) => {
    app = await appFor(rogue);
    rogue.scenario = scenario;
    const a = await attempt(app, rogue);
    expect(a.callback?.status, a.callback?.text).toBe(200);
    const { oauth } = a.callback!.json<{ oauth: { userinfo: { sub: string }; token: { expires_at?: number } } }>();
    expect(oauth.userinfo.sub).toBe('user-1');
  });

  it('several keys and no kid: each candidate is tried', async () => {
    app = await appFor(rogue);
    const old = rogue.keys.rsa.publicJwk;
    await rogue.rotateKey();
    rogue.scenario = { idToken: (t) => delete t.header.kid, jwks: (keys) => [{ ...old, kid: undefined }, ...keys.map(({ kid: _kid, ...k }) => k)] };
    const a = await attempt(app, rogue);
    expect(a.callback?.status, a.callback?.text).toBe(200);
  });

  it('a key rotated between two logins costs exactly one extra JWKS fetch', async () => {
    app = await appFor(rogue);
    const start = rogue.requests.length;
    expect((await attempt(app, rogue)).callback?.status).toBe(200);
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBe(1);
    await rogue.rotateKey();
    expect((await attempt(app, rogue)).callback?.status).toBe(200);
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBe(2);
    expect((await attempt(app, rogue)).callback?.status).toBe(200);
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBe(2);
    expect(rogue.count(ROGUE_PATHS.discovery, start)).toBe(1);
  });

  it('unknown kids cause at most one JWKS refetch per cooldown window', async () => {
    app = await appFor(rogue);
    expect((await attempt(app, rogue)).callback?.status).toBe(200);
    const start = rogue.requests.length;
    let n = 0;
    rogue.scenario = { idToken: (t) => (t.header.kid = `random-${n++}`) };
    for (let i = 0; i < 10; i++) {
      const a = await attempt(app, rogue);
      expect(a.callback?.status).toBe(401);
    }
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBe(1);
  });

  it('HS256 is accepted only when configured, keyed by the client secret', async () => {
    app = await appFor(rogue, 'express', { idTokenSigningAlgs: ['HS256'] });
    rogue.scenario = { idTokenJwt: (jwt) => hs256(jwt, rogue.clientSecret) };
    expect((await attempt(app, rogue)).callback?.status).toBe(200);
    rogue.scenario = { idTokenJwt: (jwt, keys) => hs256(jwt, keys.rsa.publicPem) };
    expect((await attempt(app, rogue)).callback?.status).toBe(401);
  });

  it('the validated claims are what req.oauth.userinfo holds', async () => {
    app = await appFor(rogue);
    let jwt = '';
    rogue.scenario = {
      tokenResponse: (b) => {
        jwt = String(b.id_token);
        return { status: 200, body: JSON.stringify(b) };
      },
    };
    const a = await attempt(app, rogue);
    expect(a.callback!.json<{ oauth: { userinfo: unknown } }>().oauth.userinfo).toEqual(payloadOf(jwt));
  });
});
