import { DEFAULTS } from '../oauth.constants.js';

/**
 * A `next` value safe to redirect to after login, or `undefined`. Only a path on
 * this origin survives: `//evil` and `/\evil` are protocol-relative in browsers, a
 * backslash is read as a slash by some, and control characters can split headers.
 */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > DEFAULTS.maxParamLength) return undefined;
  if (!value.startsWith('/')) return undefined;
  if (value.startsWith('//')) return undefined;
  if (value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  return value;
}
