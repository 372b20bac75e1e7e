import { OAuthProviderError, OAuthResponseError } from '../../errors/oauth.error.js';
import { safeText } from '../../errors/safe-text.js';
import { expectJsonObject, expectSuccess, type ProviderResponse as RawResponse } from '../../http/provider-http.js';
import type { ProviderResponse } from '../../interfaces/oauth-hooks.interface.js';
import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';

// RFC 6749 appendix A.7: error codes are printable ASCII without quote or backslash.
export const OAUTH_ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

// A token becomes a header value (RFC 6750 2.1 b64token, RFC 9449 likewise): CR, LF
// or anything a header cannot hold would make the request fail with a message that
// quotes the token, or split the header.
const HEADER_SAFE_TOKEN = /^[\x21-\x7E]+$/;

/**
 * A provider's body as hooks see it: a JSON value when it parses, the fields of a
 * form-encoded body (a content type some providers still answer with), else the text.
 */
export function parseProviderBody(res: RawResponse): unknown {
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    // not JSON
  }
  const type = res.headers.get('content-type') ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(res.body)) out[k] = v;
    return { ...out };
  }
  return res.body;
}

/** The raw answer in the shape compliance hooks receive. */
export function toHookResponse(res: RawResponse): ProviderResponse {
  return { status: res.status, headers: res.headers, body: parseProviderBody(res) };
}

/** The provider's OAuth `error` in a body, thrown as a coded error. */
export function throwIfOAuthError(body: Record<string, unknown>, status: number, what: string): void {
  if (body.error === undefined) return;
  if (typeof body.error !== 'string' || !OAUTH_ERROR_CODE.test(body.error)) {
    throw new OAuthResponseError('invalid_response', `The ${what} answered an "error" that is not a valid OAuth error code.`, { status });
  }
  const description = typeof body.error_description === 'string' ? safeText(body.error_description, 500) : undefined;
  const uri = typeof body.error_uri === 'string' ? safeText(body.error_uri, 500) : undefined;
  throw new OAuthProviderError(body.error, `The ${what} refused the request: ${body.error}.`, {
    status,
    ...(description === undefined ? {} : { description }),
    ...(uri === undefined ? {} : { uri }),
  });
}

/**
 * RFC 6749 section 5.1/5.2: a JSON object with a string `access_token` and a
 * bearer `token_type` (`DPoP` when `tokenType` says so); an `error` member in any
 * status is the provider's refusal (GitHub answers errors with 200). `expires_at`
 * is filled from `expires_in`.
 */
export function tokenFromResponse(res: ProviderResponse, what = 'token endpoint', tokenType = 'bearer'): OAuth2Token {
  const body = expectJsonObject(res.body, res.status, what);
  throwIfOAuthError(body, res.status, what);
  expectSuccess(res, what);
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new OAuthResponseError('invalid_response', `The ${what} answered without a string access_token.`, { status: res.status });
  }
  if (!HEADER_SAFE_TOKEN.test(body.access_token)) {
    throw new OAuthResponseError(
      'invalid_token_response',
      `The ${what} answered an access_token with characters no HTTP header can carry; it is refused.`,
      { status: res.status },
    );
  }
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== tokenType) {
    throw new OAuthResponseError(
      'invalid_response',
      tokenType === 'bearer'
        ? `The ${what} answered a token_type other than Bearer; only bearer tokens are supported.`
        : `The ${what} answered a token_type other than DPoP although a DPoP-bound token was asked for.`,
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

/** `tokenFromResponse` of a raw answer, for callers without hooks. */
export function parseTokenResponse(res: RawResponse, what = 'token endpoint'): OAuth2Token {
  return tokenFromResponse(toHookResponse(res), what);
}
