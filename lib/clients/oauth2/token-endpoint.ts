import type { ResolvedClientConfig } from '../../config/resolved-client.js';
import { providerRequest, type HttpSettings, type ProviderResponse } from '../../http/provider-http.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { missingEndpoint } from '../missing-endpoint.js';
import { ClientAuthenticator } from './client-auth.js';
import { parseTokenResponse } from './token-response.js';

/**
 * Form POSTs to the token-style endpoints (token, refresh, revocation,
 * introspection, PAR) with the client's authentication (RFC 6749 section 2.3).
 */
export class TokenEndpointCaller {
  private readonly auth: ClientAuthenticator;

  constructor(
    private readonly config: ResolvedClientConfig,
    private readonly http: () => HttpSettings,
  ) {
    this.auth = new ClientAuthenticator(config);
  }

  /** An authenticated form POST; `audience` is the issuer (RFC 7523 `aud`), else the endpoint. */
  async post(url: string, body: URLSearchParams, audience: string | undefined, what: string): Promise<ProviderResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    await this.auth.apply(body, headers, audience ?? url);
    return providerRequest(url, { method: 'POST', headers, body: body.toString(), maxBytes: DEFAULTS.maxBodyBytes, what }, this.http());
  }

  /** A token request (RFC 6749 section 3.2), parsed per section 5. */
  async token(url: string | undefined, body: URLSearchParams, audience: string | undefined, what: string, field = 'accessTokenUrl'): Promise<OAuth2Token> {
    if (!url) throw missingEndpoint(this.config.name, what, field);
    return parseTokenResponse(await this.post(url, body, audience, what), what);
  }
}
