import { describe, expect, it } from 'vitest';
import { statusOfCode } from '../../../lib/errors/error-codes.js';
import type {
  OAuthConfigErrorCode,
  OAuthHookErrorCode,
  OAuthLibraryErrorCode,
  OAuthResponseErrorCode,
  OAuthStateStoreErrorCode,
  OAuthTokenUpdateErrorCode,
  OAuthTransportErrorCode,
  OAuthUsageErrorCode,
  OAuthValidationErrorCode,
} from '../../../lib/index.js';

// Typed per family: a code added to a family without a status here fails to compile
// (the Record must be complete), so the table cannot silently fall behind.
const config: Record<OAuthConfigErrorCode, number> = { invalid_config: 500 };
const usage: Record<OAuthUsageErrorCode, number> = {
  invalid_url: 400,
  missing_token: 401,
  token_expired: 401,
  unknown_client: 404,
  logout_not_supported: 500,
};
const validation: Record<OAuthValidationErrorCode, number> = {
  invalid_request: 400,
  mismatching_state: 401,
  invalid_issuer: 401,
  missing_verifier: 401,
  invalid_userinfo: 401,
  invalid_id_token: 401,
  invalid_logout_token: 400,
};
const response: Record<OAuthResponseErrorCode, number> = {
  invalid_response: 502,
  invalid_server_metadata: 502,
  invalid_token_response: 502,
  response_too_large: 502,
  invalid_dpop_nonce: 502,
};
const transport: Record<OAuthTransportErrorCode, number> = { provider_unavailable: 502, timeout: 504 };
const stateStore: Record<OAuthStateStoreErrorCode, number> = { state_store_unavailable: 503 };
const tokenUpdate: Record<OAuthTokenUpdateErrorCode, number> = { token_update_failed: 500 };
const hook: Record<OAuthHookErrorCode, number> = { hook_failed: 502 };
const all: Record<OAuthLibraryErrorCode, number> = {
  ...config,
  ...usage,
  ...validation,
  ...response,
  ...transport,
  ...stateStore,
  ...tokenUpdate,
  ...hook,
  server_error: 500,
  refresh_failed: 500,
};

describe('statusOfCode', () => {
  it.each(Object.entries(all))('%s is HTTP %i', (code, status) => {
    expect(statusOfCode(code)).toBe(status);
  });

  it('matches the API contract by family: validation 401 (malformed input 400), transport 502/504, store 503', () => {
    for (const code of ['mismatching_state', 'invalid_issuer', 'missing_verifier', 'invalid_userinfo', 'invalid_id_token']) expect(statusOfCode(code)).toBe(401);
    for (const code of Object.keys(response)) expect(statusOfCode(code)).toBe(502);
    expect(statusOfCode('provider_unavailable')).toBe(502);
    expect(statusOfCode('timeout')).toBe(504);
    expect(statusOfCode('state_store_unavailable')).toBe(503);
  });

  it('answers 500 for a code it does not know', () => {
    for (const code of ['access_denied', 'something_new', '']) expect(statusOfCode(code)).toBe(500);
  });

  // The doc promises 500 "for anything unknown"; a lookup in a plain object literal
  // answers Object.prototype members for these names instead of a number.
  it('answers 500 for names every object inherits (__proto__, constructor, toString)', () => {
    expect(['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map(statusOfCode)).toEqual([500, 500, 500, 500]);
  });
});
