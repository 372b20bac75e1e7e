import { OAuthResponseError } from '../../errors/oauth.error.js';
import { expectSuccess, parseJsonObject, type ProviderResponse } from '../../http/provider-http.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { throwIfOAuthError } from './token-response.js';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/** The form of a revocation (RFC 7009 2.1) or introspection (RFC 7662 2.1) request. */
export function tokenManagementBody(token: OAuth2Token | string, hint: TokenTypeHint | undefined): URLSearchParams {
  const value = typeof token === 'string' ? token : hint === 'refresh_token' ? token.refresh_token : token.access_token;
  const body = new URLSearchParams({ token: value ?? '' });
  if (hint) body.set('token_type_hint', hint);
  return body;
}

/** RFC 7009 2.2: 200 is success whatever the body; an error body is the provider's refusal. */
export function checkRevocation(res: ProviderResponse, what: string): void {
  if (res.status === 200) return;
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = parseJsonObject(res, what);
  } catch {
    parsed = undefined;
  }
  if (parsed) throwIfOAuthError(parsed, res.status, what);
  expectSuccess(res, what);
}

/** RFC 7662 2.2: a JSON object with a boolean `active`. */
export function parseIntrospection(res: ProviderResponse, what: string): Record<string, unknown> {
  const parsed = parseJsonObject(res, what);
  throwIfOAuthError(parsed, res.status, what);
  expectSuccess(res, what);
  if (typeof parsed.active !== 'boolean') {
    throw new OAuthResponseError('invalid_response', `The ${what} answered without a boolean "active".`);
  }
  return parsed;
}
