/**
 * Longest `next` kept, in characters (contract, Limits). It travels inside the
 * pending login, which for the cookie store is a cookie: a long one made each
 * login's cookie near 4 KB, and a few logins then pushed the browser's Cookie
 * header past the server's limit (HTTP 431 on every request).
 */
export const MAX_RETURN_TO_LENGTH = 1024;

/**
 * A `next` value safe to redirect to after login, or `undefined`. Only a path on
 * this origin survives: `//evil` and `/\evil` are protocol-relative in browsers, a
 * backslash is read as a slash by some, and control characters (C0, DEL, C1 and the
 * line separators U+2028/U+2029) can split headers or forge log lines. What is kept
 * comes back with every non-ASCII character percent-encoded: the same URL to a
 * browser, and a value Node accepts in a `Location` header (it refuses characters
 * above U+00FF, so an app redirecting to it on Fastify answered 500).
 */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!value.startsWith('/')) return undefined;
  if (value.startsWith('//')) return undefined;
  if (value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value)) return undefined;
  // A lone surrogate has no UTF-8 form and so no percent-encoding (with /u, a
  // surrogate range matches only unpaired halves).
  if (/[\ud800-\udfff]/u.test(value)) return undefined;
  return value.replace(/[\u0080-\u{10ffff}]+/gu, (run) => encodeURIComponent(run));
}
