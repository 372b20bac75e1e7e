import { DEFAULTS } from '../../oauth.constants.js';
import { OAuthProviderError, OAuthResponseError, OAuthUsageError, OAuthValidationError } from '../../errors/oauth.error.js';
import { providerRequest, serverFailure, type ProviderResponse } from '../../http/provider-http.js';
import type { OAuth1Token } from '../../interfaces/oauth-token.interface.js';
import { BaseOAuthClient } from '../base.client.js';
import type { ClientContext } from '../client-context.js';
import { single, type AuthorizationResult, type AuthorizeOptions, type CallbackParams } from '../protocol-client.js';
import { mappedProfile, rawProfile, type ProfileSource } from '../profile.js';
import { parseFormEncoded, signRequest, type SignedRequest } from './oauth1-signature.js';

/** What an OAuth 1 login keeps between redirect and callback: the temporary credential. */
interface PendingOAuth1Login {
  oauth_token_secret: string;
  redirect_uri: string;
}

// `error` too: Authlib's provider answers a denial with `error=access_denied` and
// no oauth_token; without it here that answer would start a new login.
const CALLBACK_PARAMS = ['oauth_token', 'oauth_verifier', 'denied', 'error'];

/** An OAuth 1.0a client (RFC 5849): temporary credential, verifier, signed calls. */
export class OAuth1Client extends BaseOAuthClient<OAuth1Token> {
  readonly kind = 'oauth1' as const;

  /** @internal Clients are built by `OAuthRegistry`. */
  constructor(ctx: ClientContext) {
    super(ctx);
  }

  /**
   * Obtains a temporary credential (RFC 5849 section 2.1) and builds the
   * authorization URL. Returns the credential so the caller can store it.
   */
  async createAuthorizationUrl(opts: AuthorizeOptions = {}): Promise<{
    url: string;
    state: string;
    oauth_token: string;
    oauth_token_secret: string;
    redirect_uri: string;
  }> {
    const c = this.settings;
    const redirectUri = this.absoluteRedirectUri(opts.redirectUri);
    const form = new URLSearchParams(c.requestTokenParams ?? {});
    const signed = this.sign('POST', c.requestTokenUrl!, form, { callback: redirectUri });
    const res = await this.callEndpoint(signed, 'request token endpoint');
    const body = this.parseCredentials(res, 'request token endpoint');
    // RFC 5849 section 2.1: a server that did not confirm the callback is a 1.0
    // server, open to session fixation; the login stops here, before any redirect.
    if (String(body.get('oauth_callback_confirmed') ?? '').toLowerCase() !== 'true') {
      throw new OAuthResponseError('invalid_response', 'The request token endpoint did not confirm the callback (oauth_callback_confirmed); the login was stopped.');
    }
    const url = new URL(c.authorizeUrl!);
    const token = body.get('oauth_token')!;
    url.searchParams.set('oauth_token', token);
    for (const extra of [c.authorizeParams, opts.params]) {
      for (const [k, v] of Object.entries(extra ?? {})) if (k !== 'oauth_token') url.searchParams.set(k, v);
    }
    return { url: url.toString(), state: token, oauth_token: token, oauth_token_secret: body.get('oauth_token_secret')!, redirect_uri: redirectUri };
  }

  /** @internal */
  isCallback(params: CallbackParams): boolean {
    return CALLBACK_PARAMS.some((p) => params.has(p));
  }

  /** @internal The temporary credential names the pending login. */
  callbackKey(params: CallbackParams): string {
    const token = single(params, 'oauth_token') ?? single(params, 'denied');
    if (token === undefined && params.has('error')) {
      // Nothing to match against a pending login, and nothing is sent anywhere: the
      // provider only says it refused.
      throw new OAuthProviderError('access_denied', 'The user or the provider denied the authorization.');
    }
    if (typeof token !== 'string' || token === '') {
      throw new OAuthValidationError('mismatching_state', 'The callback has no single "oauth_token"; it does not answer a login of this browser.');
    }
    return token;
  }

