import type { ResolvedClientConfig } from '../../config/resolved-client.js';
import { providerRequest, type HttpSettings, type ProviderResponse as RawResponse } from '../../http/provider-http.js';
import type { OAuthClientHooks, ProviderRequest } from '../../interfaces/oauth-hooks.interface.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { missingEndpoint } from '../missing-endpoint.js';
import { runHook } from '../run-hook.js';
import { ClientAuthenticator } from './client-auth.js';
import { sendWithDpop, type DpopSigner } from './dpop.js';
import { toHookResponse, tokenFromResponse } from './token-response.js';

type RequestHook = 'accessTokenRequest' | 'refreshTokenRequest' | 'revokeTokenRequest' | 'introspectTokenRequest';

/** Which hooks see a token request and its answer. */
export type TokenGrantKind = 'access' | 'refresh';

/**
 * Form POSTs to the token-style endpoints (token, refresh, revocation,
 * introspection) with the client's authentication (RFC 6749 section 2.3), through
 * the client's compliance hooks.
 */
export class TokenEndpointCaller {
  private readonly auth: ClientAuthenticator;

  constructor(
    private readonly config: ResolvedClientConfig,
    private readonly http: () => HttpSettings,
    /** With DPoP, token requests carry a proof and answer one nonce challenge (RFC 9449 sections 5 and 8). */
    private readonly dpop?: DpopSigner,
  ) {
    this.auth = new ClientAuthenticator(config);
  }

  private get hooks(): OAuthClientHooks {
    return this.config.hooks ?? {};
  }

  /** An authenticated form POST; `audience` is the issuer (RFC 7523 `aud`), else the endpoint. */
  post(url: string, body: URLSearchParams, audience: string | undefined, what: string, hook?: RequestHook): Promise<RawResponse> {
    return this.postOnce(url, body, audience, what, hook, {});
  }

  /** A form POST with a DPoP proof, sent afresh (new client authentication) if the server asks for a nonce. */
  postWithProof(url: string, body: URLSearchParams, audience: string | undefined, what: string, hook?: RequestHook): Promise<RawResponse> {
    const signer = this.dpop;
    if (!signer) return this.post(url, body, audience, what, hook);
    const form = body.toString();
    return sendWithDpop(signer, { htm: 'POST', htu: url }, (proof) => this.postOnce(url, new URLSearchParams(form), audience, what, hook, { dpop: proof }), {
      what,
    });
  }

  /** One authenticated form POST: client authentication is added per attempt (an assertion is single-use). */
  async postOnce(
    url: string,
    body: URLSearchParams,
    audience: string | undefined,
    what: string,
    hook: RequestHook | undefined,
    extra: Record<string, string>,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...extra };
    await this.auth.apply(body, headers, audience ?? url);
    const fn = hook ? this.hooks[hook] : undefined;
    if (!fn) {
      return providerRequest(url, { method: 'POST', headers, body: body.toString(), maxBytes: DEFAULTS.maxBodyBytes, what }, this.http());
    }
    const draft: ProviderRequest = { method: 'POST', url, headers: new Headers(headers), body };
    const req = await runHook(this.config.name, hook!, () => fn(draft));
    const sent: Record<string, string> = {};
    req.headers.forEach((v, k) => {
      sent[k] = v;
    });
    return providerRequest(
      req.url,
      { method: req.method, headers: sent, ...(req.body === undefined ? {} : { body: req.body.toString() }), maxBytes: DEFAULTS.maxBodyBytes, what },
      this.http(),
    );
  }

  /** A token request (RFC 6749 section 3.2), its answer repaired by the hooks, then judged per section 5. */
  async token(
    url: string | undefined,
    body: URLSearchParams,
    audience: string | undefined,
    what: string,
    kind: TokenGrantKind = 'access',
    field = kind === 'refresh' ? 'refreshTokenUrl' : 'accessTokenUrl',
  ): Promise<OAuth2Token> {
    if (!url) throw missingEndpoint(this.config.name, what, field);
    const raw = await this.postWithProof(url, body, audience, what, kind === 'refresh' ? 'refreshTokenRequest' : 'accessTokenRequest');
    const responseHook = kind === 'refresh' ? 'refreshTokenResponse' : 'accessTokenResponse';
    const repair = this.hooks[responseHook];
    const parsed = toHookResponse(raw);
    const res = repair ? await runHook(this.config.name, responseHook, () => repair(parsed)) : parsed;
    return tokenFromResponse(res, what, this.dpop ? 'dpop' : 'bearer');
  }
}
