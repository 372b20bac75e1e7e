import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { describe, expect, it } from 'vitest';
import {
  baseStringUri,
  parseFormEncoded,
  percentEncode,
  signatureBaseString,
  signRequest,
  type Param,
  type SignedRequest,
  type SignRequestInput,
} from '../../../../lib/clients/oauth1/oauth1-signature.js';
import * as reference from '../../../support/oauth1-reference-signer.js';

// The library's signer is the `oauth-1.0a` package wrapped; the hand-written signer in
// test/support/oauth1-reference-signer.ts is the oracle it is compared with.

/** The protocol parameters of a signed request, decoded from the header, query or body. */
function protocolParams(signed: SignedRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = signed.headers.authorization;
  if (header) for (const m of header.slice('OAuth '.length).matchAll(/(\w+)="([^"]*)"/g)) out.set(m[1]!, decodeURIComponent(m[2]!));
  for (const [k, v] of new URL(signed.url).searchParams) if (k.startsWith('oauth_')) out.set(k, v);
  for (const [k, v] of signed.form ?? []) if (k.startsWith('oauth_')) out.set(k, v);
  return out;
}

// ---- A second, deliberately plain implementation of RFC 5849 3.4.1, used as the oracle.

/** 3.6, byte by byte over UTF-8. */
function refEncode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /^[A-Za-z0-9._~-]$/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** application/x-www-form-urlencoded parsing, by hand. */
const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, ' '));
function refDecodeForm(s: string): Array<[string, string]> {
  return s
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? [dec(part), ''] : [dec(part.slice(0, eq)), dec(part.slice(eq + 1))];
    });
}

function refBaseString(method: string, baseUri: string, params: Array<[string, string]>): string {
  const pairs = params
    .filter(([n]) => n !== 'realm' && n !== 'oauth_signature')
    .map(([n, v]) => [refEncode(n), refEncode(v)])
    .sort((a, b) => Buffer.compare(Buffer.from(`${a[0]}\u0000${a[1]}`), Buffer.from(`${b[0]}\u0000${b[1]}`)));
  return [method, refEncode(baseUri), refEncode(pairs.map(([n, v]) => `${n}=${v}`).join('&'))].join('&');
}

const randomByte = () => randomBytes(1)[0]!;
const pick = <T>(list: readonly T[]): T => list[randomByte() % list.length]!;
const NAMES = ['a', 'b', 'B', 'a b', 'a+b', 'é', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'oauthy', 'x[]', ''];
const PIECES = ['a', 'Z', '0', ' ', '+', '%', '%20', '&', '=', '☃', '😀', '~', '*', '/', '?', '#', '"', "'", '\n', ''];
const randomValue = () => Array.from({ length: randomByte() % 7 }, () => pick(PIECES)).join('');
const randomParams = (): Array<[string, string]> => Array.from({ length: randomByte() % 7 }, () => [pick(NAMES), randomValue()]);

const creds = { consumerKey: 'ck', consumerSecret: 'c s&', token: 'tk', tokenSecret: 't/s', nonce: 'n0nce', timestamp: '1700000000' } as const;
const RSA_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const hmac = (key: string, base: string) => createHmac('sha1', key).update(base).digest('base64');
const KEY = 'c%20s%26&t%2Fs';
/** oauth-1.0a's hash_function shape: (base string, key). */
const hmacSha1 = (base: string, key: string) => hmac(key, base);

