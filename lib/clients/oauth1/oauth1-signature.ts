import { createHmac, createSign, randomBytes } from 'node:crypto';
import type { OAuth1SignatureMethod, OAuth1SignatureType } from '../../interfaces/oauth-client-config.interface.js';

/** RFC 5849 section 3.6: RFC 3986 unreserved characters stay, everything else is %XX. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A parameter as a pair: names like `__proto__` stay data, never object keys. */
export type Param = readonly [name: string, value: string];

/**
 * RFC 5849 section 3.4.1.2: scheme and host lower-case, default ports dropped, the
 * path kept, no query or fragment. WHATWG URL parsing already lower-cases and drops
 * default ports; the rest is spelled out so it does not depend on that.
 */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const host = url.hostname.toLowerCase();
  const port = url.port;
  const showPort = port !== '' && !((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443'));
  return `${scheme}://${host}${showPort ? `:${port}` : ''}${url.pathname || '/'}`;
}

/**
 * RFC 5849 section 3.4.1.3.2: every parameter encoded, sorted by encoded name then
 * encoded value (byte order), joined as `name=value` with `&`.
 */
export function normalizeParameters(params: readonly Param[]): string {
  return params
    .filter(([name]) => name !== 'oauth_signature' && name !== 'realm')
    .map(([n, v]) => [percentEncode(n), percentEncode(v)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** RFC 5849 section 3.4.1: METHOD&uri&params, each part percent-encoded. */
export function signatureBaseString(method: string, url: URL, params: readonly Param[]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalizeParameters(params))].join('&');
}

/**
 * Query and form parameters as `application/x-www-form-urlencoded` decodes them
 * (RFC 5849 3.4.1.3.1: `+` is a space), in order, repeats kept.
 */
export function formParams(encoded: string): Param[] {
  return [...new URLSearchParams(encoded)];
}

/** A form-encoded provider answer, as a Map (duplicate names: the last wins). */
export function parseFormEncoded(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body.trim()));
}

export interface SignatureSecrets {
  consumerSecret: string;
  tokenSecret?: string;
  /** PEM private key, for RSA-SHA1. */
  rsaKey?: string;
}

/** RFC 5849 sections 3.4.2-3.4.4. */
export function sign(method: OAuth1SignatureMethod, baseString: string, secrets: SignatureSecrets): string {
  const key = `${percentEncode(secrets.consumerSecret)}&${percentEncode(secrets.tokenSecret ?? '')}`;
  switch (method) {
    case 'HMAC-SHA1':
      return createHmac('sha1', key).update(baseString).digest('base64');
    case 'HMAC-SHA256':
      return createHmac('sha256', key).update(baseString).digest('base64');
    case 'RSA-SHA1':
      return createSign('RSA-SHA1').update(baseString).sign(secrets.rsaKey ?? '', 'base64');
    case 'PLAINTEXT':
      return key;
  }
}

export interface SignRequestInput extends SignatureSecrets {
  method: string;
  url: string;
  /** A form body; its parameters are signed (RFC 5849 3.4.1.3.1). */
  form?: URLSearchParams;
  consumerKey: string;
  token?: string;
  signatureMethod: OAuth1SignatureMethod;
  signatureType: OAuth1SignatureType;
  callback?: string;
  verifier?: string;
  realm?: string;
  /** Fixed values, for test vectors only. */
  nonce?: string;
  timestamp?: string;
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  /** The form body to send (with the OAuth parameters for `body` signing). */
  form?: URLSearchParams;
}

/**
 * Signs one request. Nothing the caller passed is modified: the URL and form are
 * copied, and the result carries what to send.
 */
export function signRequest(input: SignRequestInput): SignedRequest {
  const url = new URL(input.url);
  url.hash = '';
  const oauth: Param[] = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_signature_method', input.signatureMethod],
    ['oauth_timestamp', input.timestamp ?? String(Math.floor(Date.now() / 1000))],
    // 128 bits from the CSPRNG: nonces must not repeat per timestamp (RFC 5849 3.3).
    ['oauth_nonce', input.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_version', '1.0'],
  ];
  if (input.token !== undefined) oauth.push(['oauth_token', input.token]);
  if (input.callback !== undefined) oauth.push(['oauth_callback', input.callback]);
  if (input.verifier !== undefined) oauth.push(['oauth_verifier', input.verifier]);

  const query = formParams(url.search.slice(1));
  const body = input.form ? formParams(input.form.toString()) : [];
  const signature =
    input.signatureMethod === 'PLAINTEXT'
      ? sign('PLAINTEXT', '', input)
      : sign(input.signatureMethod, signatureBaseString(input.method, url, [...query, ...body, ...oauth]), input);
  oauth.push(['oauth_signature', signature]);

  const headers: Record<string, string> = {};
  let form = input.form ? new URLSearchParams(input.form) : undefined;
  switch (input.signatureType) {
    case 'header': {
      const parts = oauth.map(([n, v]) => `${percentEncode(n)}="${percentEncode(v)}"`);
      if (input.realm !== undefined) parts.unshift(`realm="${input.realm.replace(/["\\]/g, '')}"`);
      headers.authorization = `OAuth ${parts.join(', ')}`;
      break;
    }
    case 'query':
      for (const [n, v] of oauth) url.searchParams.append(n, v);
      break;
    case 'body':
      form ??= new URLSearchParams();
      for (const [n, v] of oauth) form.append(n, v);
      break;
  }
  return { url: url.toString(), headers, ...(form ? { form } : {}) };
}
