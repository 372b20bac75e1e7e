import { createHmac, createPrivateKey, createSign, KeyObject } from 'node:crypto';
import { randomBytesFromPool } from '../../lib/http/random-pool.js';
import type { OAuth1SignatureMethod, OAuth1SignatureType } from '../../lib/interfaces/oauth-client-config.interface.js';

// The test oracle: RFC 5849 section 3 written by hand on node:crypto alone, the
// signer the library shipped before it wrapped `oauth-1.0a`. It shares no code with
// the wrapped signer in lib/clients/oauth1/oauth1-signature.ts (only the CSPRNG pool
// for nonces), so the tests compare two independent implementations: every published
// vector, random parameter sets, every method and placement. Keep it unchanged
// unless a published vector or a real peer shows it wrong.

/** A parameter as a pair: names like `__proto__` stay data, never object keys. */
export type Param = readonly [name: string, value: string];

/**
 * A form body to sign and send: a `URLSearchParams`, an encoded string
 * (`application/x-www-form-urlencoded`), pairs (repeats kept), or a record (own keys
 * only, so a JSON-parsed `__proto__` key is an ordinary parameter).
 */
export type OAuth1FormInput = URLSearchParams | string | Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const RESERVED_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;

/**
 * RFC 5849 section 3.6: the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`)
 * stay, every other UTF-8 octet becomes `%XX` with upper-case hex. A lone surrogate
 * is encoded as U+FFFD, as the form encoder and `fetch` would send it, instead of
 * throwing.
 */
export function percentEncode(value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    encoded = encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
  }
  return encoded.replace(RESERVED_BY_ENCODE_URI_COMPONENT, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * RFC 5849 section 3.4.1.2: scheme and host lower-case, the port only when it is
 * not the scheme's default (80 for http, 443 for https), the path as sent, no
 * query, no fragment. Only http and https URLs can be signed.
 */
export function baseStringUri(url: URL): string {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`OAuth 1.0a signs http and https requests only, not "${url.protocol}" (RFC 5849 section 3.4.1.2).`);
  }
  // WHATWG URL parsing has already lower-cased scheme and host and dropped the
  // scheme's default port; the path of an http(s) URL is never empty. `fetch` sends
  // this same serialisation, so the signature covers what goes on the wire.
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function comparePairs(a: Param, b: Param): number {
  // Encoded strings are ASCII, so UTF-16 order is the byte order the RFC asks for.
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/**
 * RFC 5849 section 3.4.1.3.2: every name and value encoded, sorted by encoded name
 * then encoded value (byte order), joined as `name=value` with `&`. `oauth_signature`
 * and `realm` are left out (section 3.4.1.3.1).
 */
export function normalizeParameters(params: Iterable<Param>): string {
  const encoded: Param[] = [];
  for (const [name, value] of params) {
    if (name === 'oauth_signature' || name === 'realm') continue;
    encoded.push([percentEncode(name), percentEncode(value)]);
  }
  encoded.sort(comparePairs);
  let out = '';
  for (let i = 0; i < encoded.length; i++) out += `${i === 0 ? '' : '&'}${encoded[i]![0]}=${encoded[i]![1]}`;
  return out;
}

/**
 * RFC 5849 section 3.4.1.1: the upper-case method, the encoded base string URI and
 * the encoded normalized parameters, joined by `&`.
 */
export function signatureBaseString(method: string, url: URL, params: Iterable<Param>): string {
  return `${percentEncode(method.toUpperCase())}&${percentEncode(baseStringUri(url))}&${percentEncode(normalizeParameters(params))}`;
}

/**
 * Parameters of a query string or form body, decoded as
 * `application/x-www-form-urlencoded` (RFC 5849 3.4.1.3.1: `+` is a space), in
 * order, repeats kept. A leading `?` is ignored.
 */
export function formParams(encoded: string): Param[] {
  return [...new URLSearchParams(encoded)];
}

/**
 * A form-encoded provider answer (RFC 5849 sections 2.1 and 2.3) as a `Map`, so
 * names such as `__proto__` are plain keys. Duplicate names: the last one wins.
 * Surrounding whitespace is ignored.
 */
export function parseFormEncoded(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body.trim()));
}

/** The form body as pairs, copied: the caller's object is only read. */
function formPairs(form: OAuth1FormInput): Param[] {
  if (typeof form === 'string') return formParams(form);
  if (form instanceof URLSearchParams) return [...form];
  if (Symbol.iterator in form) {
    const pairs: Param[] = [];
    for (const [name, value] of form as Iterable<readonly [string, string]>) pairs.push([String(name), String(value)]);
    return pairs;
  }
  const record = form as Readonly<Record<string, string>>;
  return Object.keys(record).map((name) => [name, String(record[name])] as const);
}

