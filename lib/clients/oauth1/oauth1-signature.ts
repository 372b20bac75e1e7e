import { createHmac, createPrivateKey, createSign, KeyObject } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { randomBytesFromPool } from '../../http/random-pool.js';
import type { OAuth1SignatureMethod, OAuth1SignatureType } from '../../interfaces/oauth-client-config.interface.js';

// RFC 5849 section 3 on top of the `oauth-1.0a` package (the contract's OAuth 1.0a
// dependency). Handed parameters that are already decoded, it does its part right:
// percent-encoding (3.6), normalisation (3.4.1.3.2: encode, sort by name then value,
// repeated names kept when given as a list), the base string (3.4.1.1), the signing
// key (3.4.2) and the Authorization header (3.5.1).
//
// What it gets wrong is done here instead, and the package never sees the input it
// would get wrong: it reads the URL query itself by splitting on `=` and `&`
// (a value holding `=` is cut, `+` is not a space, a name in both query and data
// keeps one value), so it only ever gets the base string URI, without a query, and
// one table of parameters decoded here as application/x-www-form-urlencoded, repeats
// as lists. It does not
// normalise scheme, host or port (3.4.1.2): WHATWG URL parsing does, below. Its
// nonces come from Math.random and its method defaults to PLAINTEXT: authorize() is
// never called, the nonce is 128 CSPRNG bits, the method is always named. It has no
// RSA and no HMAC of its own: node:crypto signs, through its `hash_function`. It only
// builds a header: query (3.5.3) and body (3.5.2) placement are done here. It merges
// request data into the objects it is given: it is given fresh objects, never the
// caller's.

/** A parameter as a pair: names like `__proto__` stay data, never object keys. */
export type Param = readonly [name: string, value: string];

/**
 * A form body to sign and send: a `URLSearchParams`, an encoded string
 * (`application/x-www-form-urlencoded`), pairs (repeats kept), or a record (own keys
 * only, so a JSON-parsed `__proto__` key is an ordinary parameter).
 */
export type OAuth1FormInput = URLSearchParams | string | Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/** Parameters by name, one value or the repeats in order; null prototype. */
type ParamTable = Record<string, string | string[]>;

/**
 * The package keeps encoded parameters in a `{}` object, where a parameter named
 * `__proto__` hits the prototype setter: a single value vanishes from the base string,
 * repeats become the table's prototype. The same step into a null-prototype table;
 * everything else about normalisation stays the package's.
 */
class Rfc5849OAuth extends OAuth {
  percentEncodeData(data: ParamTable): ParamTable {
    const encoded: ParamTable = Object.create(null) as ParamTable;
    for (const name of Object.keys(data)) {
      const value = data[name]!;
      encoded[this.percentEncode(name)] = typeof value === 'string' ? this.percentEncode(value) : value.map((v) => this.percentEncode(v));
    }
    return encoded;
  }
}

/** For percent-encoding outside a signature (query placement); holds no secret. */
const ENCODER = new Rfc5849OAuth({ consumer: { key: '', secret: '' }, signature_method: 'PLAINTEXT' });

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * A lone surrogate becomes U+FFFD, as the form encoder and `fetch` would send it:
 * the package's encodeURIComponent would throw on it.
 */
function wellFormed(value: string): string {
  return LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\uFFFD') : value;
}

/**
 * RFC 5849 section 3.6 (the package's encoder): the RFC 3986 unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`) stay, every other UTF-8 octet becomes `%XX` with upper-case
 * hex. A lone surrogate is encoded as U+FFFD instead of throwing.
 */
export function percentEncode(value: string): string {
  return ENCODER.percentEncode(wellFormed(value));
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
  // scheme's default port; the path of an http(s) URL is never empty and never holds
  // `?` (the package would cut there). `fetch` sends this same serialisation, so the
  // signature covers what goes on the wire.
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The decoded parameters as the package's table: repeated names as a list (it sorts
 * and writes every value), `oauth_signature` and `realm` left out (3.4.1.3.1).
 */
