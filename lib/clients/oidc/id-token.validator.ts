import { createHash } from 'node:crypto';
import { OAuthValidationError } from '../../errors/oauth.error.js';
import type { UserInfo } from '../../interfaces/oauth-token.interface.js';
import { checkAudience, checkIssuer, checkTimes } from './jwt-claims.js';
import { verifySignedJwt, type SignatureRules } from './signed-jwt.js';

export interface IdTokenExpectations extends SignatureRules {
  issuer: string;
  clientId: string;
  leeway: number;
  /** The nonce sent with the authorization request; `undefined` after a refresh. */
  nonce?: string;
  /** A provider that omits `nonce` (LinkedIn): a token without one passes, one with one must match. */
  nonceIfPresent?: boolean;
  /** Seconds: with `max_age` sent, `auth_time` must be at most this old (OpenID Core 3.1.3.7 #11). */
  maxAge?: number;
  /** Checked against `at_hash` when the token carries one. */
  accessToken?: string;
}

const WHAT = 'ID token';

function reject(message: string, cause?: unknown): never {
  throw new OAuthValidationError('invalid_id_token', message, cause === undefined ? {} : { cause });
}

/**
 * Validates an ID token per OpenID Connect Core 3.1.3.7: signature first, with a
 * key of the provider (or the client secret for HS*, only when configured), then
 * every claim. Returns the claims.
 */
export async function validateIdToken(jwt: string, expect: IdTokenExpectations): Promise<UserInfo> {
  const { alg, claims } = await verifySignedJwt(jwt, expect, WHAT, reject);
  checkClaims(claims, alg, expect);
  return claims as UserInfo;
}

function checkClaims(claims: Record<string, unknown>, alg: string, expect: IdTokenExpectations): void {
  for (const name of ['iss', 'sub', 'aud', 'exp', 'iat']) {
    if (claims[name] === undefined) reject(`The ID token has no "${name}" claim.`);
  }
  checkIssuer(claims, expect.issuer, WHAT, reject);
  if (typeof claims.sub !== 'string' || claims.sub === '') reject('The ID token "sub" is not a non-empty string.');

  const audiences = checkAudience(claims, expect.clientId, WHAT, reject);
  // OIDC Core 3.1.3.7 items 4-5: with several audiences, azp must name this client,
  // else a token minted for another relying party could be replayed here.
  if (audiences.length > 1 && claims.azp !== expect.clientId) {
    reject('The ID token has several audiences and its "azp" is not this client.');
  }
  if (claims.azp !== undefined && claims.azp !== expect.clientId) reject('The ID token "azp" is not this client.');

  const now = Math.floor(Date.now() / 1000);
  checkTimes(claims, expect.leeway, WHAT, reject, now);

  if (expect.nonce !== undefined && !(expect.nonceIfPresent && claims.nonce === undefined)) {
    if (claims.nonce !== expect.nonce) {
      reject(claims.nonce === undefined ? 'The ID token has no "nonce", but one was sent.' : 'The ID token "nonce" does not match the one sent with the login.');
    }
  }
  if (expect.maxAge !== undefined) {
    const authTime = claims.auth_time;
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
      reject('The ID token has no numeric "auth_time", but max_age was sent.');
    }
    if (authTime + expect.maxAge + expect.leeway < now) {
      reject('The ID token "auth_time" is older than the max_age sent with the login.');
    }
  }
  if (claims.at_hash !== undefined && expect.accessToken !== undefined) {
    if (claims.at_hash !== tokenHash(expect.accessToken, alg)) {
      reject('The ID token "at_hash" does not match the access token.');
    }
  }
}

/** OIDC Core 3.1.3.6: left half of the hash of the ASCII token, base64url. */
export function tokenHash(token: string, alg: string): string {
  const bits = alg === 'EdDSA' || alg === 'Ed25519' ? '512' : alg.slice(-3);
  const hash = bits === '384' ? 'sha384' : bits === '512' ? 'sha512' : 'sha256';
  const digest = createHash(hash).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
