import { describe, expect, it } from 'vitest';
import { safeText } from '../../../lib/errors/safe-text.js';

describe('safeText', () => {
  it('keeps plain text as it is', () => {
    expect(safeText('invalid_grant: the code expired')).toBe('invalid_grant: the code expired');
    expect(safeText('éàü 日本語 🙂')).toBe('éàü 日本語 🙂');
  });

  it.each([
    ['a line feed (a forged log line)', 'a\nINFO fake', 'a\\u000aINFO fake'],
    ['a carriage return', 'a\rb', 'a\\u000db'],
    ['NUL', 'a\u0000b', 'a\\u0000b'],
    ['ESC (terminal control)', '\u001b[31mred', '\\u001b[31mred'],
    ['DEL', 'a\u007fb', 'a\\u007fb'],
    ['a C1 control (NEL)', 'a\u0085b', 'a\\u0085b'],
    ['the line separator', 'a\u2028b', 'a\\u2028b'],
    ['the paragraph separator', 'a\u2029b', 'a\\u2029b'],
    ['a right-to-left override (reorders what a reader sees)', 'a\u202eb', 'a\\u202eb'],
    ['a bidi isolate', 'a\u2066b\u2069', 'a\\u2066b\\u2069'],
    ['a right-to-left mark', 'a\u200fb', 'a\\u200fb'],
  ])('escapes %s', (_what, input, output) => {
    expect(safeText(input)).toBe(output);
  });

  it('cuts to max characters with an ellipsis, and not before', () => {
    expect(safeText('x'.repeat(200))).toBe('x'.repeat(200));
    expect(safeText('x'.repeat(201))).toBe(`${'x'.repeat(200)}…`);
    expect(safeText('abcdef', 3)).toBe('abc…');
    expect(safeText('x'.repeat(1_000_000), 10)).toBe(`${'x'.repeat(10)}…`);
  });

  it('counts escapes in the length, so escaping cannot blow past max', () => {
    const out = safeText('\n'.repeat(100), 20);
    expect(out).toBe(`${'\\u000a'.repeat(3)}\\u…`);
    expect(out.length).toBe(21);
  });

  it('turns non-strings into text', () => {
    expect(safeText(42)).toBe('42');
    expect(safeText(undefined)).toBe('undefined');
    expect(safeText({ toString: () => 'a\nb' })).toBe('a\\u000ab');
  });
});