function paramTable(params: Iterable<Param>): ParamTable {
  const table: ParamTable = Object.create(null) as ParamTable;
  for (const [rawName, rawValue] of params) {
    if (rawName === 'oauth_signature' || rawName === 'realm') continue;
    const name = wellFormed(rawName);
    const value = wellFormed(rawValue);
    const seen = table[name];
    if (seen === undefined) table[name] = value;
    else if (typeof seen === 'string') table[name] = [seen, value];
    else seen.push(value);
  }
  return table;
}

/** The protocol parameters for the package's header; names are unique (3.1). */
function headerTable(oauth: readonly Param[]): OAuth.Authorization {
  const table: ParamTable = Object.create(null) as ParamTable;
  for (const [name, value] of oauth) table[name] = value;
  return table as unknown as OAuth.Authorization;
}

/**
 * What the package is asked to sign: the method already encoded (3.4.1.1 asks it for
 * custom methods; the package upper-cases but does not encode), the base string URI
 * with no query for it to parse, and no data of its own (the table carries all).
 */
function packageRequest(method: string, url: URL): OAuth.RequestOptions {
  return { method: percentEncode(method.toUpperCase()), url: baseStringUri(url), data: Object.create(null) as ParamTable };
}

/** The package's table typed as what its declarations call protocol data. */
const asOAuthData = (table: ParamTable) => table as unknown as OAuth.Data;

/**
 * RFC 5849 section 3.4.1.1: the upper-case method, the encoded base string URI and
 * the encoded normalized parameters, joined by `&`. `params` are decoded pairs.
 */
