/**
 * Audit item 5: a JWKS with unusable keys is read around them (RFC 7517 section 5).
 * An RSA key without `n`, with an `n` that is not base64url, or too short to verify
 * RS256, sitting next to the provider's real key: a token without `kid`, or one
 * whose `kid` the broken key shares, is verified by the usable key; a token that no
 * usable key verifies is 401 `invalid_id_token`, never a 500.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { Browser } from '../support/browser.js';
import { HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileProvider, type HostileScenario, type ProviderKeys } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

let op: HostileProvider;

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});

/** RSA keys that cannot verify anything, each carrying `kid`. */
function brokenRsaKeys(kid: string, keys: ProviderKeys): JWK[] {
  const { n: _n, ...noModulus } = keys.rsa.publicJwk;
  return [
    { ...noModulus, kid },
    { ...keys.rsa.publicJwk, kid, n: '%%%not-base64url%%%' },
    // 512 bits: importable, but jose refuses RS256 under 2048 bits when verifying.
    { ...keys.rsa.publicJwk, kid, n: Buffer.alloc(64, 0xc5).toString('base64url') },
  ];
}

const accepted: Array<[string, HostileScenario]> = [
  [
    'a token without kid, broken RSA keys listed first',
    {
      idToken: { header: (h) => delete h.kid },
      jwks: (published, keys) => [...brokenRsaKeys('broken', keys), ...published].map(({ kid: _k, ...k }) => k),
    },
  ],
  [
    'a token whose kid the broken RSA keys share',
    { jwks: (published, keys) => [...brokenRsaKeys(keys.rsa.kid, keys), ...published] },
  ],
  [
    'broken keys of other types too (EC without x, OKP without x)',
    {
      idToken: { header: (h) => delete h.kid },
      jwks: (published, keys) =>
        [
          { kty: 'EC', crv: 'P-256', y: keys.ec.publicJwk.y, alg: 'ES256', use: 'sig' },
          { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' },
          ...brokenRsaKeys('broken', keys),
          ...published,
        ].map(({ kid: _k, ...k }) => k),
    },
  ],
];

const refused: Array<[string, HostileScenario]> = [
  ['only broken RSA keys, token without kid', { idToken: { header: (h) => delete h.kid }, jwks: (_p, keys) => brokenRsaKeys('broken', keys) }],
  ['only broken RSA keys under the token\'s kid', { jwks: (_p, keys) => brokenRsaKeys(keys.rsa.kid, keys) }],
];

describe.each(PLATFORMS)('unusable JWKS keys on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    op.reset();
    await app?.close();
    app = undefined;
  });

  async function login(scenario: HostileScenario) {
    op.scenario = scenario;
    // A fresh app per case: the JWKS is cached per client.
    app = await startTestApp({ platform, client: op.client });
    return walkLogin(new Browser(), `${app.origin}/auth/op`, op);
  }

  it.each(accepted)('%s: the usable key verifies, the login succeeds', async (_name, scenario) => {
    const walk = await login(scenario);
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    expect(walk.callback!.json<{ oauth: { userinfo: { sub: string } } }>().oauth.userinfo.sub).toBe('user-1');
  });

  it.each(refused)('%s: 401 invalid_id_token, not 500', async (_name, scenario) => {
    const walk = await login(scenario);
    expect(walk.callback?.status, walk.callback?.text).toBe(401);
    expect(walk.callback!.json()).toEqual({ statusCode: 401, error: 'invalid_id_token', message: expect.any(String) });
    // One token request, then at most the JWKS fetch and one refetch: nothing else.
    const lines = op.linesSince(walk.mark);
    expect(lines[0]).toBe(`POST ${HOSTILE_PATHS.token}`);
    expect(lines.slice(1).every((l) => l === `GET ${HOSTILE_PATHS.jwks}`), lines.join(', ')).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(3);
  });
});
