import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors, type ProtectedHeaderParameters } from 'jose';
import { OAuthValidationError } from '../../errors/oauth.error.js';
import type { UserInfo } from '../../interfaces/oauth-token.interface.js';
import type { JwksCache, VerifyKey } from './jwks-cache.js';

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Algorithms accepted; never contains `none`. */
  algorithms: readonly string[];
  /** HS* algorithms were configured explicitly: the key is the client secret. */
  allowHmac: boolean;
  leeway: number;
  /** The nonce sent with the authorization request; `undefined` after a refresh. */
  nonce?: string;
  /** Seconds: with `max_age` sent, `auth_time` must be at most this old (OpenID Core 3.1.3.7 #11). */
  maxAge?: number;
  /** Checked against `at_hash` when the token carries one. */
  accessToken?: string;
  jwks: JwksCache;
}

const MAX_ID_TOKEN_LENGTH = 64 * 1024;

function reject(message: string, cause?: unknown): never {
  throw new OAuthValidationError('invalid_id_token', message, cause === undefined ? {} : { cause });
}

/**
 * Validates an ID token per OpenID Connect Core 3.1.3.7: signature first, with a
 * key of the provider (or the client secret for HS*, only when configured), then
 * every claim. Returns the claims.
 */
export async function validateIdToken(jwt: string, expect: IdTokenExpectations): Promise<UserInfo> {
  if (typeof jwt !== 'string' || jwt.length > MAX_ID_TOKEN_LENGTH || jwt.split('.').length !== 3) {
    reject('The ID token is not a compact JWS.');
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jwt);
  } catch (cause) {
    reject('The ID token header cannot be decoded.', cause);
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
    reject('The ID token is unsigned (alg "none"); unsigned ID tokens are never accepted.');
  }
  if (!expect.algorithms.includes(alg)) {
    reject(`The ID token is signed with ${alg}, which this client does not accept (allowed: ${expect.algorithms.join(', ')}).`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') reject('The ID token header has a non-string kid.');

  const payloadBytes = await verifySignature(jwt, alg, header.kid, expect);
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payloadBytes));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    claims = parsed as Record<string, unknown>;
  } catch (cause) {
    reject('The ID token payload is not a JSON object.', cause);
  }
  checkClaims(claims, alg, expect);
  return claims as UserInfo;
}

async function verifySignature(jwt: string, alg: string, kid: string | undefined, expect: IdTokenExpectations): Promise<Uint8Array> {
  let keys: VerifyKey[];
  if (alg.startsWith('HS')) {
    // RFC 7518 3.2 with OIDC Core 10.1: the MAC key is the client secret, and only
    // when the client asked for HS*. Never a key from the JWKS: an attacker who MACs
    // with the provider's public key would otherwise forge tokens (CVE-2016-10555 class).
    if (!expect.allowHmac || !expect.clientSecret) {
      reject(`The ID token is signed with ${alg}, which needs the client secret as key and is not configured.`);
    }
    keys = [new TextEncoder().encode(expect.clientSecret)];
  } else {
    keys = await expect.jwks.candidates(alg, kid);
    if (keys.length === 0) {
      reject(
        kid === undefined
          ? `The provider's JWKS has no key usable for ${alg}.`
          : 'The ID token names a key id that is not in the provider\'s JWKS, even after refetching it.',
      );
    }
  }
  let lastError: unknown;
  for (const key of keys) {
    try {
      const { payload } = await compactVerify(jwt, key, { algorithms: [alg] });
      return payload;
    } catch (err) {
      lastError = err;
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      if (err instanceof joseErrors.JOSENotSupported) reject('The ID token header uses an unsupported feature (crit or algorithm).', err);
      reject('The ID token signature cannot be verified.', err);
    }
  }
  return reject('The ID token signature is invalid.', lastError);
}

function checkClaims(claims: Record<string, unknown>, alg: string, expect: IdTokenExpectations): void {
  for (const name of ['iss', 'sub', 'aud', 'exp', 'iat']) {
    if (claims[name] === undefined) reject(`The ID token has no "${name}" claim.`);
  }
  if (claims.iss !== expect.issuer) reject('The ID token was issued by another issuer than this client\'s provider.');
  if (typeof claims.sub !== 'string' || claims.sub === '') reject('The ID token "sub" is not a non-empty string.');

  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  if (!audiences) reject('The ID token "aud" is not a string or a list of strings.');
  if (!audiences.includes(expect.clientId)) reject('The ID token is not addressed to this client (aud).');
  // OIDC Core 3.1.3.7 items 4-5: with several audiences, azp must name this client,
  // else a token minted for another relying party could be replayed here.
  if (audiences.length > 1 && claims.azp !== expect.clientId) {
    reject('The ID token has several audiences and its "azp" is not this client.');
  }
  if (claims.azp !== undefined && claims.azp !== expect.clientId) reject('The ID token "azp" is not this client.');

  const now = Math.floor(Date.now() / 1000);
  const exp = claims.exp;
  const iat = claims.iat;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) reject('The ID token "exp" is not a number.');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) reject('The ID token "iat" is not a number.');
  if (exp + expect.leeway <= now) reject('The ID token has expired.');
  if (iat - expect.leeway > now) reject('The ID token was issued in the future ("iat"); check the clocks.');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - expect.leeway > now)) {
    reject('The ID token is not valid yet ("nbf").');
  }

  if (expect.nonce !== undefined) {
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
