import { describe, expect, it } from 'vitest';
import { authorizationCode, callbackState } from '../../../../lib/clients/oauth2/authorization-response.js';
import type { OAuth2Endpoints } from '../../../../lib/index.js';
import { OAuthProviderError, OAuthValidationError } from '../../../../lib/index.js';

const ISSUER = 'https://op.example';

/** Callback parameters as the login layer hands them over: every value per name. */
function params(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(query)) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

function endpoints(extra: Partial<OAuth2Endpoints> = {}): OAuth2Endpoints {
  return { issuer: ISSUER, requirePushedAuthorizationRequests: false, issParameterSupported: false, ...extra };
}

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('callbackState', () => {
  it('returns the one state of the callback', () => {
    expect(callbackState(params('state=abc&code=c'))).toBe('abc');
  });

  it.each(['code=c', 'state=&code=c', 'state=a&state=b&code=c'])('refuses %s as mismatching_state (no single state)', (q) => {
    const err = failure(() => callbackState(params(q)));
    expect(err).toBeInstanceOf(OAuthValidationError);
    expect(err).toMatchObject({ code: 'mismatching_state' });
  });
});

describe('authorizationCode', () => {
  it('returns the code of a plain callback', () => {
    expect(authorizationCode(params('code=the-code&state=s'), endpoints())).toBe('the-code');
  });

  describe('iss (RFC 9207, against mix-up)', () => {
    it('accepts the client\'s own issuer', () => {
      expect(authorizationCode(params(`code=c&iss=${encodeURIComponent(ISSUER)}`), endpoints({ issParameterSupported: true }))).toBe('c');
    });

    it.each([
      ['another issuer', 'code=c&iss=https%3A%2F%2Fevil.example', endpoints()],
      ['a near miss (trailing slash)', `code=c&iss=${encodeURIComponent(`${ISSUER}/`)}`, endpoints()],
      ['an iss when the client knows no issuer', `code=c&iss=${encodeURIComponent(ISSUER)}`, endpoints({ issuer: undefined })],
      ['a repeated iss', `code=c&iss=${encodeURIComponent(ISSUER)}&iss=${encodeURIComponent(ISSUER)}`, endpoints()],
      ['no iss from a provider that always sends it', 'code=c', endpoints({ issParameterSupported: true })],
    ])('refuses %s as invalid_issuer', (_what, q, ep) => {
      expect(failure(() => authorizationCode(params(q), ep))).toMatchObject({ code: 'invalid_issuer' });
    });

    it('is checked before the provider\'s error: a mixed-up error is not believed', () => {
      const err = failure(() => authorizationCode(params('error=access_denied&iss=https%3A%2F%2Fevil.example'), endpoints()));
      expect(err).toBeInstanceOf(OAuthValidationError);
      expect(err).toMatchObject({ code: 'invalid_issuer' });
    });
  });

  describe('the provider\'s error (RFC 6749 4.1.2.1)', () => {
    it('is an OAuthProviderError with its code and an escaped, cut description', () => {
      const q = new URLSearchParams({ error: 'access_denied', error_description: `user said no\r\nINFO forged ${'x'.repeat(600)}`, state: 's' });
      const err = failure(() => authorizationCode(params(q.toString()), endpoints()));
      expect(err).toBeInstanceOf(OAuthProviderError);
      expect(err).toMatchObject({ code: 'access_denied', message: 'The provider refused the authorization: access_denied.' });
      const description = (err as OAuthProviderError).description!;
      expect(description.startsWith('user said no\\u000d\\u000aINFO forged')).toBe(true);
      expect(description).not.toMatch(/[\r\n]/);
      expect(description.length).toBeLessThanOrEqual(501);
    });

    it('wins over a code in the same callback', () => {
      expect(failure(() => authorizationCode(params('error=server_error&code=c'), endpoints()))).toBeInstanceOf(OAuthProviderError);
    });

    it.each([
      ['a quote', 'error=%22x'],
      ['a backslash', 'error=a%5Cb'],
      ['a control character', 'error=a%0Ab'],
      ['an empty value', 'error='],
      ['a value over 128 characters', `error=${'e'.repeat(129)}`],
      ['a repeated error', 'error=access_denied&error=server_error'],
    ])('with %s is invalid_request, not a provider error', (_what, q) => {
      const err = failure(() => authorizationCode(params(q), endpoints()));
      expect(err).toBeInstanceOf(OAuthValidationError);
      expect(err).toMatchObject({ code: 'invalid_request' });
    });
  });

  it.each(['access_token', 'id_token', 'token'])('refuses a callback carrying %s (implicit or hybrid, never asked for)', (name) => {
    const err = failure(() => authorizationCode(params(`code=c&${name}=x`), endpoints()));
    expect(err).toMatchObject({ code: 'invalid_request', message: `The callback carries "${name}"; only the authorization code flow is accepted.` });
  });

  it.each(['state=s', 'code=&state=s', 'code=a&code=b'])('refuses %s: no single code', (q) => {
    expect(failure(() => authorizationCode(params(q), endpoints()))).toMatchObject({ code: 'invalid_request', message: 'The callback has no single "code".' });
  });
});
