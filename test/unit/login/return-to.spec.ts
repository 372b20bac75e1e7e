import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../../lib/login/return-to.js';

describe('safeReturnTo', () => {
  it.each(['/dashboard', '/a/b?c=d#e', '/'])('keeps %s', (v) => expect(safeReturnTo(v)).toBe(v));
  it('gives non-ASCII characters back percent-encoded', () => expect(safeReturnTo('/café/€?q=😀')).toBe('/caf%C3%A9/%E2%82%AC?q=%F0%9F%98%80'));
  it('keeps 1,024 characters and drops 1,025', () => {
    expect(safeReturnTo('/' + 'x'.repeat(1023))).toHaveLength(1024);
    expect(safeReturnTo('/' + 'x'.repeat(1024))).toBeUndefined();
  });
  it.each(['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/a\\b', '/a\nb', '/a\u0000', '/a\u007f', '/a\u0085', '/a\u009f', '/a\u2028', '/a\u2029', '/a\ud800b', '/a\udc00', '', 'dashboard', '/' + 'x'.repeat(5000)])(
    'drops %j',
    (v) => expect(safeReturnTo(v)).toBeUndefined(),
  );
});
