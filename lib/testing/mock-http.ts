import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the mock provider received, as a test reads it back. */
export interface MockRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters (the last value of a repeated name). */
  query: Record<string, string>;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body, as text. */
  body: string;
  /** The body's fields when it is `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
}

/** What a handler answers. */
export interface MockReply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  /** `application/x-www-form-urlencoded` fields. */
  form?: Record<string, string>;
  html?: string;
  redirect?: string;
}

const MAX_BODY = 256 * 1024;

/** Reads a request body up to a cap; a larger one is cut (the mock is not a target). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_BODY) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request as recorded: header values joined, form fields parsed. */
export function recordRequest(req: IncomingMessage, url: URL, body: string): MockRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const record: MockRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  };
  if ((headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    record.form = Object.fromEntries(new URLSearchParams(body));
  }
  return record;
}

/** Writes a reply. */
export function writeReply(res: ServerResponse, reply: MockReply): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...reply.headers };
  let body = '';
  if (reply.redirect !== undefined) {
    headers.location = reply.redirect;
  } else if (reply.json !== undefined) {
    headers['content-type'] ??= 'application/json; charset=utf-8';
    body = JSON.stringify(reply.json);
  } else if (reply.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(reply.form).toString();
  } else if (reply.html !== undefined) {
    headers['content-type'] ??= 'text/html; charset=utf-8';
    body = reply.html;
  } else if (reply.text !== undefined) {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    body = reply.text;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** RFC 6749 section 4.1.2: the authorization response appended to the redirect URI's own query. */
export function redirectWith(redirectUri: string, params: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** OAuth 2.0 Form Post Response Mode: a page that posts the response back at once. */
export function formPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return (
    '<!doctype html><html><head><title>Submit</title></head>' +
    `<body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(action)}">${inputs}` +
    '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `Authorization: Basic` credentials, form-decoded per RFC 6749 section 2.3.1. */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The bearer token of a request (RFC 6750 section 2.1), also GitHub's legacy `token` scheme. */
export function bearerToken(header: string | undefined, schemes: readonly string[] = ['bearer']): string | undefined {
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header ?? '');
  if (!m || !schemes.includes(m[1]!.toLowerCase())) return undefined;
  return m[2];
}
