import { describe, expect, it } from 'vitest';
import { OAuthConfigError, OAuthValidationError } from '../../../lib/index.js';
import { readLogoutToken } from '../../../lib/login/logout-request.js';
import type { PlatformRequest } from '../../../lib/login/http-platform.js';

const FORM = 'application/x-www-form-urlencoded';

function request(body: unknown, headers: Record<string, string> = { 'content-type': FORM }): PlatformRequest {
  return { method: 'POST', headers, body };
}

describe('readLogoutToken', () => {
  it('reads the one logout_token of a parsed form, a raw form string or a Buffer', () => {
    expect(readLogoutToken(request({ logout_token: 'a.b.c', other: 'x' }))).toBe('a.b.c');
    expect(readLogoutToken(request('logout_token=a.b.c&x=1'))).toBe('a.b.c');
    expect(readLogoutToken(request(Buffer.from('logout_token=a.b.c')))).toBe('a.b.c');
  });

  it('refuses a nested value an "extended" parser made of logout_token[x]=…', () => {
    expect(() => readLogoutToken(request({ logout_token: { x: 'a.b.c' } }))).toThrow(OAuthValidationError);
  });

  it('an empty body is invalid_request; a form body no parser read is the app\'s misconfiguration (OAuthConfigError)', () => {
    expect(() => readLogoutToken(request(undefined, { 'content-type': FORM, 'content-length': '0' }))).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => readLogoutToken(request(undefined, { 'content-type': FORM, 'content-length': '900' }))).toThrow(OAuthConfigError);
    expect(() => readLogoutToken(request(undefined, { 'content-type': FORM, 'transfer-encoding': 'chunked' }))).toThrow(OAuthConfigError);
  });

  it('refuses a body over the cap by its declared length and, without one, by what was parsed', () => {
    expect(() => readLogoutToken(request({ logout_token: 'a.b.c' }, { 'content-type': FORM, 'content-length': String(17 * 1024) }))).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: expect.stringContaining('over 16384 bytes') }),
    );
    expect(() => readLogoutToken(request({ logout_token: 'a.b.c', pad: 'x'.repeat(17 * 1024) }))).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });

  it('refuses anything but a POST', () => {
    expect(() => readLogoutToken({ method: 'GET', headers: { 'content-type': FORM }, body: { logout_token: 'a.b.c' } })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
