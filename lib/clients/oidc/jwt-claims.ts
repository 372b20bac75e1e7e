import type { Reject } from './signed-jwt.js';

/**
 * Claim checks ID tokens and logout tokens share: OpenID Back-Channel Logout 1.0
 * section 2.6 step 4 validates `iss`, `aud`, `iat` and `exp` "in the same way"
 * as OpenID Connect Core 3.1.3.7 does for ID tokens.
 */

/** OIDC Core 3.1.3.7 #2: exactly the issuer of this client's provider. */
export function checkIssuer(claims: Record<string, unknown>, issuer: string, what: string, reject: Reject): void {
  if (claims.iss !== issuer) reject(`The ${what} was issued by another issuer than this client's provider.`);
}

/** OIDC Core 3.1.3.7 #3: `aud` names this client. Returns the audiences. */
export function checkAudience(claims: Record<string, unknown>, clientId: string, what: string, reject: Reject): string[] {
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : undefined;
  if (!audiences) reject(`The ${what} "aud" is not a string or a list of strings.`);
  if (!audiences.includes(clientId)) reject(`The ${what} is not addressed to this client (aud).`);
  return audiences;
}

/**
 * OIDC Core 3.1.3.7 #9-10: `exp` (when present; the caller decides whether it is
 * required) not passed, `iat` a number not in the future, `nbf` reached, each
 * within `leeway` seconds of clock skew. Returns the numeric times.
 */
export function checkTimes(
  claims: Record<string, unknown>,
  leeway: number,
  what: string,
  reject: Reject,
  now = Math.floor(Date.now() / 1000),
): { exp?: number; iat: number } {
  const exp = claims.exp;
  const iat = claims.iat;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) reject(`The ${what} "exp" is not a number.`);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) reject(`The ${what} "iat" is not a number.`);
  if (exp !== undefined && exp + leeway <= now) reject(`The ${what} has expired.`);
  if (iat - leeway > now) reject(`The ${what} was issued in the future ("iat"); check the clocks.`);
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - leeway > now)) {
    reject(`The ${what} is not valid yet ("nbf").`);
  }
  return exp === undefined ? { iat } : { exp, iat };
}
