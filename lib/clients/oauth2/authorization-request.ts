import type { ResolvedClientConfig } from '../../config/resolved-client.js';
import type { AuthorizationRequest, AuthorizeOptions } from '../protocol-client.js';
import { randomToken, s256Challenge } from './pkce.js';

/** What an OAuth 2 login keeps between redirect and callback. */
export interface PendingOAuth2Login {
  redirect_uri: string;
  code_verifier?: string;
  nonce?: string;
  openid: boolean;
  /** Sent as `max_age` (or 0 for `prompt=login`): the ID token's `auth_time` must be this recent. */
  max_age?: number;
  response_mode?: string;
}

export interface OAuth2AuthorizationRequest extends AuthorizationRequest, PendingOAuth2Login {}

/**
 * The effective scope of a login, wherever it was given: the guard's or caller's
 * `scope`, else a `scope` in the per-login or configured parameters, else the
 * client's. OpenID-ness (nonce, required ID token) follows this value, so an
 * `openid` slipped in through parameters cannot skip the nonce.
 */
function effectiveScope(config: ResolvedClientConfig, opts: AuthorizeOptions): string | undefined {
  // The first source that says something: an empty one must not let a later one
  // through as a mere extra parameter, sent without its nonce.
  for (const raw of [opts.scope, opts.params?.scope, config.authorizeParams?.scope, config.scope]) {
    if (raw === undefined) continue;
    const joined = (Array.isArray(raw) ? raw.join(' ') : String(raw)).split(/\s+/).filter(Boolean).join(' ');
    if (joined !== '') return joined;
  }
  return undefined;
}

/**
 * Builds an authorization request (RFC 6749 section 4.1.1) with a 256-bit state,
 * PKCE S256 (RFC 7636) and, for OpenID Connect, a nonce. Extra parameters may add
 * to the request but never replace what protects it.
 */
export function buildAuthorizationRequest(
  config: ResolvedClientConfig,
  redirectUri: string,
  opts: AuthorizeOptions,
  /** RFC 9449 section 10: binds the code to the client's DPoP key. */
  dpopJkt?: string,
): { params: URLSearchParams; pending: PendingOAuth2Login & { state: string } } {
  const scope = effectiveScope(config, opts);
  const openid = scope?.split(' ').includes('openid') ?? false;
  const state = randomToken();
  const params = new URLSearchParams();
  params.set('response_type', 'code');
  params.set('client_id', config.clientId);
  params.set('redirect_uri', redirectUri);
  params.set('state', state);
  if (scope) params.set('scope', scope);
  let codeVerifier: string | undefined;
  if (config.codeChallengeMethod === 'S256') {
    codeVerifier = randomToken();
    params.set('code_challenge', s256Challenge(codeVerifier));
    params.set('code_challenge_method', 'S256');
  }
  let nonce: string | undefined;
  if (openid) {
    nonce = randomToken();
    params.set('nonce', nonce);
  }
  if (dpopJkt !== undefined) params.set('dpop_jkt', dpopJkt);
  // `scope` is decided above from every source: an extra parameter never replaces it.
  const protectedNames = new Set([...params.keys(), 'scope']);
  for (const extra of [config.authorizeParams, opts.params]) {
    if (!extra) continue;
    for (const k of Object.keys(extra)) {
      if (!protectedNames.has(k)) params.set(k, extra[k]!);
    }
  }
  const out: PendingOAuth2Login & { state: string } = {
    state,
    redirect_uri: redirectUri,
    openid,
  };
  if (codeVerifier !== undefined) out.code_verifier = codeVerifier;
  if (nonce !== undefined) out.nonce = nonce;
  const maxAge = maxAgeOf(params);
  if (maxAge !== undefined) out.max_age = maxAge;
  const mode = params.get('response_mode');
  if (mode !== null) out.response_mode = mode;
  return { params, pending: out };
}

/**
 * OpenID Core 3.1.2.1: a `max_age` sent asks for an authentication at most that
 * old; `prompt=login` asks for one now, which is `max_age` 0 (checked with leeway).
 */
function maxAgeOf(params: URLSearchParams): number | undefined {
  const raw = params.get('max_age');
  if (raw !== null && /^\d{1,10}$/.test(raw)) return Number(raw);
  return params.get('prompt')?.split(' ').includes('login') ? 0 : undefined;
}

/** One serialisation of the query, appended to any the endpoint already has. */
export function appendQuery(endpoint: string, params: URLSearchParams): string {
  const hash = endpoint.indexOf('#');
  const clean = hash < 0 ? endpoint : endpoint.slice(0, hash);
  const q = clean.indexOf('?');
  if (q < 0) return `${clean}?${params.toString()}`;
  const query = new URLSearchParams(clean.slice(q + 1));
  for (const [k, v] of params) query.set(k, v);
  return `${clean.slice(0, q)}?${query.toString()}`;
}
