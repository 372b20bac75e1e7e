/**
 * The profile normalisation every preset's `userinfo` hook uses: OpenID claim names,
 * `sub` as a string, `email_verified` only when stated, raw fields kept beside.
 */
import { describe, expect, it } from 'vitest';
import { OAuthValidationError } from '../../../lib/index.js';
import { flag, joinNames, normaliseOpenIdClaims, normaliseUser } from '../../../lib/presets/user-claims.js';

describe('normaliseUser', () => {
  it('maps the provider\'s fields to OpenID claims and keeps the others beside them', () => {
    const raw = { id: 42, login: 'octo', name: 'Octo Cat', avatar_url: 'https://img.example/42', plan: { name: 'pro' } };
    expect(normaliseUser(raw, { sub: raw.id, name: raw.name, picture: raw.avatar_url, preferred_username: raw.login })).toEqual({
      id: 42,
      login: 'octo',
      avatar_url: 'https://img.example/42',
      plan: { name: 'pro' },
      sub: '42',
      name: 'Octo Cat',
      picture: 'https://img.example/42',
      preferred_username: 'octo',
    });
  });

  it('drops a standard-named raw field the provider left empty instead of passing it on', () => {
    const out = normaliseUser({ id: '1', email: null, name: '  ', picture: { data: {} } }, { sub: '1', email: null, name: '  ' });
    expect(out).toEqual({ id: '1', sub: '1' });
  });

  it('states email_verified only when the provider did, and only with an email', () => {
    expect(normaliseUser({}, { sub: 's', email: 'a@b.c' })).toEqual({ sub: 's', email: 'a@b.c' });
    expect(normaliseUser({}, { sub: 's', email: 'a@b.c', email_verified: false })).toEqual({ sub: 's', email: 'a@b.c', email_verified: false });
    expect(normaliseUser({}, { sub: 's', email: 'a@b.c', email_verified: 'true' })).toMatchObject({ email_verified: true });
    expect(normaliseUser({}, { sub: 's', email_verified: true })).toEqual({ sub: 's' });
    expect(normaliseUser({}, { sub: 's', email: 'not-an-address', email_verified: true })).toEqual({ sub: 's' });
    expect(normaliseUser({}, { sub: 's', email: 'a@b.c', email_verified: 'yes' })).toEqual({ sub: 's', email: 'a@b.c' });
  });

  it('keeps only http(s) pictures', () => {
    expect(normaliseUser({}, { sub: 's', picture: 'javascript:alert(1)' })).toEqual({ sub: 's' });
    expect(normaliseUser({}, { sub: 's', picture: 'data:image/png;base64,AAAA' })).toEqual({ sub: 's' });
    expect(normaliseUser({}, { sub: 's', picture: 'http://img.example/a.png' })).toMatchObject({ picture: 'http://img.example/a.png' });
  });

  it('refuses a profile without a usable identifier (invalid_userinfo)', () => {
    for (const sub of [undefined, null, '', 1.5, {}, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => normaliseUser({}, { sub })).toThrow(OAuthValidationError);
    }
    expect(() => normaliseUser({}, { sub: undefined })).toThrow(expect.objectContaining({ code: 'invalid_userinfo' }));
    expect(normaliseUser({}, { sub: 10n }).sub).toBe('10');
  });
});

describe('normaliseOpenIdClaims', () => {
  it('reads standard claims and lets a preset override some', () => {
    const claims = { sub: 'u', email: 'u@x.io', email_verified: 'false', nickname: 'uu', iss: 'https://op' };
    expect(normaliseOpenIdClaims(claims, { preferred_username: claims.nickname })).toEqual({
      sub: 'u',
      email: 'u@x.io',
      email_verified: false,
      nickname: 'uu',
      iss: 'https://op',
      preferred_username: 'uu',
    });
  });
});

describe('helpers', () => {
  it('joinNames and flag', () => {
    expect(joinNames('Ada', undefined, ' King ')).toBe('Ada King');
    expect(joinNames(undefined, '')).toBeUndefined();
    expect([flag(true), flag('false'), flag('TRUE'), flag(1)]).toEqual([true, false, undefined, undefined]);
  });
});
