import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../../lib/login/return-to.js';

describe('safeReturnTo', () => {
  it.each(['/dashboard', '/a/b?c=d#e', '/'])('keeps %s', (v) => expect(safeReturnTo(v)).toBe(v));
  it.each(['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '/a\\b', '/a\nb', '/a\u0000', '/a\u007f', '', 'dashboard', '/' + 'x'.repeat(5000)])(
    'drops %j',
    (v) => expect(safeReturnTo(v)).toBeUndefined(),
  );
});