export interface SignatureSecrets {
  /** The client shared-secret; empty when absent (RSA-SHA1). */
  consumerSecret?: string;
  /** The token shared-secret; empty when absent (temporary-credential request). */
  tokenSecret?: string;
  /** RSA-SHA1: the PEM private key (PKCS#8 or PKCS#1), or a private `KeyObject`. */
  rsaKey?: string | KeyObject;
}

// Parsing a PEM costs more than signing a short base string; a client keeps one key.
const rsaKeys = new Map<string, KeyObject>();
const RSA_KEY_CACHE = 16;

function rsaPrivateKey(rsaKey: string | KeyObject | undefined): KeyObject {
  if (rsaKey instanceof KeyObject) {
    if (rsaKey.type !== 'private' || rsaKey.asymmetricKeyType !== 'rsa') throw new TypeError('RSA-SHA1 needs an RSA private key.');
    return rsaKey;
  }
  if (typeof rsaKey !== 'string' || rsaKey === '') throw new TypeError('RSA-SHA1 needs rsaKey, a PEM RSA private key.');
  let key = rsaKeys.get(rsaKey);
  if (!key) {
    try {
      key = createPrivateKey(rsaKey);
    } catch {
      // The message never repeats the key.
      throw new TypeError('rsaKey is not a readable PEM private key.');
    }
    if (key.asymmetricKeyType !== 'rsa') throw new TypeError('rsaKey is not an RSA private key.');
    if (rsaKeys.size >= RSA_KEY_CACHE) rsaKeys.delete(rsaKeys.keys().next().value!);
    rsaKeys.set(rsaKey, key);
  }
  return key;
}

/**
 * The `oauth_signature` value for a base string: HMAC-SHA1 (RFC 5849 3.4.2),
 * HMAC-SHA256 (the same construction with SHA-256), RSA-SHA1 (3.4.3,
 * RSASSA-PKCS1-v1_5) or PLAINTEXT (3.4.4, which ignores the base string).
 */
export function computeSignature(method: OAuth1SignatureMethod, baseString: string, secrets: SignatureSecrets): string {
  // 3.4.2: the encoded client secret, "&" (always), the encoded token secret.
  const key = `${percentEncode(secrets.consumerSecret ?? '')}&${percentEncode(secrets.tokenSecret ?? '')}`;
  switch (method) {
    case 'HMAC-SHA1':
      return createHmac('sha1', key).update(baseString, 'utf8').digest('base64');
    case 'HMAC-SHA256':
      return createHmac('sha256', key).update(baseString, 'utf8').digest('base64');
    case 'RSA-SHA1':
      return createSign('RSA-SHA1').update(baseString, 'utf8').sign(rsaPrivateKey(secrets.rsaKey), 'base64');
    case 'PLAINTEXT':
      return key;
    default:
      throw new TypeError(`Unknown OAuth 1.0a signature method "${String(method)}".`);
  }
}

export interface SignRequestInput extends SignatureSecrets {
  /** The HTTP method of the request (any case; the base string upper-cases it). */
  method: string;
  /** The absolute request URL; its query parameters are signed. A fragment is dropped. */
  url: string | URL;
  /**
   * An `application/x-www-form-urlencoded` body; its parameters are signed
   * (RFC 5849 3.4.1.3.1). Any other body is not signed: leave this out.
   */
  form?: OAuth1FormInput;
  consumerKey: string;
  /** The token (temporary or access) credential identifier, `oauth_token`. */
  token?: string;
  signatureMethod: OAuth1SignatureMethod;
  /** Where the protocol parameters go (RFC 5849 3.5): header, query, or form body. */
  signatureType: OAuth1SignatureType;
  /** `oauth_callback` of a temporary-credential request (RFC 5849 2.1). */
  callback?: string;
  /** `oauth_verifier` of a token request (RFC 5849 2.3). */
  verifier?: string;
  /**
   * Further protocol parameters, signed and placed with the others. Names must
   * start with `oauth_` and not repeat one signRequest sets.
   */
  extraOAuthParams?: Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
  /** `realm` of the Authorization header (not signed; header placement only). */
  realm?: string;
  /** Send `oauth_version="1.0"` (optional per RFC 5849 3.1); default true. */
  includeVersion?: boolean;
  /** Fixed nonce, for test vectors; default 128 CSPRNG bits. */
  nonce?: string;
  /** Fixed timestamp in seconds, for test vectors; default now. */
  timestamp?: string | number;
}

export interface SignedRequest {
  /** The URL to request: the caller's URL, plus the protocol parameters for `query`. */
  url: string;
  /** Headers to add: `authorization` for `header` placement, else none. */
  headers: Record<string, string>;
  /** The form body to send (with the protocol parameters for `body`), a fresh copy. */
  form?: URLSearchParams;
  /** The protocol parameters sent, `oauth_signature` last. */
  oauthParams: readonly Param[];
  /** The signature base string (absent for PLAINTEXT, which has none). */
  baseString?: string;
}