const sigOf = (url: string, form?: string) =>
  protocolParams(signRequest({ method: 'POST', url, ...(form === undefined ? {} : { form }), ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_signature');

describe('percent-encoding (RFC 5849 section 3.6)', () => {
  it('keeps exactly the unreserved ASCII characters and writes %XX upper-case for every other octet', () => {
    for (let code = 0; code < 128; code++) {
      const c = String.fromCharCode(code);
      const unreserved = /[A-Za-z0-9._~-]/.test(c);
      expect(percentEncode(c)).toBe(unreserved ? c : `%${code.toString(16).toUpperCase().padStart(2, '0')}`);
    }
    expect(percentEncode("Ladies + Gentlemen!*'()")).toBe('Ladies%20%2B%20Gentlemen%21%2A%27%28%29');
    expect(percentEncode('é☃😀')).toBe('%C3%A9%E2%98%83%F0%9F%98%80');
  });

  it('encodes a lone surrogate as U+FFFD instead of throwing', () => {
    expect(percentEncode('a\uD800b')).toBe('a%EF%BF%BDb');
    expect(percentEncode('\uDC00')).toBe('%EF%BF%BD');
  });
});

describe('base string URI (RFC 5849 section 3.4.1.2)', () => {
  it('lower-cases scheme and host, drops only the default port, keeps the path and drops query and fragment', () => {
    // The two examples of the section.
    expect(baseStringUri(new URL('HTTP://EXAMPLE.COM:80/r%20v/X?id=123'))).toBe('http://example.com/r%20v/X');
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe('https://www.example.net:8080/');
    expect(baseStringUri(new URL('https://Api.Example.NET:443/a/B#frag'))).toBe('https://api.example.net/a/B');
    // 443 is not http's default, nor 80 https's.
    expect(baseStringUri(new URL('http://example.com:443/'))).toBe('http://example.com:443/');
    expect(baseStringUri(new URL('https://example.com:80/'))).toBe('https://example.com:80/');
    expect(baseStringUri(new URL('http://example.com'))).toBe('http://example.com/');
    expect(baseStringUri(new URL('http://[::1]:8080/x'))).toBe('http://[::1]:8080/x');
  });

  it('gives the same signature with and without the default port, and a different one with another port', () => {
    const sig = (url: string) => protocolParams(signRequest({ method: 'GET', url, ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_signature');
    expect(sig('https://API.example.com:443/1/x?a=1')).toBe(sig('https://api.example.com/1/x?a=1'));
    expect(sig('HTTP://api.example.com:80/1/x?a=1')).toBe(sig('http://api.example.com/1/x?a=1'));
    expect(sig('https://api.example.com:8443/1/x?a=1')).not.toBe(sig('https://api.example.com/1/x?a=1'));
    const signed = signRequest({ method: 'get', url: 'https://API.example.com:443/1/x#frag', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' });
    expect(signed.baseString!.startsWith('GET&https%3A%2F%2Fapi.example.com%2F1%2Fx&')).toBe(true);
    expect(signed.url).toBe('https://api.example.com/1/x');
  });

  it('signs only http and https URLs', () => {
    expect(() => signRequest({ method: 'GET', url: 'ftp://example.com/x', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).toThrow(TypeError);
  });
});

describe('parameter normalisation (RFC 5849 section 3.4.1.3.2)', () => {
  it('sorts by encoded name, then encoded value, in byte order; keeps repeats; leaves out realm and oauth_signature', () => {
    const params: Param[] = [
      ['b', '2'],
      ['a', '2'],
      ['a', '10'],
      ['a', 'Z'],
      ['A', '1'],
      ['a b', 'x'],
      ['a', ' '],
      ['oauth_signature', 'x'],
      ['realm', 'y'],
    ];
    // '%' (0x25) sorts before digits, digits before upper case, upper before lower.
    const normalized = 'A=1&a=%20&a=10&a=2&a=Z&a%20b=x&b=2';
    expect(reference.normalizeParameters(params)).toBe(normalized);
    const url = new URL('https://a.example/x');
    expect(signatureBaseString('GET', url, params)).toBe(`GET&https%3A%2F%2Fa.example%2Fx&${percentEncode(normalized)}`);
    expect(signatureBaseString('GET', url, params)).toBe(reference.signatureBaseString('GET', url, params));
  });

  it('encodes a custom method, and upper-cases any', () => {
    const url = new URL('https://a.example/x');
    expect(signatureBaseString('m-search', url, [])).toBe('M-SEARCH&https%3A%2F%2Fa.example%2Fx&');
    expect(signatureBaseString("x!#$%&'*+.^_`|~", url, [['a', '1']])).toBe(reference.signatureBaseString("x!#$%&'*+.^_`|~", url, [['a', '1']]));
    expect(signatureBaseString("x!#$%&'*+.^_`|~", url, [])).toBe('X%21%23%24%25%26%27%2A%2B.%5E_%60%7C~&https%3A%2F%2Fa.example%2Fx&');
  });
});

describe('signRequest', () => {
  it('matches a plain second implementation, whatever goes in query or body (300 random sets)', () => {
    for (let round = 0; round < 300; round++) {
      const params = randomParams();
      const split = randomByte() % (params.length + 1);
      const query = new URLSearchParams(params.slice(0, split)).toString();
      const body = new URLSearchParams(params.slice(split)).toString();
      const type = pick(['header', 'query', 'body'] as const);
      const signed = signRequest({
        method: 'POST',
        url: `https://Api.Example.com:443/1.1/x y/z${query ? `?${query}` : ''}`,
        form: body,
        ...creds,
        signatureMethod: 'HMAC-SHA1',
        signatureType: type,
      });
      const oauth: Array<[string, string]> = [
        ['oauth_consumer_key', 'ck'],
        ['oauth_nonce', 'n0nce'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '1700000000'],
        ['oauth_token', 'tk'],
        ['oauth_version', '1.0'],
      ];
      const expected = refBaseString('POST', 'https://api.example.com/1.1/x%20y/z', [...refDecodeForm(query), ...refDecodeForm(body), ...oauth]);
      const context = JSON.stringify({ params, split, type });
      expect(signed.baseString, context).toBe(expected);
      expect(protocolParams(signed).get('oauth_signature'), context).toBe(hmac(KEY, expected));
    }
  });

  it('gives one signature for the parameters in the query, in the body, or split between them (300 random sets)', () => {
    for (let round = 0; round < 300; round++) {
      const params = randomParams();
      const split = randomByte() % (params.length + 1);
      const sign = (query: Array<[string, string]>, body: Array<[string, string]> | undefined) => {
        const q = new URLSearchParams(query).toString();
        return protocolParams(
          signRequest({
            method: 'POST',
            url: `https://api.example.com/x${q ? `?${q}` : ''}`,
            ...(body ? { form: body } : {}),
            ...creds,
            signatureMethod: 'HMAC-SHA1',
            signatureType: 'header',
          }),
        ).get('oauth_signature');
      };
      const inQuery = sign(params, undefined);
      expect(sign([], params), JSON.stringify(params)).toBe(inQuery);
      expect(sign(params.slice(0, split), params.slice(split)), JSON.stringify(params)).toBe(inQuery);
    }
  });

  it('reads + as a space in query and body, and %2B as a plus', () => {
    const space = sigOf('https://a.example/x?q=a%20b');
    expect(sigOf('https://a.example/x?q=a+b')).toBe(space);
    expect(sigOf('https://a.example/x', 'q=a+b')).toBe(space);
    expect(sigOf('https://a.example/x', 'q=a%20b')).toBe(space);
    const plus = sigOf('https://a.example/x?q=a%2Bb');
    expect(plus).not.toBe(space);
    expect(sigOf('https://a.example/x', 'q=a%2Bb')).toBe(plus);
    expect(plus).toBe(hmac(KEY, refBaseString('POST', 'https://a.example/x', [['q', 'a+b'], ...Object.entries({ oauth_consumer_key: 'ck', oauth_nonce: 'n0nce', oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: '1700000000', oauth_token: 'tk', oauth_version: '1.0' })])));
  });

  it('gives one signature in every placement, and puts the protocol parameters where asked', () => {
    const input = { method: 'POST', url: 'https://a.example/x?y=1', form: { status: 'hi there' }, ...creds, signatureMethod: 'HMAC-SHA1' } as const;
    const header = signRequest({ ...input, signatureType: 'header' });
    const query = signRequest({ ...input, signatureType: 'query' });
    const body = signRequest({ ...input, signatureType: 'body' });
    const signature = protocolParams(header).get('oauth_signature');
    expect(signature).toBeDefined();

    expect(header.headers).toEqual({ authorization: expect.stringMatching(/^OAuth oauth_consumer_key="ck", /) as unknown });
    expect(header.url).toBe('https://a.example/x?y=1');
    expect(header.form?.toString()).toBe('status=hi+there');

    expect(query.headers).toEqual({});
    expect(new URL(query.url).searchParams.get('oauth_signature')).toBe(signature);
    expect(query.form?.toString()).toBe('status=hi+there');

    expect(body.headers).toEqual({});
    expect(body.url).toBe('https://a.example/x?y=1');
    expect(body.form?.get('oauth_signature')).toBe(signature);
    expect(body.form?.get('status')).toBe('hi there');
    expect(body.oauthParams.map(([n]) => n)).toEqual([
      'oauth_consumer_key',
      'oauth_signature_method',
      'oauth_timestamp',
      'oauth_nonce',
      'oauth_version',
      'oauth_token',
      'oauth_signature',
    ]);
  });

  it('appends query parameters after the query as given, byte for byte', () => {
    const signed = signRequest({ method: 'GET', url: 'https://a.example/x?b=%7e&a=1+2&c', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'query' });
    expect(signed.url.startsWith('https://a.example/x?b=%7e&a=1+2&c&oauth_consumer_key=ck&oauth_signature_method=HMAC-SHA1&')).toBe(true);
    expect(signed.url).toMatch(/&oauth_signature=[A-Za-z0-9%]+$/);
    expect(new URL(signed.url).searchParams.get('oauth_signature')).toBe(protocolParams(signRequest({ ...creds, method: 'GET', url: 'https://a.example/x?b=%7e&a=1+2&c', signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_signature'));
  });

  it('creates a body for body placement when none was given, and refuses it on GET and HEAD', () => {
    const signed = signRequest({ method: 'POST', url: 'https://a.example/x', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'body' });
    expect(signed.form?.get('oauth_consumer_key')).toBe('ck');
    for (const method of ['GET', 'head']) {
      expect(() => signRequest({ method, url: 'https://a.example/x', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'body' })).toThrow(TypeError);
    }
  });

  it('sends callback, verifier, extra protocol parameters and realm, signing all but realm', () => {
    const signed = signRequest({
      method: 'POST',
      url: 'https://a.example/initiate',
      ...creds,
      callback: 'https://app.example/cb?x=1',
      verifier: 'v',
      extraOAuthParams: { oauth_body_hash: '2jmj7l5rSw0yVb/vlWAYkK/YBwk=' },
      realm: 'Photos',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
    });
    expect(signed.headers.authorization).toMatch(/^OAuth realm="Photos", /);
    expect(signed.headers.authorization).toContain('oauth_callback="https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1"');
    expect(signed.headers.authorization).toContain('oauth_body_hash="2jmj7l5rSw0yVb%2FvlWAYkK%2FYBwk%3D"');
    expect(signed.baseString).toContain(
      'oauth_body_hash%3D2jmj7l5rSw0yVb%252FvlWAYkK%252FYBwk%253D%26oauth_callback%3Dhttps%253A%252F%252Fapp.example%252Fcb%253Fx%253D1%26',
    );
    expect(signed.baseString).toContain('%26oauth_verifier%3Dv%26');
    expect(signed.baseString).not.toContain('realm');
  });

  it('refuses extra parameters that are not protocol parameters or that it sets itself, and a realm that would break the header', () => {
    const base = { method: 'GET', url: 'https://a.example/x', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' } as const;
    expect(() => signRequest({ ...base, extraOAuthParams: { status: 'x' } })).toThrow(TypeError);
    expect(() => signRequest({ ...base, extraOAuthParams: [['oauth_nonce', 'x']] })).toThrow(TypeError);
    expect(() => signRequest({ ...base, realm: 'a", oauth_token="evil' })).toThrow(TypeError);
    expect(() => signRequest({ ...base, method: 'GET /x' })).toThrow(TypeError);
    expect(() => signRequest({ ...base, timestamp: '12.5' })).toThrow(TypeError);
  });

  it('leaves oauth_version out on request', () => {
    const signed = signRequest({ method: 'GET', url: 'https://a.example/x', ...creds, includeVersion: false, signatureMethod: 'HMAC-SHA1', signatureType: 'header' });
    expect(protocolParams(signed).has('oauth_version')).toBe(false);
    expect(signed.baseString).not.toContain('oauth_version');
  });

  it('modifies nothing it was given, in any method and placement (inputs frozen, and unchanged after)', () => {
    const url = new URL('https://a.example/x?y=1&y=2&q=a+b#f');
    const params = new URLSearchParams([
      ['status', 'hi'],
      ['status', 'again'],
    ]);
    const pairs = Object.freeze([Object.freeze(['a', '1'] as const), Object.freeze(['a', '2'] as const)]);
    const record = Object.freeze(JSON.parse('{"__proto__":"p","b":"2"}') as Record<string, string>);
    const extra = Object.freeze({ oauth_body_hash: 'h' });
    const extraPairs = Object.freeze([Object.freeze(['oauth_session_handle', 's'] as const)]);
    const snapshot = () => JSON.stringify([url.href, params.toString(), pairs, Object.entries(record), Object.getPrototypeOf(record) === Object.prototype, extra, extraPairs]);
    const before = snapshot();
    for (const signatureMethod of ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] as const) {
      for (const signatureType of ['header', 'query', 'body'] as const) {
        for (const form of [params, pairs, record, 'c=3&c=4']) {
          for (const extraOAuthParams of [extra, extraPairs]) {
            const input = Object.freeze({ method: 'POST', url, form, ...creds, rsaKey: RSA_KEY, realm: 'R', extraOAuthParams, signatureMethod, signatureType });
            const keys = JSON.stringify(Object.keys(input));
            const signed = signRequest(input);
            expect(JSON.stringify(Object.keys(input))).toBe(keys);
            expect(signed.form).not.toBe(params);
            signed.form!.append('later', 'x');
          }
        }
      }
    }
    expect(snapshot()).toBe(before);
  });

  it('keeps __proto__ and constructor as ordinary parameter names', () => {
    const record = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
    const sig = (input: Pick<SignRequestInput, 'url' | 'form'>) =>
      protocolParams(signRequest({ method: 'POST', ...input, ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_signature');
    const fromRecord = sig({ url: 'https://a.example/x', form: record });
    expect(sig({ url: 'https://a.example/x?__proto__=p&constructor=c' })).toBe(fromRecord);
    expect(sig({ url: 'https://a.example/x', form: '__proto__=p&constructor=c' })).toBe(fromRecord);
    expect(fromRecord).toBe(
      hmac(
        KEY,
        refBaseString('POST', 'https://a.example/x', [
          ['__proto__', 'p'],
          ['constructor', 'c'],
          ['oauth_consumer_key', 'ck'],
          ['oauth_nonce', 'n0nce'],
          ['oauth_signature_method', 'HMAC-SHA1'],
          ['oauth_timestamp', '1700000000'],
          ['oauth_token', 'tk'],
          ['oauth_version', '1.0'],
        ]),
      ),
    );
    const signed = signRequest({ method: 'POST', url: 'https://a.example/x', form: record, ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'body' });
    expect(signed.form?.get('__proto__')).toBe('p');
    expect(Object.getPrototypeOf(signed.headers)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).p).toBeUndefined();
    expect(Object.prototype.constructor).toBe(Object);
  });

  it('draws a fresh 128-bit CSPRNG nonce and a timestamp in seconds for every request', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = protocolParams(signRequest({ method: 'GET', url: 'https://a.example/', consumerKey: 'k', consumerSecret: 's', signatureMethod: 'HMAC-SHA1', signatureType: 'header' }));
      const nonce = p.get('oauth_nonce')!;
      expect(nonce).toMatch(/^[0-9a-f]{32}$/);
      nonces.add(nonce);
      expect(p.get('oauth_timestamp')).toMatch(/^\d{10}$/);
      expect(Math.abs(Number(p.get('oauth_timestamp')) - Date.now() / 1000)).toBeLessThan(5);
    }
    expect(nonces.size).toBe(2000);
  });
});

describe('parseFormEncoded', () => {
  it('decodes a provider answer into a Map: + is a space, the last of repeated names wins, no prototype keys', () => {
    const parsed = parseFormEncoded('  oauth_token=a%2Bb&oauth_token_secret=c+d&oauth_callback_confirmed=True&__proto__=x&constructor=y&oauth_token=last\n');
    expect([...parsed]).toEqual([
      ['oauth_token', 'last'],
      ['oauth_token_secret', 'c d'],
      ['oauth_callback_confirmed', 'True'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(parseFormEncoded('').size).toBe(0);
  });
});

/** The Authorization header as realm, then the other parameters sorted (3.5.1 fixes no order). */
function headerParts(header: string | undefined) {
  if (header === undefined) return undefined;
  const parts = header.slice('OAuth '.length).split(', ');
  const realm = parts[0]!.startsWith('realm=') ? parts.shift() : undefined;
  return { realm, params: parts.sort() };
}

/** Signs with the library and with the oracle; everything sent must be the same. */
function expectSameAsReference(input: SignRequestInput, context: string): SignedRequest {
  const signed = signRequest(input);
  const expected = reference.signRequest(input);
  expect(signed.baseString, context).toBe(expected.baseString);
  expect(signed.oauthParams, context).toEqual(expected.oauthParams);
  expect(signed.url, context).toBe(expected.url);
  expect(signed.form?.toString(), context).toBe(expected.form?.toString());
  expect(Object.keys(signed.headers), context).toEqual(Object.keys(expected.headers));
  expect(headerParts(signed.headers.authorization), context).toEqual(headerParts(expected.headers.authorization));
  return signed;
}

describe('the wrapped oauth-1.0a against the reference signer (the oracle)', () => {
  const URLS = ['https://Api.Example.com:443/1.1/x y/z', 'HTTP://example.COM:80/', 'http://[::1]:8080/a%2Fb/', 'https://a.example:8443/~x/%7e;p', 'http://a.example/?'];
  const SECRETS = ['', 's', 'c s&', 't/s', '☃+%', "!*'()"];
  const METHODS = ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] as const;
  const TYPES = ['header', 'query', 'body'] as const;

  it('sends the same thing for 200 random parameter sets, in every method and placement', () => {
    const seen = new Set<string>();
    for (let round = 0; round < 200; round++) {
      const params = randomParams();
      const split = randomByte() % (params.length + 1);
      const query = new URLSearchParams(params.slice(0, split)).toString();
      const body = params.slice(split);
      const signatureMethod = METHODS[round % METHODS.length]!;
      const signatureType = TYPES[Math.floor(round / METHODS.length) % TYPES.length]!;
      seen.add(`${signatureMethod} ${signatureType}`);
      const input: SignRequestInput = {
        method: signatureType === 'body' ? pick(['POST', 'put', 'PATCH']) : pick(['GET', 'post', 'DELETE', 'x-Custom+1']),
        url: `${pick(URLS)}${query ? `?${query}` : ''}${pick(['', '#frag'])}`,
        ...(body.length > 0 || signatureType === 'body' || randomByte() % 2 ? { form: pick([body, new URLSearchParams(body).toString(), new URLSearchParams(body)]) } : {}),
        consumerKey: pick(['ck', 'c k', '☃']),
        consumerSecret: pick(SECRETS),
        tokenSecret: pick(SECRETS),
        ...(randomByte() % 2 ? { token: pick(['tk', 't+k', 'a=b']) } : {}),
        ...(randomByte() % 3 === 0 ? { callback: 'https://app.example/cb?x=1&y=a+b' } : {}),
        ...(randomByte() % 3 === 0 ? { verifier: randomValue() } : {}),
        ...(randomByte() % 3 === 0 ? { extraOAuthParams: [['oauth_body_hash', randomValue()]] as const } : {}),
        ...(randomByte() % 3 === 0 ? { realm: pick(['', 'Photos', 'a, b=c']) } : {}),
        includeVersion: randomByte() % 4 !== 0,
        rsaKey: RSA_KEY,
        signatureMethod,
        signatureType,
        nonce: pick(['n0nce', randomValue()]),
        timestamp: pick(['1700000000', 137131201, '0']),
      };
      expectSameAsReference(input, JSON.stringify({ ...input, rsaKey: undefined, form: String(input.form) }));
    }
    expect(seen.size).toBe(METHODS.length * TYPES.length);
  });

  it('keeps repeated names, in the query, in the body and across both, sorted by value', () => {
    const input = { method: 'POST', url: 'https://a.example/x?a=2&a=1&b=x', form: [['a', '1'], ['a', '10'], ['b', 'x']] as const, ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' } as const;
    const signed = expectSameAsReference(input, 'repeats');
    expect(signed.baseString).toContain(percentEncode('a=1&a=1&a=10&a=2&b=x&b=x&oauth_consumer_key=ck'));
    // Dropping one repeat changes the signature.
    const fewer = signRequest({ ...input, form: [['a', '1'], ['b', 'x']] });
    expect(protocolParams(fewer).get('oauth_signature')).not.toBe(protocolParams(signed).get('oauth_signature'));
  });

  it('reads + as a space and %2B as a plus, and keeps = inside a value', () => {
    for (const [url, form] of [
      ['https://a.example/x?q=a+b&r=%2B', 'q=a+b&s=1+%2B+1'],
      ['https://a.example/x?v=a=b=c&w==', 'x=%3D=%3D'],
      ['https://a.example/x?%2B+=+%2B', undefined],
    ] as const) {
      expectSameAsReference({ method: 'POST', url, ...(form ? { form } : {}), ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'query' }, url);
    }
    const signed = signRequest({ method: 'GET', url: 'https://a.example/x?q=a+b&r=%2B&v=a=b=c', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' });
    expect(signed.baseString).toContain(percentEncode('q=a%20b&r=%2B&v=a%3Db%3Dc'));
  });

  it('encodes lone surrogates as U+FFFD, like the oracle, instead of throwing', () => {
    for (const signatureType of ['header', 'query', 'body'] as const) {
      const input = { method: 'POST', url: 'https://a.example/x', form: [['a\uD800', '\uDC00b']] as const, ...creds, consumerSecret: 'x\uD800', token: '\uDFFF', signatureMethod: 'HMAC-SHA1', signatureType } as const;
      const signed = signRequest(input);
      const expected = reference.signRequest(input);
      expect(signed.baseString).toBe(expected.baseString);
      expect(signed.baseString).toContain('%25EF%25BF%25BD');
      expect(signed.url).toBe(expected.url);
      expect(signed.form?.toString()).toBe(expected.form?.toString());
      expect(headerParts(signed.headers.authorization)).toEqual(headerParts(expected.headers.authorization));
      // What is sent: the oracle reports the token as given, the wrapper as sent.
      expect(signed.oauthParams.find(([n]) => n === 'oauth_token')).toEqual(['oauth_token', '\uFFFD']);
    }
  });
});

describe('oauth-1.0a on its own (what the wrapper does around it)', () => {
  const consumer = { key: 'ck', secret: 'cs' };

  it('reads the URL query wrongly: splits on every =, leaves + as a plus, and writes the query into the caller\'s data', () => {
    const oauth = new OAuth({ consumer, signature_method: 'HMAC-SHA1', hash_function: hmacSha1 });
    const data: Record<string, string> = { status: 'hi' };
    const request = { method: 'GET', url: 'https://a.example/x?v=a=b&q=a+b', data };
    const oauthData = { oauth_consumer_key: 'ck', oauth_nonce: 'n', oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: 1, oauth_version: '1.0' };
    const base = oauth.getBaseString(request, oauthData);
    expect(base).toContain(percentEncode('q=a%2Bb')); // RFC 5849 3.4.1.3.1: q=a%20b
    expect(base).toMatch(/%26v%3Da$/); // RFC 5849 3.4.1.3.1: v=a%3Db
    expect(data).toEqual({ status: 'hi', v: 'a', q: 'a+b' });
    expect(oauthData).toHaveProperty('status', 'hi');
  });

  it('does not normalise the URL, signs PLAINTEXT by default and draws its nonce from Math.random', () => {
    const oauth = new OAuth({ consumer });
    const request = { method: 'GET', url: 'HTTPS://A.example:443/x' };
    expect(oauth.authorize(request).oauth_signature_method).toBe('PLAINTEXT');
    expect(oauth.getBaseString(request, { oauth_consumer_key: 'ck', oauth_nonce: 'n', oauth_signature_method: 'PLAINTEXT', oauth_timestamp: 1, oauth_version: '1.0' })).toMatch(
      /^GET&HTTPS%3A%2F%2FA.example%3A443%2Fx&/,
    );
    const random = Math.random;
    Math.random = () => 0;
    try {
      expect(oauth.getNonce()).toBe('a'.repeat(32));
    } finally {
      Math.random = random;
    }
    // The wrapper's nonce does not come from Math.random.
    Math.random = () => 0;
    try {
      const n1 = protocolParams(signRequest({ method: 'GET', url: 'https://a.example/', ...creds, nonce: undefined, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_nonce');
      const n2 = protocolParams(signRequest({ method: 'GET', url: 'https://a.example/', ...creds, nonce: undefined, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get('oauth_nonce');
      expect(n1).not.toBe(n2);
    } finally {
      Math.random = random;
    }
  });

  it('loses a parameter named __proto__ when it builds the parameter string', () => {
    const oauth = new OAuth({ consumer, signature_method: 'HMAC-SHA1', hash_function: hmacSha1 });
    const data = JSON.parse('{"__proto__":"p","a":"1"}') as Record<string, string>;
    expect(oauth.getParameterString({ method: 'POST', url: 'https://a.example/x', data }, { oauth_consumer_key: 'ck', oauth_nonce: 'n', oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: 1, oauth_version: '1.0' })).not.toContain(
      '__proto__',
    );
  });
});
