import { describe, expect, it } from 'vitest';
import { resolveApiUrl } from '../../../lib/clients/api-url.js';

describe('resolveApiUrl', () => {
  const base = 'https://api.x.com/1.1';

  it.each([
    ['account/settings.json', base, 'https://api.x.com/1.1/account/settings.json'],
    ['account/settings.json', 'https://api.x.com/1.1/', 'https://api.x.com/1.1/account/settings.json'],
    ['user', 'https://api.github.com/', 'https://api.github.com/user'],
    ['/2/users/me', base, 'https://api.x.com/2/users/me'],
    ['a/../b?x=1&y=2', base, 'https://api.x.com/1.1/b?x=1&y=2'],
    ['../2/tweets', base, 'https://api.x.com/2/tweets'],
    ['https://other.example/x', base, 'https://other.example/x'],
    ['dir/', base, 'https://api.x.com/1.1/dir/'],
    ['repos/o/r/contents/a%2Fb', base, 'https://api.x.com/1.1/repos/o/r/contents/a%2Fb'],
    ['a/%2e%2e/b', base, 'https://api.x.com/1.1/b'],
  ])('%s under %s is %s', (input, apiBase, expected) => {
    expect(resolveApiUrl(input, apiBase).toString()).toBe(expected);
  });

  it.each([
    ['//evil.example/x', 'is protocol-relative and could leave the API host'],
    ['/\\evil.example/x', 'is protocol-relative and could leave the API host'],
    ['https:evil.example', 'has a scheme but no "//"; give an absolute URL or a path'],
    ['javascript:alert(1)', 'has a scheme but no "//"; give an absolute URL or a path'],
    ['../../../etc', 'climbs above the root with ".."'],
    ['%2e%2e/%2e%2e/%2e%2e/x', 'climbs above the root with ".."'],
    ['ftp://host/x', 'must use http or https'],
    ['?x=//evil', 'starts with "?" or "#"; give a path (a query goes in opts.query)'],
    ['#/../x', 'starts with "?" or "#"; give a path (a query goes in opts.query)'],
    ['..\\..\\..\\x', 'holds a backslash, which URL parsers read as "/"'],
    ['a/b?c=\\', 'holds a backslash, which URL parsers read as "/"'],
    ['.\n./.\n./.\n./x', 'holds a control character'],
    ['..%2F..%2Fadmin', 'hides ".." behind an encoded separator'],
    ['a/.%2F..%2Fb', 'hides ".." behind an encoded separator'],
  ])('refuses %s', (input, why) => {
    expect(() => resolveApiUrl(input, base)).toThrow(expect.objectContaining({ code: 'invalid_url', message: `The API URL ${why}; nothing was sent.` }));
  });

  it('refuses a relative path without apiBaseUrl', () => {
    expect(() => resolveApiUrl('user', undefined)).toThrow(expect.objectContaining({ code: 'invalid_url' }));
  });
});