/** A realm fits in a quoted-string as is: printable ASCII without quote or backslash. */
function isQuotableRealm(realm: string): boolean {
  for (let i = 0; i < realm.length; i++) {
    const c = realm.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

const SET_BY_SIGN_REQUEST = new Set([
  'oauth_consumer_key',
  'oauth_signature_method',
  'oauth_timestamp',
  'oauth_nonce',
  'oauth_version',
  'oauth_token',
  'oauth_callback',
  'oauth_verifier',
  'oauth_signature',
]);

function extraPairs(extra: SignRequestInput['extraOAuthParams']): Param[] {
  if (!extra) return [];
  const pairs = formPairs(extra);
  for (const [name] of pairs) {
    if (!name.startsWith('oauth_')) throw new TypeError(`extraOAuthParams: "${name}" is not a protocol parameter (names start with "oauth_").`);
    if (SET_BY_SIGN_REQUEST.has(name)) throw new TypeError(`extraOAuthParams: "${name}" is set by signRequest itself.`);
  }
  return pairs;
}

/**
 * Signs one request per RFC 5849 section 3 and says what to send. Nothing the
 * caller passed is modified: URL and form are copied, parameters are kept as pairs
 * (so `__proto__` or `constructor` are ordinary names), and the result carries the
 * URL, headers and form body to use.
 */
export function signRequest(input: SignRequestInput): SignedRequest {
  const url = new URL(input.url);
  url.hash = '';
  const method = input.method.toUpperCase();
  if (!/^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/.test(method)) throw new TypeError(`"${input.method}" is not an HTTP method.`);
  if (input.signatureType === 'body' && (method === 'GET' || method === 'HEAD')) {
    // RFC 5849 3.5.2: body placement needs a method whose body has meaning.
    throw new TypeError(`OAuth 1.0a body signing needs a form body; a ${method} request has none (use header or query).`);
  }
  if (input.realm !== undefined && !isQuotableRealm(input.realm)) {
    throw new TypeError('realm must be printable ASCII without quotes or backslashes.');
  }
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  if (!/^\d+$/.test(timestamp)) throw new TypeError('timestamp must be a whole number of seconds.');

  const oauth: Array<readonly [string, string]> = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_signature_method', input.signatureMethod],
    ['oauth_timestamp', timestamp],
    // 128 bits from the CSPRNG: a nonce must never repeat for one timestamp,
    // client and token (RFC 5849 3.3), and must not be guessable.
    ['oauth_nonce', input.nonce ?? randomBytesFromPool(16).toString('hex')],
  ];
  if (input.includeVersion !== false) oauth.push(['oauth_version', '1.0']);
  if (input.token !== undefined) oauth.push(['oauth_token', input.token]);
  if (input.callback !== undefined) oauth.push(['oauth_callback', input.callback]);
  if (input.verifier !== undefined) oauth.push(['oauth_verifier', input.verifier]);
  oauth.push(...extraPairs(input.extraOAuthParams));

  const body = input.form === undefined ? undefined : formPairs(input.form);
  let baseString: string | undefined;
  let signature: string;
  if (input.signatureMethod === 'PLAINTEXT') {
    signature = computeSignature('PLAINTEXT', '', input);
  } else {
    // 3.4.1.3.1: query parameters, form-body parameters and protocol parameters,
    // all decoded; where they were sent does not change the signature.
    const all = formParams(url.search);
    if (body) all.push(...body);
    all.push(...oauth);
    baseString = signatureBaseString(method, url, all);
    signature = computeSignature(input.signatureMethod, baseString, input);
  }
  oauth.push(['oauth_signature', signature]);

  const headers: Record<string, string> = {};
  let form = body ? new URLSearchParams(body as Array<[string, string]>) : undefined;
  switch (input.signatureType) {
    case 'header': {
      // 3.5.1: each name and value encoded, values in double quotes.
      let value = 'OAuth ';
      if (input.realm !== undefined) value += `realm="${input.realm}", `;
      value += oauth.map(([n, v]) => `${percentEncode(n)}="${percentEncode(v)}"`).join(', ');
      headers.authorization = value;
      break;
    }
    case 'query': {
      // 3.5.3: appended to the query as sent, which is left byte for byte as it was.
      const added = oauth.map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`).join('&');
      const query = url.search.slice(1);
      url.search = query === '' ? added : `${query}&${added}`;
      break;
    }
    case 'body':
      form ??= new URLSearchParams();
      for (const [n, v] of oauth) form.append(n, v);
      break;
    default:
      throw new TypeError(`Unknown OAuth 1.0a signature type "${String(input.signatureType)}".`);
  }
  const out: SignedRequest = { url: url.toString(), headers, oauthParams: oauth };
  if (form) out.form = form;
  if (baseString !== undefined) out.baseString = baseString;
  return out;
}
