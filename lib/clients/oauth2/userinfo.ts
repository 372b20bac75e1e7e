import { OAuthValidationError } from '../../errors/oauth.error.js';
import { expectSuccess, parseJsonObject, providerRequest, type HttpSettings } from '../../http/provider-http.js';
import type { OAuth2Token, UserInfo } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { throwIfOAuthError } from './token-response.js';

/**
 * Calls the userinfo endpoint (OpenID Core 5.3) with a usable access token and
 * refuses an answer about someone else: a `sub` other than the ID token's means
 * the answer is not about this user (5.3.2).
 */
export async function fetchUserinfo(
  url: string,
  token: OAuth2Token,
  expectedSub: string | undefined,
  http: HttpSettings,
  normalise?: (raw: Record<string, unknown>) => Promise<UserInfo>,
): Promise<UserInfo> {
  const what = 'userinfo endpoint';
  const res = await providerRequest(
    url,
    { headers: { accept: 'application/json', authorization: `Bearer ${token.access_token}` }, maxBytes: DEFAULTS.maxBodyBytes, what },
    http,
  );
  const raw = parseJsonObject(res, what);
  throwIfOAuthError(raw, res.status, what);
  expectSuccess(res, what);
  const body: Record<string, unknown> = normalise ? await normalise(raw) : raw;
  if (typeof body.sub !== 'string' || body.sub === '') {
    throw new OAuthValidationError('invalid_userinfo', 'The userinfo answer has no string "sub".');
  }
  if (expectedSub !== undefined && body.sub !== expectedSub) {
    throw new OAuthValidationError('invalid_userinfo', 'The userinfo "sub" differs from the ID token\'s; the answer is refused.');
  }
  return body as UserInfo;
}
