import { OAuthProviderError, OAuthResponseError } from '../../errors/oauth.error.js';
import { expectSuccess, parseJsonObject, type ProviderResponse } from '../../http/provider-http.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';

// RFC 6749 appendix A.7: error codes are printable ASCII without quote or backslash.
export const OAUTH_ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

/** The provider's OAuth `error` in a JSON body, thrown as a coded error. */
export function throwIfOAuthError(body: Record<string, unknown>, status: number, what: string): void {
  if (body.error === undefined) return;
  if (typeof body.error !== 'string' || !OAUTH_ERROR_CODE.test(body.error)) {
    throw new OAuthResponseError('invalid_response', `The ${what} answered an "error" that is not a valid OAuth error code.`, { status });
  }
  const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 500) : undefined;
  const uri = typeof body.error_uri === 'string' ? body.error_uri.slice(0, 500) : undefined;
  throw new OAuthProviderError(body.error, `The ${what} refused the request: ${body.error}.`, {
    status,
    ...(description === undefined ? {} : { description }),
    ...(uri === undefined ? {} : { uri }),
  });
}

/**
 * RFC 6749 section 5.1/5.2: a JSON object with a string `access_token` and a
 * bearer `token_type`; an `error` member in any status is the provider's refusal.
 * `expires_at` is filled from `expires_in`.
 */
export function parseTokenResponse(res: ProviderResponse, what = 'token endpoint'): OAuth2Token {
  const body = parseJsonObject(res, what);
  throwIfOAuthError(body, res.status, what);
  expectSuccess(res, what);
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new OAuthResponseError('invalid_response', `The ${what} answered without a string access_token.`, { status: res.status });
  }
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
    throw new OAuthResponseError(
      'invalid_response',
      `The ${what} answered a token_type other than Bearer; only bearer tokens are supported.`,
      { status: res.status },
    );
  }
  if (body.id_token !== undefined && typeof body.id_token !== 'string') {
    throw new OAuthResponseError('invalid_response', `The ${what} answered a non-string id_token.`, { status: res.status });
  }
  if (body.refresh_token !== undefined && typeof body.refresh_token !== 'string') {
    throw new OAuthResponseError('invalid_response', `The ${what} answered a non-string refresh_token.`, { status: res.status });
  }
  const token = { ...body } as OAuth2Token;
  delete token.userinfo;
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn)) {
    token.expires_in = expiresIn;
    token.expires_at = Math.floor(Date.now() / 1000) + Math.floor(expiresIn);
  } else {
    delete token.expires_in;
    delete token.expires_at;
  }
  return token;
}
