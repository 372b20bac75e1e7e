import { expectSuccess, parseJsonObject, providerRequest, type HttpSettings } from '../../http/provider-http.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { DPOP_SCHEME, sendWithDpop, type DpopSigner } from './dpop.js';
import { throwIfOAuthError } from './token-response.js';

/**
 * One GET of the userinfo endpoint (OpenID Core 5.3) with a usable access token:
 * the raw JSON object. Its `sub` is checked once mapped (see `mappedProfile`).
 */
export async function fetchUserinfo(url: string, token: OAuth2Token, http: HttpSettings, dpop?: DpopSigner): Promise<Record<string, unknown>> {
  const what = 'userinfo endpoint';
  const get = (extra: Record<string, string>) =>
    providerRequest(
      url,
      {
        headers: { accept: 'application/json', authorization: `${dpop ? DPOP_SCHEME : 'Bearer'} ${token.access_token}`, ...extra },
        maxBytes: DEFAULTS.maxBodyBytes,
        what,
      },
      http,
    );
  // A DPoP-bound token is presented with a proof bound to it (RFC 9449 section 7).
  const res = dpop ? await sendWithDpop(dpop, { htm: 'GET', htu: url, accessToken: token.access_token }, (proof) => get({ dpop: proof }), { what }) : await get({});
  const raw = parseJsonObject(res, what);
  throwIfOAuthError(raw, res.status, what);
  expectSuccess(res, what);
  return raw;
}
