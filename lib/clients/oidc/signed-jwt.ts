import { compactVerify, decodeProtectedHeader, errors as joseErrors, type ProtectedHeaderParameters } from 'jose';
import { safeText } from '../../errors/safe-text.js';
import type { JwksCache, VerifyKey } from './jwks-cache.js';

/**
 * How a JWT from the provider must be signed. ID tokens and logout tokens share
 * these rules (OpenID Back-Channel Logout 1.0 section 2.6, steps 2-3).
 */
export interface SignatureRules {
  /** Algorithms accepted; never contains `none`. */
  algorithms: readonly string[];
  /** HS* algorithms were configured explicitly: the key is the client secret. */
  allowHmac: boolean;
  clientSecret?: string;
  jwks: JwksCache;
}

/** A JWS whose signature checked out, with its payload as a JSON object. */
export interface VerifiedJwt {
  alg: string;
  header: ProtectedHeaderParameters;
  claims: Record<string, unknown>;
}

/** Raises the caller's error (its code and wording); never returns. */
export type Reject = (message: string, cause?: unknown) => never;

const MAX_JWT_LENGTH = 64 * 1024;

/**
 * The signature step of a provider-signed JWT: compact form, a signing algorithm
 * the client accepts (never `none`), a key of the provider's JWKS (or the client
 * secret for HS*, only when configured), then the payload as a JSON object. Claims
 * are the caller's to check. `what` names the token in messages ("ID token").
 */
export async function verifySignedJwt(jwt: unknown, rules: SignatureRules, what: string, reject: Reject): Promise<VerifiedJwt> {
  if (typeof jwt !== 'string' || jwt.length > MAX_JWT_LENGTH || jwt.split('.').length !== 3) {
    reject(`The ${what} is not a compact JWS.`);
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jwt);
  } catch (cause) {
    reject(`The ${what} header cannot be decoded.`, cause);
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
    reject(`The ${what} is unsigned (alg "none"); unsigned ${what}s are never accepted.`);
  }
  if (!rules.algorithms.includes(alg)) {
    reject(`The ${what} is signed with ${safeText(alg, 20)}, which this client does not accept (allowed: ${rules.algorithms.join(', ')}).`);
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') reject(`The ${what} header has a non-string kid.`);

  const payloadBytes = await verifySignature(jwt, alg, header.kid, rules, what, reject);
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payloadBytes));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('not an object');
    claims = parsed as Record<string, unknown>;
  } catch (cause) {
    reject(`The ${what} payload is not a JSON object.`, cause);
  }
  return { alg, header, claims };
}

async function verifySignature(
  jwt: string,
  alg: string,
  kid: string | undefined,
  rules: SignatureRules,
  what: string,
  reject: Reject,
): Promise<Uint8Array> {
  let keys: VerifyKey[];
  if (alg.startsWith('HS')) {
    // RFC 7518 3.2 with OIDC Core 10.1: the MAC key is the client secret, and only
    // when the client asked for HS*. Never a key from the JWKS: an attacker who MACs
    // with the provider's public key would otherwise forge tokens (CVE-2016-10555 class).
    if (!rules.allowHmac || !rules.clientSecret) {
      reject(`The ${what} is signed with ${safeText(alg, 20)}, which needs the client secret as key and is not configured.`);
    }
    keys = [new TextEncoder().encode(rules.clientSecret)];
  } else {
    keys = await rules.jwks.candidates(alg, kid);
    if (keys.length === 0) {
      reject(
        kid === undefined
          ? `The provider's JWKS has no usable key for ${safeText(alg, 20)}.`
          : `The ${what} names a key id that is not in the provider's JWKS (or only on unusable keys), even after refetching it.`,
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
      if (err instanceof joseErrors.JOSENotSupported) reject(`The ${what} header uses an unsupported feature (crit or algorithm).`, err);
      if (err instanceof joseErrors.JOSEError) reject(`The ${what} signature cannot be verified.`, err);
      // Anything else is this key's fault (jose refuses an RSA key under 2048 bits
      // with a TypeError): the next key may still verify the token.
    }
  }
  return reject(`No usable key of the provider verifies the ${what} signature.`, lastError);
}