  /** @internal Called by the login layer once the pending login of `callbackKey` was taken. */
  async completeAuthorization(params: CallbackParams, stored: Readonly<Record<string, unknown>>): Promise<AuthorizationResult<OAuth1Token>> {
    const token = this.callbackKey(params);
    const denied = single(params, 'denied');
    const pending = stored as Partial<PendingOAuth1Login>;
    if (typeof pending.oauth_token_secret !== 'string') {
      throw new OAuthValidationError(
        'mismatching_state',
        'The callback oauth_token is unknown, expired, already used, or belongs to another browser or client; start the login again.',
      );
    }
    if (denied !== undefined) {
      throw new OAuthProviderError('access_denied', 'The user or the provider denied the authorization.');
    }
    const verifier = single(params, 'oauth_verifier');
    if (typeof verifier !== 'string' || verifier === '') {
      throw new OAuthValidationError('missing_verifier', 'The callback has no single "oauth_verifier"; the provider did not authorize the request token.');
    }
    const form = new URLSearchParams(this.settings.accessTokenParams ?? {});
    const signed = this.sign('POST', this.settings.accessTokenUrl!, form, {
      token,
      tokenSecret: pending.oauth_token_secret,
      verifier,
    });
    const res2 = await this.callEndpoint(signed, 'access token endpoint');
    const body = this.parseCredentials(res2, 'access token endpoint');
    const result: OAuth1Token = { oauth_token: body.get('oauth_token')!, oauth_token_secret: body.get('oauth_token_secret')! };
    for (const [k, v] of body) if (!(k in result) && k !== '__proto__' && k !== 'constructor' && k !== 'prototype') result[k] = v;
    // A preset fetches the profile (X's verify_credentials) and maps it to OpenID claims.
    const hooks = this.settings.hooks;
    if (!hooks?.profile) return { token: result };
    const src: ProfileSource = { client: this.name, hooks, request: (method, url, o) => this.request(method, url, { ...o, token: result }) };
    return { token: result, userinfo: await mappedProfile(src, await rawProfile(src, result, undefined, params), result, undefined) };
  }

  protected authorizeRequest(token: OAuth1Token, method: string, url: URL, headers: Record<string, string>, form: URLSearchParams | undefined): void {
    if (typeof token.oauth_token !== 'string' || typeof token.oauth_token_secret !== 'string') {
      throw new OAuthUsageError('missing_token', `The token given to OAuth client "${this.name}" lacks oauth_token / oauth_token_secret; nothing was sent.`);
    }
    // Form bodies are signed (RFC 5849 3.4.1.3.1); other bodies are not part of the
    // signature, so only the URL and the OAuth parameters are.
    const signed = this.sign(method, url.toString(), form, { token: token.oauth_token, tokenSecret: token.oauth_token_secret });
    const signedUrl = new URL(signed.url);
    url.search = signedUrl.search;
    Object.assign(headers, signed.headers);
    if (form && signed.form) {
      for (const key of [...form.keys()]) form.delete(key);
      for (const [k, v] of signed.form) form.append(k, v);
    }
  }

  private sign(
    method: string,
    url: string,
    form: URLSearchParams | undefined,
    extra: { callback?: string; token?: string; tokenSecret?: string; verifier?: string },
  ): SignedRequest {
    const c = this.settings;
    // Body signing needs a form body; without one the parameters go in the query.
    const type = c.signatureType === 'body' && !form ? 'query' : c.signatureType;
    return signRequest({
      method,
      url,
      ...(form ? { form } : {}),
      consumerKey: c.clientId,
      consumerSecret: c.clientSecret ?? '',
      signatureMethod: c.signatureMethod,
      signatureType: type,
      ...(c.rsaKey ? { rsaKey: c.rsaKey } : {}),
      ...(c.realm === undefined ? {} : { realm: c.realm }),
      ...extra,
    });
  }

  private async callEndpoint(signed: SignedRequest, what: string): Promise<ProviderResponse> {
    const headers: Record<string, string> = { ...signed.headers, accept: 'application/x-www-form-urlencoded, application/json;q=0.5' };
    let body: string | undefined;
    if (signed.form) {
      body = signed.form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    return providerRequest(signed.url, { method: 'POST', headers, ...(body === undefined ? {} : { body }), maxBytes: DEFAULTS.maxBodyBytes, what }, this.http);
  }

  /** A form-encoded credential answer (RFC 5849 sections 2.1 and 2.3). */
  private parseCredentials(res: ProviderResponse, what: string): Map<string, string> {
    if (res.status >= 500) throw serverFailure(what, res.status);
    if (res.status >= 300 && res.status < 400) {
      throw new OAuthResponseError('invalid_response', `The ${what} answered a redirect (HTTP ${res.status}).`, { status: res.status });
    }
    const body = parseFormEncoded(res.body);
    if (res.status >= 400) {
      // The OAuth Problem Reporting extension names the problem (Authlib says `error`);
      // otherwise it is a refusal.
      const problem = body.get('oauth_problem') ?? body.get('error');
      const code = problem && /^[a-z_]{1,64}$/.test(problem) ? problem : 'access_denied';
      throw new OAuthProviderError(code, `The ${what} refused the request (HTTP ${res.status}).`, { status: res.status });
    }
    const token = body.get('oauth_token');
    const secret = body.get('oauth_token_secret');
    if (!token || secret === undefined) {
      throw new OAuthResponseError('invalid_response', `The ${what} answered without oauth_token and oauth_token_secret.`, { status: res.status });
    }
    if (token.length > DEFAULTS.maxParamLength || secret.length > DEFAULTS.maxParamLength) {
      throw new OAuthResponseError('invalid_response', `The ${what} answered an oversized credential.`, { status: res.status });
    }
    return body;
  }
}
