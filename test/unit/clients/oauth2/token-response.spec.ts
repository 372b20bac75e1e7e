import { describe, expect, it } from 'vitest';
import { OAUTH_ERROR_CODE, parseTokenResponse } from '../../../../lib/clients/oauth2/token-response.js';
import type { ProviderResponse } from '../../../../lib/http/provider-http.js';
import { OAuthProviderError, OAuthResponseError, OAuthTransportError } from '../../../../lib/index.js';

const res = (status: number, body: unknown): ProviderResponse => ({
  status,
  headers: new Headers({ 'content-type': 'application/json' }),
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('parseTokenResponse', () => {
  it('reads a bearer token and fills expires_at from expires_in', () => {
    const before = Math.floor(Date.now() / 1000);
    const t = parseTokenResponse(res(200, { access_token: 'a', token_type: 'bearer', expires_in: '3600', refresh_token: 'r', extra: 1 }));
    expect(t).toMatchObject({ access_token: 'a', token_type: 'bearer', expires_in: 3600, refresh_token: 'r', extra: 1 });
    expect(t.expires_at).toBeGreaterThanOrEqual(before + 3600);
  });

  it('drops a provider-sent userinfo and an expires_at it cannot vouch for', () => {
    const t = parseTokenResponse(res(200, { access_token: 'a', token_type: 'Bearer', userinfo: { sub: 'forged' }, expires_at: 1, expires_in: 'soon' }));
    expect(t).not.toHaveProperty('userinfo');
    expect(t).not.toHaveProperty('expires_at');
    expect(t).not.toHaveProperty('expires_in');
  });

  it('an OAuth error in the body is the provider refusing, whatever the status', () => {
    for (const status of [400, 401, 200]) {
      const err = failure(() => parseTokenResponse(res(status, { error: 'invalid_grant', error_description: 'used' })));
      expect(err).toBeInstanceOf(OAuthProviderError);
      expect(err).toMatchObject({ code: 'invalid_grant', status, description: 'used' });
    }
  });

  it.each([
    ['no access_token', { token_type: 'Bearer' }],
    ['an empty access_token', { access_token: '', token_type: 'Bearer' }],
    ['a non-bearer token_type', { access_token: 'a', token_type: 'mac' }],
    ['no token_type', { access_token: 'a' }],
    ['a non-string id_token', { access_token: 'a', token_type: 'Bearer', id_token: 1 }],
    ['a non-string refresh_token', { access_token: 'a', token_type: 'Bearer', refresh_token: {} }],
    ['an error that is not an OAuth code', { error: 'bad"quote' }],
  ])('refuses %s as invalid_response', (_what, body) => {
    const err = failure(() => parseTokenResponse(res(200, body)));
    expect(err).toBeInstanceOf(OAuthResponseError);
    expect(err).toMatchObject({ code: 'invalid_response' });
  });

  it('a 5xx without an OAuth error is an outage, a 3xx a bad answer', () => {
    expect(failure(() => parseTokenResponse(res(503, '<html>down</html>')))).toBeInstanceOf(OAuthTransportError);
    expect(failure(() => parseTokenResponse(res(302, {})))).toMatchObject({ code: 'invalid_response' });
  });

  it('OAUTH_ERROR_CODE follows RFC 6749 appendix A.7', () => {
    for (const ok of ['invalid_grant', 'a b', '!#[]~']) expect(OAUTH_ERROR_CODE.test(ok)).toBe(true);
    for (const bad of ['', 'a"b', 'a\\b', 'a\nb', 'é', 'x'.repeat(129)]) expect(OAUTH_ERROR_CODE.test(bad)).toBe(false);
  });
});
