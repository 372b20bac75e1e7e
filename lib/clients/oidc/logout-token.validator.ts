import { OAuthValidationError } from '../../errors/oauth.error.js';
import type { ConsumedStates } from '../../state/consumed-states.js';
import { checkAudience, checkIssuer, checkTimes } from './jwt-claims.js';
import { verifySignedJwt, type Reject, type SignatureRules, type VerifiedJwt } from './signed-jwt.js';

/** The event member a logout token must carry (OpenID Back-Channel Logout 1.0 section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * How long a logout token without `exp` stays acceptable after its `iat`, in
 * seconds. Without a bound, such a token could be replayed once its `jti` is
 * forgotten; providers that set `exp` use about two minutes.
 */
export const LOGOUT_TOKEN_MAX_AGE = 300;

export interface LogoutTokenExpectations extends SignatureRules {
  issuer: string;
  clientId: string;
  /** Seconds of clock skew, as for ID tokens. */
  leeway: number;
  /** `jti`s already accepted, remembered until their token expires. */
  seen: ConsumedStates;
}

/** What a valid logout token says. */
export interface LogoutTokenClaims {
  iss: string;
  sub?: string;
  sid?: string;
  jti: string;
}

const WHAT = 'logout token';

const reject: Reject = (message, cause) => {
  throw new OAuthValidationError('invalid_logout_token', message, cause === undefined ? {} : { cause });
};

/**
 * Validates a logout token per OpenID Back-Channel Logout 1.0 section 2.6: the
 * signature with the ID-token rules, then `iss`, `aud`, `iat`, `exp` if present,
 * the back-channel logout event, `sub` or `sid`, `jti`, no `nonce`; last, the
 * `jti` is claimed, so a replayed token is refused while it could still be valid.
 * @throws OAuthValidationError `invalid_logout_token`
 */
export async function validateLogoutToken(jwt: unknown, expect: LogoutTokenExpectations): Promise<LogoutTokenClaims> {
  let verified: VerifiedJwt;
  try {
    verified = await verifySignedJwt(jwt, expect, WHAT, reject);
  } catch (err) {
    // The key lookup speaks of ID tokens; here every refusal is a logout token's.
    if (err instanceof OAuthValidationError && err.code !== 'invalid_logout_token') reject(err.message, err);
    throw err;
  }
  const { claims } = verified;

  for (const name of ['iss', 'aud', 'iat', 'jti', 'events']) {
    if (claims[name] === undefined) reject(`The logout token has no "${name}" claim.`);
  }
  checkIssuer(claims, expect.issuer, WHAT, reject);
  checkAudience(claims, expect.clientId, WHAT, reject);
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = checkTimes(claims, expect.leeway, WHAT, reject, now);
  if (exp === undefined && iat + LOGOUT_TOKEN_MAX_AGE + expect.leeway <= now) {
    reject(`The logout token has no "exp" and was issued over ${LOGOUT_TOKEN_MAX_AGE} seconds ago.`);
  }

  // Step 6: the events claim is a JSON object with the back-channel logout member,
  // itself an object; this is what tells a logout token from an ID token.
  const events = claims.events;
  if (!isObject(events)) reject('The logout token "events" claim is not a JSON object.');
  if (!Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT)) reject(`The logout token "events" claim has no ${BACKCHANNEL_LOGOUT_EVENT} member.`);
  if (!isObject(events[BACKCHANNEL_LOGOUT_EVENT])) reject('The logout token back-channel logout event is not a JSON object.');

  // Step 5: whom to log out.
  const sub = claims.sub;
  const sid = claims.sid;
  if (sub === undefined && sid === undefined) reject('The logout token has neither "sub" nor "sid".');
  if (sub !== undefined && (typeof sub !== 'string' || sub === '')) reject('The logout token "sub" is not a non-empty string.');
  if (sid !== undefined && (typeof sid !== 'string' || sid === '')) reject('The logout token "sid" is not a non-empty string.');

  // Step 7: a nonce marks an ID token; accepting one would let any ID token log users out.
  if (claims.nonce !== undefined) reject('The logout token carries a "nonce"; logout tokens never do.');

  const jti = claims.jti;
  if (typeof jti !== 'string' || jti === '') reject('The logout token "jti" is not a non-empty string.');
  // Step 8: used once. Remembered until the token could no longer be accepted.
  const lastValid = (exp ?? iat + LOGOUT_TOKEN_MAX_AGE) + expect.leeway;
  if (!expect.seen.claim(jti, lastValid * 1000)) reject('The logout token was received before (its "jti" is used up).');

  const out: LogoutTokenClaims = { iss: expect.issuer, jti };
  if (typeof sub === 'string') out.sub = sub;
  if (typeof sid === 'string') out.sid = sid;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
