import { createHmac, createPrivateKey, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as wrapped from '../../../../lib/clients/oauth1/oauth1-signature.js';
import type { SignedRequest } from '../../../../lib/clients/oauth1/oauth1-signature.js';
import * as reference from '../../../support/oauth1-reference-signer.js';

// Published vectors. Every expected value below is copied from its publication (or,
// where the publication is known to be wrong, recomputed here with node:crypto from
// the base string spelled out in the publication), never from the code under test.
// Each vector goes through the library's signer (oauth-1.0a, wrapped) and through the
// hand-written reference signer the tests use as their oracle: both must give it.

const SIGNERS = [
  ['oauth-1.0a, wrapped (lib)', wrapped],
  ['reference signer (test oracle)', reference],
] as const;

/** The protocol parameters of a signed request, decoded from the header, query or body. */
function protocolParams(signed: SignedRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = signed.headers.authorization;
  if (header) for (const m of header.slice('OAuth '.length).matchAll(/(\w+)="([^"]*)"/g)) out.set(m[1]!, decodeURIComponent(m[2]!));
  for (const [k, v] of new URL(signed.url).searchParams) if (k.startsWith('oauth_')) out.set(k, v);
  for (const [k, v] of signed.form ?? []) if (k.startsWith('oauth_')) out.set(k, v);
  return out;
}

/** An Authorization header as its realm and its other parameters sorted by name. */
function headerParts(header: string): { realm: string | undefined; params: string[] } {
  const parts = header.slice('OAuth '.length).split(', ');
  const realm = parts[0]!.startsWith('realm=') ? parts.shift() : undefined;
  return { realm, params: parts.sort() };
}

describe.each(SIGNERS)('%s', (_name, signer) => {
  describe('RFC 5849 section 3.4.1.1 (the example request of section 3.1)', () => {
    // Spelled out in section 3.4.1.1 (line breaks removed).
    const RFC_BASE_STRING =
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
      '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
      'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
      'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
      '9d7dh3k39sjv7';
    const request = {
      method: 'POST',
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      form: 'c2&a3=2+q',
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      token: 'kkk9d7dh3k39sjv7',
      tokenSecret: 'dh893hdasih9',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
      realm: 'Example',
      nonce: '7d8f3e4a',
      timestamp: '137131201',
      includeVersion: false, // the RFC's request carries no oauth_version
    } as const;

    it('builds the base string byte for byte', () => {
      expect(signer.signRequest(request).baseString).toBe(RFC_BASE_STRING);
      // The lower-level function, fed the RFC's parameter table (realm and oauth_signature are excluded).
      const url = new URL(request.url);
      const params = [
        ...url.searchParams,
        ...new URLSearchParams(request.form),
        ['realm', 'Example'],
        ['oauth_consumer_key', '9djdj82h48djs9d2'],
        ['oauth_token', 'kkk9d7dh3k39sjv7'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131201'],
        ['oauth_nonce', '7d8f3e4a'],
        ['oauth_signature', 'bYT5CMsGcbgUdFHObYMEfcx6bsw='],
      ] as Array<[string, string]>;
      expect(signer.signatureBaseString('post', url, params)).toBe(RFC_BASE_STRING);
    });

    it('signs it with the section 3.1 secrets: r6/TJjbCOr97/+UU0NsvSne7s5g= (erratum 2550)', () => {
      // The RFC prints bYT5CMsGcbgUdFHObYMEfcx6bsw=, which its own base string and key do
      // not give; verified erratum 2550 gives the value below, recomputed here by hand.
      const expected = createHmac('sha1', 'j49sk3j29djd&dh893hdasih9').update(RFC_BASE_STRING).digest('base64');
      expect(expected).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
      const signed = signer.signRequest(request);
      expect(protocolParams(signed).get('oauth_signature')).toBe(expected);
      // The section's header, in any order of parameters (3.5.1 fixes none), realm first.
      expect(headerParts(signed.headers.authorization!)).toEqual(
        headerParts(
          'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", ' +
            'oauth_nonce="7d8f3e4a", oauth_token="kkk9d7dh3k39sjv7", oauth_signature="r6%2FTJjbCOr97%2F%2BUU0NsvSne7s5g%3D"',
        ),
      );
      // Header placement leaves URL and body as the caller gave them.
      expect(signed.url).toBe(request.url);
      expect(signed.form?.toString()).toBe('c2=&a3=2+q');
    });
  });

  describe('RFC 5849 section 1.2 (the printer and photos example)', () => {
    const client = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', signatureMethod: 'HMAC-SHA1', signatureType: 'header', realm: 'Photos', includeVersion: false } as const;

    it('temporary credentials: 74KNZJeDHnMBp0EMJ9ZHt/XKycU=', () => {
      const signed = signer.signRequest({
        ...client,
        method: 'POST',
        url: 'https://photos.example.net/initiate',
        callback: 'http://printer.example.com/ready',
        nonce: 'wIjqoS',
        timestamp: '137131200',
      });
      expect(protocolParams(signed).get('oauth_signature')).toBe('74KNZJeDHnMBp0EMJ9ZHt/XKycU=');
      expect(signed.headers.authorization).toContain('oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready"');
      expect(signed.headers.authorization).toContain('oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"');
    });

    it('token credentials with the verifier: gKgrFCywp7rO0OXSjdot/IHF7IU=', () => {
      const signed = signer.signRequest({
        ...client,
        method: 'POST',
        url: 'https://photos.example.net/token',
        token: 'hh5s93j4hdidpola',
        tokenSecret: 'hdhd0244k9j7ao03',
        verifier: 'hfdp7dh39dks9884',
        nonce: 'walatlh',
        timestamp: '137131201',
      });
      expect(protocolParams(signed).get('oauth_signature')).toBe('gKgrFCywp7rO0OXSjdot/IHF7IU=');
      expect(signed.headers.authorization).toContain('oauth_verifier="hfdp7dh39dks9884"');
    });

    it('the protected resource: MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
      const signed = signer.signRequest({
        ...client,
        method: 'GET',
        url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
        token: 'nnch734d00sl2jdk',
        tokenSecret: 'pfkkdhi9sl3r4s00',
        nonce: 'chapoH',
        timestamp: '137131202',
      });
      expect(protocolParams(signed).get('oauth_signature')).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    });
  });

  describe('OAuth Core 1.0 appendix A.5 (photos, with oauth_version)', () => {
    it('gives tR3+Ty81lMeYAr/Fid0kMTYa/WM= over the published base string', () => {
      const published =
        'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26' +
        'oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal';
      const signed = signer.signRequest({
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
      expect(signed.baseString).toBe(published);
      expect(protocolParams(signed).get('oauth_signature')).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
      expect(protocolParams(signed).get('oauth_version')).toBe('1.0');
    });
  });

  describe("X's \"Creating a signature\" example (statuses/update with a form body)", () => {
    // The base string and signing key as the page spells them out.
    const published =
      'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26' +
      'oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26' +
      'oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26' +
      'status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521';
    const key = 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE';

    it('gives the published base string and hCtSmYh+iHYCEqBWrE7C7hYmtUk=', () => {
      const signed = signer.signRequest({
        method: 'POST',
        url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
        form: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' },
        consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
        consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
        token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
        tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
        signatureMethod: 'HMAC-SHA1',
        signatureType: 'header',
        nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
        timestamp: 1318622958,
      });
      expect(signed.baseString).toBe(published);
      expect(createHmac('sha1', key).update(published).digest('base64')).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
      expect(protocolParams(signed).get('oauth_signature')).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
      expect(signed.form?.toString()).toBe('status=Hello+Ladies+%2B+Gentlemen%2C+a+signed+OAuth+request%21');
    });
  });

  describe('PLAINTEXT (RFC 5849 section 3.4.4)', () => {
    it('RFC 5849 section 2.3: ja893SD9&xyz4992k83j47x0b, sent as ja893SD9%26xyz4992k83j47x0b', () => {
      const signed = signer.signRequest({
        method: 'POST',
        url: 'https://server.example.com/token',
        consumerKey: 'jd83jd92dhsh93js',
        consumerSecret: 'ja893SD9',
        token: 'hdk48Djdsa',
        tokenSecret: 'xyz4992k83j47x0b',
        verifier: '473f82d3',
        signatureMethod: 'PLAINTEXT',
        signatureType: 'header',
        realm: 'Example',
      });
      expect(protocolParams(signed).get('oauth_signature')).toBe('ja893SD9&xyz4992k83j47x0b');
      expect(signed.headers.authorization).toContain('oauth_signature="ja893SD9%26xyz4992k83j47x0b"');
      expect(signed.baseString).toBeUndefined();
    });

    it('OAuth Core 1.0 appendix A: kd94hf93k423kf44& without a token; secrets are encoded first', () => {
      const base = { method: 'POST', url: 'https://photos.example.net/request_token', consumerKey: 'dpf43f3p2l4k3l03', signatureMethod: 'PLAINTEXT', signatureType: 'header' } as const;
      expect(protocolParams(signer.signRequest({ ...base, consumerSecret: 'kd94hf93k423kf44' })).get('oauth_signature')).toBe('kd94hf93k423kf44&');
      expect(protocolParams(signer.signRequest({ ...base, consumerSecret: 'a&b c', tokenSecret: '☃+', token: 't' })).get('oauth_signature')).toBe('a%26b%20c&%E2%98%83%2B');
      expect(protocolParams(signer.signRequest({ ...base })).get('oauth_signature')).toBe('&');
    });
  });

  describe('RSA-SHA1 (RFC 5849 section 3.4.3)', () => {
    // The key pair of the OAuth test cases (wiki.oauth.net/TestCases, section 9.3).
    const PRIVATE_KEY = [
      '-----BEGIN PRIVATE KEY-----',
      'MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALRiMLAh9iimur8V',
      'A7qVvdqxevEuUkW4K+2KdMXmnQbG9Aa7k7eBjK1S+0LYmVjPKlJGNXHDGuy5Fw/d',
      '7rjVJ0BLB+ubPK8iA/Tw3hLQgXMRRGRXXCn8ikfuQfjUS1uZSatdLB81mydBETlJ',
      'hI6GH4twrbDJCR2Bwy/XWXgqgGRzAgMBAAECgYBYWVtleUzavkbrPjy0T5FMou8H',
      'X9u2AC2ry8vD/l7cqedtwMPp9k7TubgNFo+NGvKsl2ynyprOZR1xjQ7WgrgVB+mm',
      'uScOM/5HVceFuGRDhYTCObE+y1kxRloNYXnx3ei1zbeYLPCHdhxRYW7T0qcynNmw',
      'rn05/KO2RLjgQNalsQJBANeA3Q4Nugqy4QBUCEC09SqylT2K9FrrItqL2QKc9v0Z',
      'zO2uwllCbg0dwpVuYPYXYvikNHHg+aCWF+VXsb9rpPsCQQDWR9TT4ORdzoj+Nccn',
      'qkMsDmzt0EfNaAOwHOmVJ2RVBspPcxt5iN4HI7HNeG6U5YsFBb+/GZbgfBT3kpNG',
      'WPTpAkBI+gFhjfJvRw38n3g/+UeAkwMI2TJQS4n8+hid0uus3/zOjDySH3XHCUno',
      'cn1xOJAyZODBo47E+67R4jV1/gzbAkEAklJaspRPXP877NssM5nAZMU0/O/NGCZ+',
      '3jPgDUno6WbJn5cqm8MqWhW1xGkImgRk+fkDBquiq4gPiT898jusgQJAd5Zrr6Q8',
      'AO/0isr/3aa6O6NLQxISLKcPDk2NOccAfS/xOtfOz4sJYM3+Bs4Io9+dZGSDCA54',
      'Lw03eHTNQghS0A==',
      '-----END PRIVATE KEY-----',
    ].join('\n');
    const CERTIFICATE = [
      '-----BEGIN CERTIFICATE-----',
      'MIIBpjCCAQ+gAwIBAgIBATANBgkqhkiG9w0BAQUFADAZMRcwFQYDVQQDDA5UZXN0',
      'IFByaW5jaXBhbDAeFw03MDAxMDEwODAwMDBaFw0zODEyMzEwODAwMDBaMBkxFzAV',
      'BgNVBAMMDlRlc3QgUHJpbmNpcGFsMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKB',
      'gQC0YjCwIfYoprq/FQO6lb3asXrxLlJFuCvtinTF5p0GxvQGu5O3gYytUvtC2JlY',
      'zypSRjVxwxrsuRcP3e641SdASwfrmzyvIgP08N4S0IFzEURkV1wp/IpH7kH41Etb',
      'mUmrXSwfNZsnQRE5SYSOhh+LcK2wyQkdgcMv11l4KoBkcwIDAQABMA0GCSqGSIb3',
      'DQEBBQUAA4GBAGZLPEuJ5SiJ2ryq+CmEGOXfvlTtEL2nuGtr9PewxkgnOjZpUy+d',
      '4TvuXJbNQc8f4AMWL/tO9w0Fk80rWKp9ea8/df4qMq5qlFWlx6yOLQxumNOmECKb',
      'WpkUQDIDJEoFUzKMVuJf4KO/FJ345+BNLGgbJ6WujreoM1X/gYfdnJ/J',
      '-----END CERTIFICATE-----',
    ].join('\n');
    // Published with the test case (the misspelt "vacaction" is theirs).
    const PUBLISHED_BASE =
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26' +
      'oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal';
    const PUBLISHED_SIGNATURE =
      'jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399mXwaYdCwFYE=';
    const request = {
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacaction.jpg&size=original',
      consumerKey: 'dpf43f3p2l4k3l03',
      signatureMethod: 'RSA-SHA1',
      signatureType: 'header',
      nonce: '13917289812797014437',
      timestamp: '1196666512',
    } as const;
    const publicKey = new X509Certificate(CERTIFICATE).publicKey;

    it('gives the published signature, which the certificate verifies', () => {
      const signed = signer.signRequest({ ...request, rsaKey: PRIVATE_KEY });
      expect(signed.baseString).toBe(PUBLISHED_BASE);
      const signature = protocolParams(signed).get('oauth_signature')!;
      expect(signature).toBe(PUBLISHED_SIGNATURE);
      expect(verify('RSA-SHA1', Buffer.from(PUBLISHED_BASE), publicKey, Buffer.from(signature, 'base64'))).toBe(true);
      expect(verify('RSA-SHA1', Buffer.from(PUBLISHED_BASE.replace('vacaction', 'vacation')), publicKey, Buffer.from(signature, 'base64'))).toBe(false);
    });

    it('takes a KeyObject too, and ignores both shared secrets', () => {
      const signed = signer.signRequest({ ...request, rsaKey: createPrivateKey(PRIVATE_KEY), consumerSecret: 'ignored', tokenSecret: 'ignored' });
      expect(protocolParams(signed).get('oauth_signature')).toBe(PUBLISHED_SIGNATURE);
    });

    it('refuses a missing, unreadable or public key without repeating it', () => {
      expect(() => signer.signRequest({ ...request })).toThrow(new TypeError('RSA-SHA1 needs rsaKey, a PEM RSA private key.'));
      expect(() => signer.signRequest({ ...request, rsaKey: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----' })).toThrow(
        new TypeError('rsaKey is not a readable PEM private key.'),
      );
      expect(() => signer.signRequest({ ...request, rsaKey: publicKey })).toThrow(new TypeError('RSA-SHA1 needs an RSA private key.'));
    });
  });

  describe('HMAC-SHA256', () => {
    it('is the HMAC-SHA1 construction with SHA-256: same key, same base string', () => {
      const signed = signer.signRequest({
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
        'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26' +
        'oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal';
      expect(signed.baseString).toBe(base);
      expect(protocolParams(signed).get('oauth_signature')).toBe(createHmac('sha256', 'kd94hf93k423kf44&pfkkdhi9sl3r4s00').update(base).digest('base64'));
    });
  });
});

describe("the wrapped signer's header (the package's)", () => {
  it('writes the realm first, then the protocol parameters sorted by name, each encoded and quoted', () => {
    const signed = wrapped.signRequest({
      method: 'POST',
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      form: 'c2&a3=2+q',
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      token: 'kkk9d7dh3k39sjv7',
      tokenSecret: 'dh893hdasih9',
      signatureMethod: 'HMAC-SHA1',
      signatureType: 'header',
      realm: 'Example',
      nonce: '7d8f3e4a',
      timestamp: '137131201',
      includeVersion: false,
    });
    expect(signed.headers.authorization).toBe(
      'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_nonce="7d8f3e4a", oauth_signature="r6%2FTJjbCOr97%2F%2BUU0NsvSne7s5g%3D", ' +
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_token="kkk9d7dh3k39sjv7"',
    );
  });
});
