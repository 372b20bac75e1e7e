/**
 * A provider-supplied string fit for a log line or an error message: control
 * characters (C0, C1, U+2028/U+2029, which forge log lines) and bidi controls
 * (U+200E/U+200F, U+202A-U+202E, U+2066-U+2069, which reorder what a reader of the
 * log sees) escaped, cut to `max` characters. Providers are not trusted to be
 * well-behaved.
 */
export function safeText(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : String(value);
  const escaped = text
    .slice(0, max * 2)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** A name from untrusted input (a parameter, a settings key) fit for a message: word characters only, cut. */
export function safeName(name: string, max: number): string {
  return name.replace(/[^\w.-]/g, '?').slice(0, max);
}
