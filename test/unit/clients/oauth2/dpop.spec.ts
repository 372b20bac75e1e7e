/**
 * The DPoP proof maker (RFC 9449): keys from configuration or generated, proofs
 * checked with jose exactly as a server would, the per-origin nonce memory, the
 * nonce challenge rule (one retry, then an error) and the token_type check.
 * Servers here are hand-written only for answers no real peer gives on demand
 * (a challenge loop, a challenge without a nonce); the real ones are exercised in
 * test/e2e/par-dpop-pieces.spec.ts.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import {
  accessTokenHash,
  createDpopSigner,
  expectDpopTokenType,
  htuOf,
  isDpopNonceChallenge,
  jwkThumbprint,
  parseChallenges,
  sendWithDpop,
  type DpopAnswer,
  type DpopSigner,
} from '../../../../lib/clients/oauth2/dpop.js';
import { OAuthConfigError, OAuthException, OAuthResponseError } from '../../../../lib/index.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;
const ecJwk = ec.export({ format: 'jwk' }) as JWK;
const edJwk = ed.export({ format: 'jwk' }) as JWK;
const ecPem = ec.export({ format: 'pem', type: 'pkcs8' }).toString();
const edPem = ed.export({ format: 'pem', type: 'pkcs8' }).toString();

function signer(privateKey: JWK | string = ecJwk): DpopSigner {
  return createDpopSigner({ privateKey }, { client: 'bank' })!;
}

async function verify(proof: string) {
  return jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'EdDSA'] });
}

const nowS = () => Math.floor(Date.now() / 1000);

describe('keys', () => {
  it.each([
    ['EC JWK object', ecJwk, 'ES256'],
    ['EC JWK as JSON', JSON.stringify(ecJwk), 'ES256'],
    ['EC PKCS8 PEM', ecPem, 'ES256'],
    ['EC SEC1 PEM', ec.export({ format: 'pem', type: 'sec1' }).toString(), 'ES256'],
    ['Ed25519 JWK', edJwk, 'EdDSA'],
    ['Ed25519 PEM', edPem, 'EdDSA'],
    ['EC JWK with alg ES256', { ...ecJwk, alg: 'ES256' }, 'ES256'],
    ['OKP JWK with alg Ed25519', { ...edJwk, alg: 'Ed25519' }, 'EdDSA'],
  ])('%s is used with %s', async (_name, key, alg) => {
    const s = signer(key as JWK | string);
    expect(s.alg).toBe(alg);
    const proof = await s.proof({ htm: 'GET', htu: 'https://rs.example/x' });
    const { protectedHeader } = await verify(proof);
    expect(protectedHeader.alg).toBe(alg);
  });

  it('the header carries the public key only, and the thumbprint is RFC 7638 as jose computes it', async () => {
    for (const key of [ecJwk, edJwk]) {
      const s = signer(key);
      const header = decodeProtectedHeader(await s.proof({ htm: 'GET', htu: 'https://rs.example/' }));
      expect(Object.keys(header).sort()).toEqual(['alg', 'jwk', 'typ']);
      expect(header.typ).toBe('dpop+jwt');
      const jwk = header.jwk as JWK;
      expect(jwk.d).toBeUndefined();
      expect(jwk).toEqual(key.kty === 'EC' ? { kty: 'EC', crv: 'P-256', x: key.x, y: key.y } : { kty: 'OKP', crv: 'Ed25519', x: key.x });
      expect(s.thumbprint).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
      expect(jwkThumbprint(jwk)).toBe(s.thumbprint);
    }
  });

  it.each([
    ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' })],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })],
    ['a secp256k1 key', generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' })],
    ['an Ed448 key', generateKeyPairSync('ed448').privateKey.export({ format: 'jwk' })],
    ['a public JWK', { kty: 'EC', crv: 'P-256', x: ecJwk.x, y: ecJwk.y }],
    ['a P-256 JWK marked ES384', { ...ecJwk, alg: 'ES384' }],
    ['a symmetric JWK', { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }],
    ['broken JSON', '{"kty":"EC",'],
    ['garbage text', 'PRIVATE-KEY-MATERIAL-do-not-log'],
    ['a number', 42],
  ])('refuses %s with OAuthConfigError on field dpop, never quoting it', (_name, key) => {
    let thrown: unknown;
    try {
      createDpopSigner({ privateKey: key as JWK }, { client: 'bank' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OAuthConfigError);
    expect(thrown).toMatchObject({ code: 'invalid_config', client: 'bank', field: 'dpop' });
    const message = (thrown as Error).message;
    expect(message).toBe(
      'OAuth client "bank": dpop.privateKey must be a private ES256 (P-256) or EdDSA (Ed25519) key, as a JWK (object or JSON) or a PEM.',
    );
    expect(message).not.toContain('do-not-log');
  });

  it('refuses a dpop value that is neither a boolean nor { privateKey }', () => {
    expect(() => createDpopSigner({ key: ecJwk } as never, { client: 'bank' })).toThrow(OAuthConfigError);
    expect(() => createDpopSigner('yes' as never, { client: 'bank' })).toThrow('dpop must be true, false or { privateKey }');
  });

  it('false or absent is no signer', () => {
    expect(createDpopSigner(false, { client: 'a' })).toBeUndefined();
    expect(createDpopSigner(undefined, { client: 'a' })).toBeUndefined();
  });

  it('true generates one ES256 key per process, shared by every client, with one warning in all', async () => {
    const warn = vi.fn();
    const a = createDpopSigner(true, { client: 'a', warn })!;
    const b = createDpopSigner(true, { client: 'b', warn })!;
    expect(a.alg).toBe('ES256');
    expect(b.thumbprint).toBe(a.thumbprint);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(
      'OAuth client "a": dpop is on without a privateKey, so a DPoP key was generated for this process. ' +
        'Tokens bound to it cannot be used by other instances or after a restart; configure dpop.privateKey (shared by the fleet).',
    );
    await verify(await b.proof({ htm: 'POST', htu: 'https://as.example/token' }));
    // A configured key is another key, and warns nothing.
    expect(signer().thumbprint).not.toBe(a.thumbprint);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('the same configured key gives the same thumbprint in every instance (a fleet shares it)', () => {
    expect(signer(ecPem).thumbprint).toBe(signer(ecJwk).thumbprint);
    expect(signer(edPem).thumbprint).toBe(signer(JSON.stringify(edJwk)).thumbprint);
  });
});

describe('proofs', () => {
  it('claims are exactly jti, htm, htu, iat without a token; plus ath with one; plus nonce when given', async () => {
    const s = signer();
    const before = nowS();
    const bare = (await verify(await s.proof({ htm: 'post', htu: 'https://as.example/token' }))).payload;
    expect(Object.keys(bare).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(bare).toMatchObject({ htm: 'POST', htu: 'https://as.example/token' });
    expect(bare.iat).toBeGreaterThanOrEqual(before);
    expect(bare.iat).toBeLessThanOrEqual(nowS());

    const withToken = (await verify(await s.proof({ htm: 'GET', htu: 'https://rs.example/api', accessToken: 'tok', nonce: 'n-1' }))).payload;
    expect(Object.keys(withToken).sort()).toEqual(['ath', 'htm', 'htu', 'iat', 'jti', 'nonce']);
    expect(withToken.ath).toBe(createHash('sha256').update('tok').digest('base64url'));
    expect(withToken.nonce).toBe('n-1');
  });

  it('htu drops the query and the fragment, keeps the path (RFC 9449 section 4.2)', async () => {
    const s = signer();
    const { payload } = await verify(await s.proof({ htm: 'GET', htu: 'https://rs.example:8443/a/b;c?x=1&y=2#frag' }));
    expect(payload.htu).toBe('https://rs.example:8443/a/b;c');
    expect(htuOf(new URL('http://127.0.0.1:80/p?q#f'))).toBe('http://127.0.0.1/p');
    expect(htuOf('https://AS.example/Token?')).toBe('https://as.example/Token');
  });

  it('every proof has its own jti', async () => {
    const s = signer(edJwk);
    const proofs = await Promise.all(Array.from({ length: 200 }, () => s.proof({ htm: 'GET', htu: 'https://rs.example/' })));
    const jtis = new Set(proofs.map((p) => JSON.parse(Buffer.from(p.split('.')[1]!, 'base64url').toString()).jti as string));
    expect(jtis.size).toBe(200);
    for (const jti of jtis) expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('ath matches the RFC 9449 section 7.1 example', () => {
    expect(accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });
});

const headers = (nonce?: string) => new Headers(nonce === undefined ? {} : { 'dpop-nonce': nonce });

describe('nonce memory', () => {
  it('keeps the latest nonce per origin, whatever the path, and only valid ones', () => {
    const s = signer();
    expect(s.nonceFor('https://as.example/token')).toBeUndefined();
    expect(s.learnNonce('https://as.example/par', headers('n1'))).toBe('n1');
    expect(s.learnNonce('https://rs.example/api/x', headers('r1'))).toBe('r1');
    expect(s.nonceFor('https://as.example/token?x=1')).toBe('n1');
    expect(s.nonceFor('https://rs.example/other')).toBe('r1');
    s.learnNonce('https://as.example/userinfo', headers('n2'));
    expect(s.nonceFor('https://as.example/token')).toBe('n2');
    expect(s.nonceFor('https://rs.example/')).toBe('r1');
    // Another port, scheme or host is another server.
    expect(s.nonceFor('https://as.example:8443/token')).toBeUndefined();
    expect(s.nonceFor('http://as.example/token')).toBeUndefined();
    // An answer without the header, or with a value RFC 9449 section 8.1 does not allow, changes nothing.
    for (const bad of [undefined, '', 'has space', 'quote"', 'back\\slash', 'x'.repeat(1025)]) {
      expect(s.learnNonce('https://as.example/token', headers(bad))).toBeUndefined();
    }
    expect(s.nonceFor('https://as.example/token')).toBe('n2');
  });

  it('is per signer, and bounded: the least recently updated origin is forgotten first', () => {
    const s = signer();
    const other = signer();
    s.learnNonce('https://as.example/', headers('mine'));
    expect(other.nonceFor('https://as.example/')).toBeUndefined();
    for (let i = 0; i < 256; i++) s.learnNonce(`https://rs${i}.example/`, headers(`n${i}`));
    expect(s.nonceFor('https://as.example/')).toBeUndefined();
    expect(s.nonceFor('https://rs0.example/')).toBe('n0');
    expect(s.nonceFor('https://rs255.example/')).toBe('n255');
  });
});

const answer = (status: number, fields: Record<string, string> = {}, body?: unknown): DpopAnswer => ({
  status,
  headers: new Headers(fields),
  body,
});

describe('challenges', () => {
  it('an authorization server challenge is a 400 with JSON error use_dpop_nonce (section 8)', () => {
    expect(isDpopNonceChallenge(answer(400, {}, '{"error":"use_dpop_nonce","error_description":"x"}'))).toBe(true);
    expect(isDpopNonceChallenge(answer(400, {}, '{"error":"invalid_grant"}'))).toBe(false);
    expect(isDpopNonceChallenge(answer(400, {}, 'use_dpop_nonce'))).toBe(false);
    expect(isDpopNonceChallenge(answer(400, {}, '["use_dpop_nonce"]'))).toBe(false);
    expect(isDpopNonceChallenge(answer(200, {}, '{"error":"use_dpop_nonce"}'))).toBe(false);
    expect(isDpopNonceChallenge(answer(500, {}, '{"error":"use_dpop_nonce"}'))).toBe(false);
    // A stream is not read.
    expect(isDpopNonceChallenge(answer(400, {}, new ReadableStream()))).toBe(false);
  });

  it('a resource server challenge is a 401 with WWW-Authenticate DPoP error="use_dpop_nonce" (section 9)', () => {
    for (const header of [
      'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
      'dpop ERROR="use_dpop_nonce"',
      'DPoP error=use_dpop_nonce',
      'Bearer realm="rs", DPoP realm="rs", error="use_dpop_nonce", algs="ES256 EdDSA"',
      'Basic realm="x", Bearer, DPoP algs="ES256", error="use_dpop_nonce"',
      'DPoP realm="a \\"quoted\\" realm, with comma", error="use_dpop_nonce"',
    ]) {
      expect(isDpopNonceChallenge(answer(401, { 'www-authenticate': header })), header).toBe(true);
    }
    for (const header of [
      'DPoP error="invalid_token"',
      'Bearer error="use_dpop_nonce"',
      'DPoP realm="use_dpop_nonce"',
      'DPoP error_description="use_dpop_nonce"',
      'DPoPx error="use_dpop_nonce"',
      `DPoP realm="${'x'.repeat(9000)}", error="use_dpop_nonce"`,
    ]) {
      expect(isDpopNonceChallenge(answer(401, { 'www-authenticate': header })), header.slice(0, 60)).toBe(false);
    }
    expect(isDpopNonceChallenge(answer(401, {}, '{"error":"use_dpop_nonce"}'))).toBe(false);
    expect(isDpopNonceChallenge(answer(403, { 'www-authenticate': 'DPoP error="use_dpop_nonce"' }))).toBe(false);
  });

  it('parses challenges as RFC 9110 section 11.6.1 spells them', () => {
    expect(parseChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"')).toEqual([
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ]);
    expect(parseChallenges('DPoP error="a", ERROR="b"')).toEqual([{ scheme: 'dpop', params: { error: 'a' } }]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges(',,, ="x", DPoP error="e"')).toEqual([{ scheme: 'dpop', params: { error: 'e' } }]);
  });
});

const challenge = (nonce?: string): DpopAnswer => ({ status: 400, headers: headers(nonce), body: '{"error":"use_dpop_nonce"}' });
const ok = (nonce?: string): DpopAnswer => ({ status: 200, headers: headers(nonce), body: '{}' });

describe('sendWithDpop', () => {
  const url = 'https://as.example/token?ignored=1';
  async function run(s: DpopSigner, answers: DpopAnswer[], opts: { retry?: boolean; accessToken?: string } = {}) {
    const proofs: Array<Record<string, unknown>> = [];
    const send = async (proof: string) => {
      proofs.push((await verify(proof)).payload);
      const next = answers.shift();
      if (!next) throw new Error('more requests than answers');
      return next;
    };
    const promise = sendWithDpop(
      s,
      { htm: 'POST', htu: url, ...(opts.accessToken === undefined ? {} : { accessToken: opts.accessToken }) },
      send,
      { what: 'token endpoint', ...(opts.retry === undefined ? {} : { retry: opts.retry }) },
    );
    return { promise, proofs };
  }

  it('answers a challenge with exactly one retry carrying its nonce and a new jti, then remembers the nonce', async () => {
    const s = signer();
    const { promise, proofs } = await run(s, [challenge('n1'), ok()]);
    await expect(promise).resolves.toMatchObject({ status: 200 });
    expect(proofs).toHaveLength(2);
    expect(proofs[0]!.nonce).toBeUndefined();
    expect(proofs[1]!.nonce).toBe('n1');
    expect(proofs[1]!.jti).not.toBe(proofs[0]!.jti);
    expect(proofs[1]!.htu).toBe('https://as.example/token');
    expect(s.nonceFor(url)).toBe('n1');
    // The next request starts with the remembered nonce: no challenge, one request.
    const next = await run(s, [ok('n2')]);
    await next.promise;
    expect(next.proofs.map((p) => p.nonce)).toEqual(['n1']);
    // A nonce handed out in a success is the next one used (section 8.2).
    expect(s.nonceFor(url)).toBe('n2');
  });

  it('an expired remembered nonce is challenged once and replaced', async () => {
    const s = signer();
    s.learnNonce(url, new Headers({ 'dpop-nonce': 'old' }));
    const { promise, proofs } = await run(s, [challenge('new'), ok()], { accessToken: 'at' });
    await promise;
    expect(proofs.map((p) => p.nonce)).toEqual(['old', 'new']);
    expect(proofs.every((p) => p.ath === accessTokenHash('at'))).toBe(true);
  });

  it('a second challenge is invalid_dpop_nonce (502), not a loop: exactly two requests', async () => {
    const s = signer();
    const answers = [challenge('n1'), challenge('n2'), ok()];
    const { promise, proofs } = await run(s, answers);
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthResponseError);
    expect(err).toMatchObject({
      code: 'invalid_dpop_nonce',
      status: 400,
      message: 'The token endpoint asked for a DPoP nonce again after a retry with the nonce it supplied; not retrying further.',
    });
    expect(new OAuthException(err as OAuthResponseError).getStatus()).toBe(502);
    expect(proofs).toHaveLength(2);
    expect(answers).toHaveLength(1);
    // The latest nonce is still remembered for the next request.
    expect(s.nonceFor(url)).toBe('n2');
  });

  it('a challenge without a usable DPoP-Nonce is invalid_dpop_nonce at once', async () => {
    for (const bad of [undefined, 'bad nonce']) {
      const { promise, proofs } = await run(signer(), [challenge(bad), ok()]);
      await expect(promise).rejects.toMatchObject({
        code: 'invalid_dpop_nonce',
        message: 'The token endpoint asked for a DPoP nonce without a usable DPoP-Nonce header.',
      });
      expect(proofs).toHaveLength(1);
    }
  });

  it('a resource server challenge (401) is retried the same way, and its unread body is released', async () => {
    const s = signer();
    const cancel = vi.fn(async () => undefined);
    const rsChallenge: DpopAnswer = {
      status: 401,
      headers: new Headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-1' }),
      body: { cancel },
    };
    const { promise, proofs } = await run(s, [rsChallenge, ok()], { accessToken: 'at' });
    await promise;
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(proofs.map((p) => p.nonce)).toEqual([undefined, 'rs-1']);
  });

  it('retry: false hands the challenge back after learning its nonce (a body that cannot be sent twice)', async () => {
    const s = signer();
    const first = challenge('n1');
    const { promise, proofs } = await run(s, [first], { retry: false });
    await expect(promise).resolves.toBe(first);
    expect(proofs).toHaveLength(1);
    expect(s.nonceFor(url)).toBe('n1');
  });

  it('other answers, errors included, come back as they are after one request', async () => {
    const refused: DpopAnswer = { status: 400, headers: new Headers(), body: '{"error":"invalid_grant"}' };
    const { promise, proofs } = await run(signer(), [refused]);
    await expect(promise).resolves.toBe(refused);
    expect(proofs).toHaveLength(1);
  });
});

describe('token_type', () => {
  it('DPoP in any case passes; Bearer, absent or odd values are invalid_response (502)', () => {
    for (const t of ['DPoP', 'dpop', 'DPOP']) expect(() => expectDpopTokenType(t, 'token endpoint')).not.toThrow();
    for (const t of ['Bearer', 'bearer', undefined, '', 'DPoP ', ['DPoP'], 1]) {
      let thrown: unknown;
      try {
        expectDpopTokenType(t, 'refresh endpoint', 200);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(OAuthResponseError);
      expect(thrown).toMatchObject({
        code: 'invalid_response',
        status: 200,
        message: 'The refresh endpoint answered a token_type other than DPoP although a DPoP-bound token was requested; the token is refused.',
      });
      expect(new OAuthException(thrown as OAuthResponseError).getStatus()).toBe(502);
    }
  });
});
