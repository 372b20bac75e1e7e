import { expectSuccess, parseJsonObject, providerRequest, type HttpSettings } from '../../http/provider-http.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { throwIfOAuthError } from './token-response.js';

/**
 * One GET of the userinfo endpoint (OpenID Core 5.3) with a usable access token:
 * the raw JSON object. Its `sub` is checked once mapped (see `mappedProfile`).
 */
export async function fetchUserinfo(url: string, token: OAuth2Token, http: HttpSettings): Promise<Record<string, unknown>> {
  const what = 'userinfo endpoint';
  const res = await providerRequest(
    url,
    { headers: { accept: 'application/json', authorization: `Bearer ${token.access_token}` }, maxBytes: DEFAULTS.maxBodyBytes, what },
    http,
  );
  const raw = parseJsonObject(res, what);
  throwIfOAuthError(raw, res.status, what);
  expectSuccess(res, what);
  return raw;
}
