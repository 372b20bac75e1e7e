import { OAuthConfigError, OAuthResponseError } from '../../errors/oauth.error.js';
import { expectSuccess, parseJsonObject, type ProviderResponse } from '../../http/provider-http.js';
import { sendWithDpop, type DpopSigner } from './dpop.js';
import { throwIfOAuthError } from './token-response.js';

/**
 * Pushed authorization requests (RFC 9126). The authorization parameters go to the
 * provider over a back channel with client authentication, and the browser is sent
 * with an opaque `request_uri` only: nothing in the front channel can be read
 * (PKCE challenge, nonce, scope) or changed (redirect_uri, scope) by the user agent,
 * a browser extension or a proxy log, and the provider authenticates the client
 * before the user sees a consent screen (section 1).
 */

/**
 * Sends one form POST with the client's authentication to `url` and returns the
 * provider's answer. Called once per attempt, with a fresh `form`: it must add the
 * client authentication each time (a `private_key_jwt` assertion has a unique `jti`
 * that the provider refuses to see twice). `headers` carries the DPoP proof.
 */
export type AuthenticatedFormPost = (
  url: string,
  form: URLSearchParams,
  headers: Record<string, string>,
) => Promise<ProviderResponse>;

export interface PushAuthorizationRequestInput {
  /** The provider's `pushed_authorization_request_endpoint`. */
  endpoint: string;
  /** Every authorization request parameter, as it would otherwise go in the URL. */
  params: Readonly<Record<string, string>>;
  send: AuthenticatedFormPost;
  /**
   * With DPoP: the push carries a proof (RFC 9449 section 10.1), which binds the
   * coming code to the key as `dpop_jkt` does, and answers the provider's
   * `use_dpop_nonce` challenge once; the nonce it learns serves the code exchange.
   */
  dpop?: DpopSigner;
}

export interface PushedAuthorizationRequest {
  /** `urn:ietf:params:oauth:request_uri:…`, single-use at the provider. */
  requestUri: string;
  /** Seconds the `request_uri` stays valid. */
  expiresIn: number;
}

const WHAT = 'pushed authorization request endpoint';
// A URI is printable ASCII (RFC 3986); it goes into the redirect's Location header,
// so no space or line break, and a few KB at most.
const REQUEST_URI = /^[\x21-\x7E]{1,2048}$/;

/** Pushes the authorization request; returns its `request_uri` and lifetime. */
export async function pushAuthorizationRequest(input: PushAuthorizationRequestInput): Promise<PushedAuthorizationRequest> {
  const post = (headers: Record<string, string>) => input.send(input.endpoint, new URLSearchParams(input.params), headers);
  const res = input.dpop
    ? await sendWithDpop(input.dpop, { htm: 'POST', htu: input.endpoint }, (proof) => post({ dpop: proof }), { what: WHAT })
    : await post({});
  return parsePushedAuthorizationResponse(res);
}

/**
 * RFC 9126 section 2.2/2.3: `201` with a JSON object holding a string `request_uri`
 * and a positive `expires_in`. An OAuth `error` (any status) is the provider's
 * refusal (`OAuthProviderError`, 401 at the guard); anything else unexpected is
 * `invalid_response` (502), a 5xx without an error body `provider_unavailable`.
 */
export function parsePushedAuthorizationResponse(res: ProviderResponse): PushedAuthorizationRequest {
  const body = parseJsonObject(res, WHAT);
  throwIfOAuthError(body, res.status, WHAT);
  expectSuccess(res, WHAT);
  if (res.status !== 201) {
    throw new OAuthResponseError('invalid_response', `The ${WHAT} answered HTTP ${res.status} instead of 201.`, { status: res.status });
  }
  const requestUri = body.request_uri;
  if (typeof requestUri !== 'string' || !REQUEST_URI.test(requestUri)) {
    throw new OAuthResponseError('invalid_response', `The ${WHAT} answered without a usable string request_uri.`, { status: res.status });
  }
  const rawExpiresIn = typeof body.expires_in === 'string' && body.expires_in !== '' ? Number(body.expires_in) : body.expires_in;
  if (typeof rawExpiresIn !== 'number' || !Number.isFinite(rawExpiresIn) || rawExpiresIn <= 0) {
    throw new OAuthResponseError('invalid_response', `The ${WHAT} answered without a positive expires_in.`, { status: res.status });
  }
  return { requestUri, expiresIn: Math.floor(rawExpiresIn) };
}

/**
 * The browser's redirect after a push (RFC 9126 section 4): `client_id` and
 * `request_uri` only. The endpoint's own query (a tenant or policy selector) stays.
 */
export function pushedAuthorizationUrl(authorizationEndpoint: string, clientId: string, requestUri: string): string {
  const hash = authorizationEndpoint.indexOf('#');
  const clean = hash < 0 ? authorizationEndpoint : authorizationEndpoint.slice(0, hash);
  const q = clean.indexOf('?');
  const base = q < 0 ? clean : clean.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : clean.slice(q + 1));
  query.set('client_id', clientId);
  query.set('request_uri', requestUri);
  return `${base}?${query.toString()}`;
}

/**
 * Whether a login pushes its request: the client's `pushedAuthorizationRequests`
 * when set, else what discovery says (`require_pushed_authorization_requests`,
 * RFC 9126 section 5).
 */
export function usesPushedAuthorization(setting: boolean | undefined, metadata: Readonly<Record<string, unknown>> | undefined): boolean {
  return setting ?? metadata?.require_pushed_authorization_requests === true;
}

/** The PAR endpoint from discovery; a client that must push without one is misconfigured. */
export function pushedAuthorizationEndpoint(client: string, metadata: Readonly<Record<string, unknown>> | undefined): string {
  const endpoint = metadata?.pushed_authorization_request_endpoint;
  if (typeof endpoint !== 'string' || !/^https?:\/\//i.test(endpoint)) {
    throw new OAuthConfigError(
      `OAuth client "${client}" uses pushed authorization requests, but the provider's metadata has no pushed_authorization_request_endpoint.`,
      { client, field: 'pushedAuthorizationRequests' },
    );
  }
  return endpoint;
}
