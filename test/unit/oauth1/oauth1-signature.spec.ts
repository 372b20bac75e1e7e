import { createHmac, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  baseStringUri,
  normalizeParameters,
  percentEncode,
  signRequest,
  signatureBaseString,
  type Param,
} from '../../../lib/clients/oauth1/oauth1-signature.js';

/** The OAuth parameters of a signed request, decoded from wherever they were put. */
function oauthParamsOf(signed: { url: string; headers: Record<string, string>; form?: URLSearchParams }): Map<string, string> {
  const out = new Map<string, string>();
  const header = signed.headers.authorization;
  if (header) {
    for (const m of header.slice('OAuth '.length).matchAll(/([\w]+)="([^"]*)"/g)) out.set(m[1]!, decodeURIComponent(m[2]!));
  }
  for (const [k, v] of new URL(signed.url).searchParams) if (k.startsWith('oauth_')) out.set(k, v);
  for (const [k, v] of signed.form ?? []) if (k.startsWith('oauth_')) out.set(k, v);
  return out;
}

describe('RFC 5849 section 3.4.1.1 example', () => {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body "c2&a3=2+q", copied from the RFC.
  const expected =
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7';
  const oauth: Param[] = [
    ['realm', 'Example'],
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
    ['oauth_signature', 'bYT5CMsGcbgUdFHObYMEfcx6bsw='],
  ];

  it('builds the base string byte for byte', () => {
    const url = new URL('http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b');
    const query = [...url.searchParams];
    const body = [...new URLSearchParams('c2&a3=2+q')];
    expect(signatureBaseString('post', url, [...query, ...body, ...oauth])).toBe(expected);
  });

  it('signs it with HMAC-SHA1 under the secrets of RFC 5849 section 3.1', () => {
    const signed = signRequest({
      method: 'POST',
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      form: new URLSearchParams('c2&a3=2+q'),
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      token: 'kkk9d7dh3k39sjv7',
      tokenSecret: 'dh893hdasih9',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
      realm: 'Example',
      nonce: '7d8f3e4a',
      timestamp: '137131201',
    });
    // signRequest adds oauth_version=1.0 (sorted last), which the RFC example omits; the
    // key per 3.4.2 is the encoded client secret, "&", the encoded token secret.
    const withVersion = `${expected}%26oauth_version%3D1.0`;
    expect(oauthParamsOf(signed).get('oauth_signature')).toBe(createHmac('sha1', 'j49sk3j29djd&dh893hdasih9').update(withVersion).digest('base64'));
    expect(signed.headers.authorization).toMatch(/^OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", /);
  });
});

describe('published signatures', () => {
  it('OAuth 1.0 appendix A.5 (photos.example.net): tR3+Ty81lMeYAr/Fid0kMTYa/WM=', () => {
    const signed = signRequest({
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: 'kd94hf93k423kf44',
      token: 'nnch734d00sl2jdk',
      tokenSecret: 'pfkkdhi9sl3r4s00',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
      nonce: 'kllo9940pd9333jh',
      timestamp: '1191242096',
    });
    expect(oauthParamsOf(signed).get('oauth_signature')).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
    expect(signed.url).toBe('http://photos.example.net/photos?file=vacation.jpg&size=original');
  });

  // X's docs print tnnArxj06cWHq44gCs1OSKk/jLY= in the header, a known non-reproducible
  // value; their documented base string and key give hCtSmYh+iHYCEqBWrE7C7hYmtUk=.
  it("X's documentation example (statuses/update with a form body): hCtSmYh+iHYCEqBWrE7C7hYmtUk=", () => {
    const signed = signRequest({
      method: 'POST',
      url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
      form: new URLSearchParams({ status: 'Hello Ladies + Gentlemen, a signed OAuth request!' }),
      consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
      consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
      token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
      tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
      nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
      timestamp: '1318622958',
    });
    expect(oauthParamsOf(signed).get('oauth_signature')).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('PLAINTEXT is the encoded secrets joined by "&" (OAuth 1.0 appendix A.2, RFC 5849 3.4.4)', () => {
    const base = { method: 'POST', url: 'https://photos.example.net/request_token', consumerKey: 'dpf43f3p2l4k3l03', signatureType: 'header' as const };
    expect(oauthParamsOf(signRequest({ ...base, consumerSecret: 'kd94hf93k423kf44', signatureMethod: 'PLAINTEXT' })).get('oauth_signature')).toBe(
      'kd94hf93k423kf44&',
    );
    expect(
      oauthParamsOf(signRequest({ ...base, consumerSecret: 'j49sk3j29djd', tokenSecret: 'dh893hdasih9', token: 't', signatureMethod: 'PLAINTEXT' })).get(
        'oauth_signature',
      ),
    ).toBe('j49sk3j29djd&dh893hdasih9');
    expect(oauthParamsOf(signRequest({ ...base, consumerSecret: 'a&b c', signatureMethod: 'PLAINTEXT' })).get('oauth_signature')).toBe('a%26b%20c&');
  });

  it('RSA-SHA1 verifies with the public key over the base string', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signed = signRequest({
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: '',
      rsaKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token: 'nnch734d00sl2jdk',
      signatureMethod: 'RSA-SHA1',
      signatureType: 'header',
      nonce: 'kllo9940pd9333jh',
      timestamp: '1191242096',
    });
    const base =
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal';
    const signature = Buffer.from(oauthParamsOf(signed).get('oauth_signature')!, 'base64');
    expect(verify('RSA-SHA1', Buffer.from(base), publicKey, signature)).toBe(true);
    expect(verify('RSA-SHA1', Buffer.from(base.replace('vacation', 'holiday')), publicKey, signature)).toBe(false);
  });

  it('HMAC-SHA256 uses the same key and base string with SHA-256', () => {
    const signed = signRequest({
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: 'kd94hf93k423kf44',
      token: 'nnch734d00sl2jdk',
      tokenSecret: 'pfkkdhi9sl3r4s00',
      signatureMethod: 'HMAC-SHA256',
      signatureType: 'header',
      nonce: 'kllo9940pd9333jh',
      timestamp: '1191242096',
    });
    const base =
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal';
    expect(oauthParamsOf(signed).get('oauth_signature')).toBe(createHmac('sha256', 'kd94hf93k423kf44&pfkkdhi9sl3r4s00').update(base).digest('base64'));
  });
});

describe('base string rules', () => {
  it('lower-cases scheme and host, drops default ports, keeps other ports and the path', () => {
    expect(baseStringUri(new URL('HTTP://EXAMPLE.COM:80/r%20v/X?id=123'))).toBe('http://example.com/r%20v/X');
    expect(baseStringUri(new URL('https://www.example.net:443/'))).toBe('https://www.example.net/');
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe('https://www.example.net:8080/');
    expect(baseStringUri(new URL('http://example.com'))).toBe('http://example.com/');
  });

  it('percent-encodes per RFC 3986 (unreserved kept, everything else %XX upper-case)', () => {
    expect(percentEncode("Ladies + Gentlemen!*'()~._-")).toBe('Ladies%20%2B%20Gentlemen%21%2A%27%28%29~._-');
    expect(percentEncode('☃')).toBe('%E2%98%83');
  });

  it('sorts by encoded name then encoded value, repeated names kept', () => {
    expect(
      normalizeParameters([
        ['b', '2'],
        ['a', '2'],
        ['a', '10'],
        ['a', 'Z'],
        ['A', '1'],
        ['oauth_signature', 'x'],
        ['realm', 'y'],
      ]),
    ).toBe('A=1&a=10&a=2&a=Z&b=2');
  });
});

describe('signRequest', () => {
  const creds = { consumerKey: 'ck', consumerSecret: 'cs', token: 'tk', tokenSecret: 'ts', nonce: 'n', timestamp: '1' };

  const randomValue = (): string => {
    const alphabet = ['a', 'Z', '0', ' ', '+', '%', '&', '=', '☃', '~', '*', '/', '?', '#'];
    const n = randomBytes(1)[0]! % 8;
    return Array.from({ length: n }, () => alphabet[randomBytes(1)[0]! % alphabet.length]).join('');
  };
  const randomName = (): string => ['a', 'b', 'c', '__proto__', 'constructor', 'toString', 'x y', 'oauthy'][randomBytes(1)[0]! % 8]!;

  it('gives the same signature whether parameters sit in the query, the body or both (200 random sets)', () => {
    for (let round = 0; round < 200; round++) {
      const params: Param[] = Array.from({ length: 1 + (randomBytes(1)[0]! % 6) }, () => [randomName(), randomValue()] as const);
      const all = new URLSearchParams(params as Array<[string, string]>);
      const split = randomBytes(1)[0]! % (params.length + 1);
      const inQuery = new URLSearchParams(params.slice(0, split) as Array<[string, string]>);
      const inBody = new URLSearchParams(params.slice(split) as Array<[string, string]>);
      const sig = (url: string, form?: URLSearchParams) =>
        oauthParamsOf(signRequest({ method: 'POST', url, ...(form ? { form } : {}), ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get(
          'oauth_signature',
        );
      const base = 'https://api.example.com/1/x';
      const a = sig(`${base}?${all.toString()}`);
      const b = sig(base, all);
      const c = sig(`${base}?${inQuery.toString()}`, inBody);
      expect(b, JSON.stringify(params)).toBe(a);
      expect(c, JSON.stringify(params)).toBe(a);
    }
  });

  it('reads + in a form body and in the query as a space', () => {
    const sig = (url: string, form?: URLSearchParams) =>
      oauthParamsOf(signRequest({ method: 'POST', url, ...(form ? { form } : {}), ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'header' })).get(
        'oauth_signature',
      );
    expect(sig('https://a.example/x', new URLSearchParams('q=a+b'))).toBe(sig('https://a.example/x?q=a%20b'));
  });

  it('puts the OAuth parameters where signatureType says, and modifies nothing it was given', () => {
    const form = new URLSearchParams({ status: 'hi' });
    const input = { method: 'POST', url: 'https://a.example/x?y=1', form, ...creds, signatureMethod: 'HMAC-SHA1' as const };
    const frozen = JSON.stringify({ ...input, form: form.toString() });
    const header = signRequest({ ...input, signatureType: 'header' });
    expect(header.headers.authorization).toMatch(/^OAuth oauth_consumer_key="ck", /);
    expect(header.url).toBe('https://a.example/x?y=1');
    expect(header.form?.toString()).toBe('status=hi');
    const query = signRequest({ ...input, signatureType: 'query' });
    expect(new URL(query.url).searchParams.get('oauth_signature')).toBe(oauthParamsOf(header).get('oauth_signature'));
    expect(query.headers.authorization).toBeUndefined();
    const body = signRequest({ ...input, signatureType: 'body' });
    expect(body.form?.get('oauth_signature')).toBe(oauthParamsOf(header).get('oauth_signature'));
    expect(body.form?.get('status')).toBe('hi');
    expect(JSON.stringify({ ...input, form: form.toString() })).toBe(frozen);
  });

  it('draws a fresh CSPRNG nonce and a seconds timestamp each time', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const p = oauthParamsOf(signRequest({ method: 'GET', url: 'https://a.example/', consumerKey: 'k', consumerSecret: 's', signatureMethod: 'HMAC-SHA1', signatureType: 'header' }));
      nonces.add(p.get('oauth_nonce')!);
      expect(Math.abs(Number(p.get('oauth_timestamp')) - Date.now() / 1000)).toBeLessThan(5);
    }
    expect(nonces.size).toBe(1000);
  });

  it('keeps __proto__ and constructor parameters as data', () => {
    const signed = signRequest({ method: 'GET', url: 'https://a.example/x?__proto__=1&constructor=2', ...creds, signatureMethod: 'HMAC-SHA1', signatureType: 'query' });
    expect(new URL(signed.url).searchParams.get('__proto__')).toBe('1');
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    expect(Object.prototype).not.toHaveProperty('1');
  });
});