export function signatureBaseString(method: string, url: URL, params: Iterable<Param>): string {
  return ENCODER.getBaseString(packageRequest(method, url), asOAuthData(paramTable(params)));
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
 * The package's `hash_function` for a method, which receives the base string and the
 * signing key it built: HMAC-SHA1 (RFC 5849 3.4.2), HMAC-SHA256 (the same
 * construction with SHA-256), RSA-SHA1 (3.4.3, RSASSA-PKCS1-v1_5, the key ignored).
 * PLAINTEXT (3.4.4) needs none: its signature is the signing key itself.
 */
function hashFunction(method: Exclude<OAuth1SignatureMethod, 'PLAINTEXT'>, rsaKey: string | KeyObject | undefined): OAuth.HashFunction {
  switch (method) {
    case 'HMAC-SHA1':
      return (base, key) => createHmac('sha1', key).update(base, 'utf8').digest('base64');
    case 'HMAC-SHA256':
      return (base, key) => createHmac('sha256', key).update(base, 'utf8').digest('base64');
    case 'RSA-SHA1': {
      const privateKey = rsaPrivateKey(rsaKey);
      return (base) => createSign('RSA-SHA1').update(base, 'utf8').sign(privateKey, 'base64');
    }
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
   * start with `oauth_`, appear once, and not repeat one signRequest sets.
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
  const names = new Set<string>();
  for (const [name] of pairs) {
    if (!name.startsWith('oauth_')) throw new TypeError(`extraOAuthParams: "${name}" is not a protocol parameter (names start with "oauth_").`);
    if (SET_BY_SIGN_REQUEST.has(name)) throw new TypeError(`extraOAuthParams: "${name}" is set by signRequest itself.`);
    // RFC 5849 3.1: a protocol parameter appears once per request.
    if (names.has(name)) throw new TypeError(`extraOAuthParams: "${name}" is given twice.`);
    names.add(name);
  }
  return pairs;
}

/**
 * Signs one request per RFC 5849 section 3 and says what to send. Nothing the
 * caller passed is modified: URL and form are copied, parameters are kept as pairs
 * (so `__proto__` or `constructor` are ordinary names), the package gets only
 * objects made here, and the result carries the URL, headers and form body to use.
 */
export function signRequest(input: SignRequestInput): SignedRequest {
  const url = new URL(input.url);
  url.hash = '';
  const method = input.method.toUpperCase();
  if (!/^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/.test(method)) throw new TypeError(`"${input.method}" is not an HTTP method.`);
  if (input.signatureType !== 'header' && input.signatureType !== 'query' && input.signatureType !== 'body') {
    throw new TypeError(`Unknown OAuth 1.0a signature type "${String(input.signatureType)}".`);
  }
  if (input.signatureType === 'body' && (method === 'GET' || method === 'HEAD')) {
    // RFC 5849 3.5.2: body placement needs a method whose body has meaning.
    throw new TypeError(`OAuth 1.0a body signing needs a form body; a ${method} request has none (use header or query).`);
  }
  if (input.realm !== undefined && !isQuotableRealm(input.realm)) {
    throw new TypeError('realm must be printable ASCII without quotes or backslashes.');
  }
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  if (!/^\d+$/.test(timestamp)) throw new TypeError('timestamp must be a whole number of seconds.');
  // Checked before any work: the package would sign anything it is not told otherwise
  // as PLAINTEXT.
  const hash = input.signatureMethod === 'PLAINTEXT' ? undefined : hashFunction(input.signatureMethod, input.rsaKey);

  const oauth: Array<readonly [string, string]> = [
    ['oauth_consumer_key', wellFormed(input.consumerKey)],
    ['oauth_signature_method', input.signatureMethod],
    ['oauth_timestamp', timestamp],
    // 128 bits from the CSPRNG (not the package's Math.random): a nonce must never
    // repeat for one timestamp, client and token (RFC 5849 3.3), and must not be
    // guessable.
    ['oauth_nonce', wellFormed(input.nonce ?? randomBytesFromPool(16).toString('hex'))],
  ];
  if (input.includeVersion !== false) oauth.push(['oauth_version', '1.0']);
  if (input.token !== undefined) oauth.push(['oauth_token', wellFormed(input.token)]);
  if (input.callback !== undefined) oauth.push(['oauth_callback', wellFormed(input.callback)]);
  if (input.verifier !== undefined) oauth.push(['oauth_verifier', wellFormed(input.verifier)]);
  for (const [name, value] of extraPairs(input.extraOAuthParams)) oauth.push([wellFormed(name), wellFormed(value)]);

  const body = input.form === undefined ? undefined : formPairs(input.form);
  let baseString: string | undefined;
  // A fresh package instance per request: it holds the consumer secret and the hash
  // function, and its methods write into the objects they are handed.
  const signer = new Rfc5849OAuth({
    consumer: { key: input.consumerKey, secret: wellFormed(input.consumerSecret ?? '') },
    signature_method: input.signatureMethod,
    ...(hash
      ? {
          hash_function: (base: string, key: string) => {
            baseString = base;
            return hash(base, key);
          },
        }
      : {}),
    ...(input.realm ? { realm: input.realm } : {}),
  });
  const tokenSecret = wellFormed(input.tokenSecret ?? '');
  let signature: string;
  if (hash === undefined) {
    // 3.4.4: the signing key is the signature (encoded client secret, "&", encoded
    // token secret), and there is no base string.
    signature = signer.getSigningKey(tokenSecret);
  } else {
    // 3.4.1.3.1: query parameters, form-body parameters and protocol parameters,
    // all decoded; where they were sent does not change the signature.
    const all = formParams(url.search);
    if (body) all.push(...body);
    all.push(...oauth);
    signature = signer.getSignature(packageRequest(method, url), tokenSecret, asOAuthData(paramTable(all)));
  }
  oauth.push(['oauth_signature', signature]);

  const headers: Record<string, string> = {};
  let form = body ? new URLSearchParams(body as Array<[string, string]>) : undefined;
  switch (input.signatureType) {
    case 'header': {
      // 3.5.1, the package's header: each name and value encoded, values in double
      // quotes, sorted by name. It leaves an empty realm out; one given is sent.
      const header = signer.toHeader(headerTable(oauth)).Authorization;
      headers.authorization = input.realm === '' ? `OAuth realm="", ${header.slice('OAuth '.length)}` : header;
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
  }
  const out: SignedRequest = { url: url.toString(), headers, oauthParams: oauth };
  if (form) out.form = form;
  if (baseString !== undefined) out.baseString = baseString;
  return out;
}
