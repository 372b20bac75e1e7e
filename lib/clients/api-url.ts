import { OAuthUsageError } from '../errors/oauth.error.js';

/**
 * Resolves an API path the way the contract promises, so a token never travels to
 * another host by accident: a path without a leading `/` goes under `apiBaseUrl`
 * as a directory, a leading `/` from its origin, and anything that could change
 * the host or climb unseen (`//host`, `scheme:` without `//`, a backslash, a
 * control character, a leading `?` or `#`, `..` above the root) is refused.
 */
export function resolveApiUrl(input: string, apiBaseUrl: string | undefined): URL {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw invalid('is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('must use http or https');
    return url;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(input)) throw invalid('has a scheme but no "//"; give an absolute URL or a path');
  if (input.startsWith('//') || input.startsWith('/\\') || input.startsWith('\\')) {
    throw invalid('is protocol-relative and could leave the API host');
  }
  // The URL parser reads a backslash as "/" and silently drops tabs and newlines:
  // "..\x" or ".<LF>./" would turn into ".." after our check and climb unseen.
  if (input.includes('\\')) throw invalid('holds a backslash, which URL parsers read as "/"');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) throw invalid('holds a control character');
  // "?x=//evil" or "#/.." is not a path: resolved as one it would graft its text onto the base path.
  if (input.startsWith('?') || input.startsWith('#')) throw invalid('starts with "?" or "#"; give a path (a query goes in opts.query)');
  if (!apiBaseUrl) throw invalid('is relative, and this client has no apiBaseUrl');
  const base = parsedBase(apiBaseUrl);
  const [pathPart, ...rest] = input.split(/(?=[?#])/);
  const suffix = rest.join('');
  const path = pathPart ?? '';
  const segments = path.startsWith('/') ? [] : base.pathname.split('/').filter(Boolean);
  for (const raw of path.split('/')) {
    const seg = decodeSafe(raw);
    if (seg === '' || seg === '.') continue;
    // "..%2F..%2Fadmin" is one segment here, but a server that decodes before
    // routing sees "../../admin": a dot segment behind an encoded separator.
    if (seg !== '..' && /[\\/]/.test(seg) && seg.split(/[\\/]/).some((part) => part === '.' || part === '..')) {
      throw invalid('hides ".." behind an encoded separator');
    }
    if (seg === '..') {
      if (segments.length === 0) throw invalid('climbs above the root with ".."');
      segments.pop();
      continue;
    }
    segments.push(raw);
  }
  const trailing = path.endsWith('/') && segments.length > 0 ? '/' : '';
  const url = new URL(base.origin + '/' + segments.join('/') + trailing + suffix);
  if (url.origin !== base.origin) throw invalid('would leave the API origin');
  return url;
}

const baseCache = new Map<string, { origin: string; pathname: string }>();

/** apiBaseUrl is fixed per client: parse it once. */
function parsedBase(apiBaseUrl: string): { origin: string; pathname: string } {
  let base = baseCache.get(apiBaseUrl);
  if (!base) {
    const url = new URL(apiBaseUrl);
    base = { origin: url.origin, pathname: url.pathname };
    if (baseCache.size > 1000) baseCache.clear();
    baseCache.set(apiBaseUrl, base);
  }
  return base;
}

function decodeSafe(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function invalid(why: string): OAuthUsageError {
  return new OAuthUsageError('invalid_url', `The API URL ${why}; nothing was sent.`);
}

/** Appends `query` to `url`, repeating names for lists. */
export function appendQuery(url: URL, query: Record<string, unknown> | undefined): void {
  if (!query) return;
  for (const [k, v] of Object.entries(query)) {
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) url.searchParams.append(k, String(item));
  }
}

/** A form record as URLSearchParams, repeating names for lists. */
export function formParams(form: Record<string, unknown>): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) out.append(k, String(item));
  }
  return out;
}
