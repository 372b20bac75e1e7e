/**
 * Pushed authorization requests (RFC 9126) as a pure function over the injected
 * form POST: what is sent, how each answer is judged, the redirect URL, when PAR
 * applies. Answers here are hand-made (misbehaviour oidc-provider never shows); the
 * real push is in test/e2e/par-dpop-pieces.spec.ts.
 */
import { EmbeddedJWK, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDpopSigner } from '../../../../lib/clients/oauth2/dpop.js';
import {
  parsePushedAuthorizationResponse,
  pushAuthorizationRequest,
  pushedAuthorizationEndpoint,
  pushedAuthorizationUrl,
  usesPushedAuthorization,
  type AuthenticatedFormPost,
} from '../../../../lib/clients/oauth2/pushed-authorization.js';
import type { ProviderResponse } from '../../../../lib/http/provider-http.js';
import { OAuthConfigError, OAuthException, OAuthProviderError, OAuthResponseError, OAuthTransportError } from '../../../../lib/index.js';

const ENDPOINT = 'https://as.example/par';
const REQUEST_URI = 'urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c';
const params = {
  response_type: 'code',
  client_id: 'bank-app',
  redirect_uri: 'https://app.example/cb',
  scope: 'openid accounts',
  state: 's-1',
  nonce: 'n-1',
  code_challenge: 'K2-ltc83acc4h0c9w6ESC_rEMTJ3bww-uCHaoeK1t8U',
  code_challenge_method: 'S256',
};

const respond = (status: number, body: unknown, headers: Record<string, string> = {}): ProviderResponse => ({
  status,
  headers: new Headers({ 'content-type': 'application/json', ...headers }),
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

interface Sent {
  url: string;
  form: Record<string, string>;
  headers: Record<string, string>;
}

function fakeEndpoint(answers: ProviderResponse[]): { send: AuthenticatedFormPost; sent: Sent[] } {
  const sent: Sent[] = [];
  const send: AuthenticatedFormPost = async (url, form, headers) => {
    // Stands for the client authentication the real callback adds on each call.
    form.set('client_assertion', `assertion-${sent.length}`);
    sent.push({ url, form: Object.fromEntries(form), headers: { ...headers } });
    const next = answers.shift();
    if (!next) throw new Error('more requests than answers');
    return next;
  };
  return { send, sent };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('pushAuthorizationRequest', () => {
  it('POSTs every authorization parameter once and returns request_uri and expires_in', async () => {
    const { send, sent } = fakeEndpoint([respond(201, { request_uri: REQUEST_URI, expires_in: 60 })]);
    const pushed = await pushAuthorizationRequest({ endpoint: ENDPOINT, params, send });
    expect(pushed).toEqual({ requestUri: REQUEST_URI, expiresIn: 60 });
    expect(sent).toEqual([{ url: ENDPOINT, form: { ...params, client_assertion: 'assertion-0' }, headers: {} }]);
  });

  it('with DPoP: a proof for POST at the endpoint, one retry on use_dpop_nonce with fresh client authentication', async () => {
    const signer = createDpopSigner({ privateKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) }, { client: 'bank' })!;
    const { send, sent } = fakeEndpoint([
      respond(400, { error: 'use_dpop_nonce', error_description: 'nonce required' }, { 'dpop-nonce': 'as-nonce-1' }),
      respond(201, { request_uri: REQUEST_URI, expires_in: 90 }),
    ]);
    const pushed = await pushAuthorizationRequest({ endpoint: `${ENDPOINT}?tenant=x`, params, send, dpop: signer });
    expect(pushed).toEqual({ requestUri: REQUEST_URI, expiresIn: 90 });
    expect(sent).toHaveLength(2);
    // Each attempt is a fresh form: the second has its own assertion, not two.
    expect(sent.map((s) => s.form.client_assertion)).toEqual(['assertion-0', 'assertion-1']);
    const claims = [];
    for (const s of sent) {
      expect(Object.keys(s.headers)).toEqual(['dpop']);
      claims.push((await jwtVerify(s.headers.dpop!, EmbeddedJWK, { typ: 'dpop+jwt' })).payload);
    }
    expect(claims.map((c) => [c.htm, c.htu, c.nonce, c.ath])).toEqual([
      ['POST', ENDPOINT, undefined, undefined],
      ['POST', ENDPOINT, 'as-nonce-1', undefined],
    ]);
    // The nonce is kept for the token endpoint of the same server.
    expect(signer.nonceFor('https://as.example/token')).toBe('as-nonce-1');
  });

  it('with DPoP: a second challenge is invalid_dpop_nonce after exactly two pushes', async () => {
    const signer = createDpopSigner(true, { client: 'bank' })!;
    const challenge = respond(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n' });
    const { send, sent } = fakeEndpoint([challenge, { ...challenge }, respond(201, { request_uri: REQUEST_URI, expires_in: 60 })]);
    await expect(pushAuthorizationRequest({ endpoint: ENDPOINT, params, send, dpop: signer })).rejects.toMatchObject({
      code: 'invalid_dpop_nonce',
      message: 'The pushed authorization request endpoint asked for a DPoP nonce again after a retry with the nonce it supplied; not retrying further.',
    });
    expect(sent).toHaveLength(2);
  });

  it('without DPoP a use_dpop_nonce answer is the provider\'s refusal, not retried', async () => {
    const { send, sent } = fakeEndpoint([respond(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n' })]);
    await expect(pushAuthorizationRequest({ endpoint: ENDPOINT, params, send })).rejects.toBeInstanceOf(OAuthProviderError);
    expect(sent).toHaveLength(1);
  });

  it('a transport failure of the callback is passed through as it is', async () => {
    const failure = new OAuthTransportError('timeout', 'The pushed authorization request endpoint did not answer within 10 ms.');
    const send: AuthenticatedFormPost = async () => {
      throw failure;
    };
    await expect(pushAuthorizationRequest({ endpoint: ENDPOINT, params, send })).rejects.toBe(failure);
  });
});

describe('parsePushedAuthorizationResponse', () => {
  it('the provider\'s OAuth error, in any status, is OAuthProviderError with its code (401 at the guard)', () => {
    for (const [status, error] of [
      [400, 'invalid_request'],
      [401, 'invalid_client'],
      [400, 'invalid_redirect_uri'],
      [500, 'server_error'],
      [201, 'temporarily_unavailable'],
    ] as const) {
      const err = caught(() =>
        parsePushedAuthorizationResponse(respond(status, { error, error_description: 'the client\u0000 was refused' })),
      );
      expect(err).toBeInstanceOf(OAuthProviderError);
      expect(err).toMatchObject({
        code: error,
        status,
        // Provider text is escaped before it reaches a message or log line.
        description: 'the client\\u0000 was refused',
        message: `The pushed authorization request endpoint refused the request: ${error}.`,
      });
      expect(new OAuthException(err as OAuthProviderError).getStatus()).toBe(401);
    }
  });

  it.each([
    ['HTML', respond(200, '<html>PAR</html>'), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 200 with a body that is not a JSON object.'],
    ['a JSON array', respond(201, [REQUEST_URI]), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 201 with a body that is not a JSON object.'],
    ['truncated JSON', respond(201, '{"request_uri":"urn:'), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 201 with a body that is not a JSON object.'],
    ['an empty body', respond(201, ''), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 201 with a body that is not a JSON object.'],
    ['a 200 instead of 201', respond(200, { request_uri: REQUEST_URI, expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 200 instead of 201.'],
    ['a redirect', respond(302, {}, { location: 'https://evil.example/' }), 'invalid_response', 'The pushed authorization request endpoint answered a redirect (HTTP 302); redirects from providers are not followed.'],
    ['a 404', respond(404, {}), 'invalid_response', 'The pushed authorization request endpoint answered HTTP 404.'],
    ['a 503 page', respond(503, 'Service Unavailable'), 'provider_unavailable', 'The pushed authorization request endpoint failed with HTTP 503.'],
    ['a 500 JSON without error', respond(500, {}), 'provider_unavailable', 'The pushed authorization request endpoint failed with HTTP 500.'],
    ['no request_uri', respond(201, { expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['a numeric request_uri', respond(201, { request_uri: 42, expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['an empty request_uri', respond(201, { request_uri: '', expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['a request_uri with a line break', respond(201, { request_uri: 'urn:x\r\nSet-Cookie: a=b', expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['a request_uri with a space', respond(201, { request_uri: 'urn:a b', expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['a non-ASCII request_uri', respond(201, { request_uri: 'urn:caf\u00e9', expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['a huge request_uri', respond(201, { request_uri: `urn:${'x'.repeat(5000)}`, expires_in: 60 }), 'invalid_response', 'The pushed authorization request endpoint answered without a usable string request_uri.'],
    ['no expires_in', respond(201, { request_uri: REQUEST_URI }), 'invalid_response', 'The pushed authorization request endpoint answered without a positive expires_in.'],
    ['expires_in 0', respond(201, { request_uri: REQUEST_URI, expires_in: 0 }), 'invalid_response', 'The pushed authorization request endpoint answered without a positive expires_in.'],
    ['a negative expires_in', respond(201, { request_uri: REQUEST_URI, expires_in: -5 }), 'invalid_response', 'The pushed authorization request endpoint answered without a positive expires_in.'],
    ['a text expires_in', respond(201, { request_uri: REQUEST_URI, expires_in: 'soon' }), 'invalid_response', 'The pushed authorization request endpoint answered without a positive expires_in.'],
    ['a non-string error', respond(400, { error: { code: 1 } }), 'invalid_response', 'The pushed authorization request endpoint answered an "error" that is not a valid OAuth error code.'],
  ])('%s is %s (502)', (_name, res, code, message) => {
    const err = caught(() => parsePushedAuthorizationResponse(res));
    // A 5xx is an outage (OAuthTransportError); anything else unusable is OAuthResponseError.
    expect(err).toBeInstanceOf(code === 'provider_unavailable' ? OAuthTransportError : OAuthResponseError);
    expect(err).toMatchObject({ code, message, status: res.status });
    expect(new OAuthException(err as OAuthResponseError).getStatus()).toBe(502);
  });

  it('accepts a numeric string expires_in and floors a fractional one', () => {
    expect(parsePushedAuthorizationResponse(respond(201, { request_uri: REQUEST_URI, expires_in: '45' }))).toEqual({ requestUri: REQUEST_URI, expiresIn: 45 });
    expect(parsePushedAuthorizationResponse(respond(201, { request_uri: REQUEST_URI, expires_in: 59.9, extra: true }))).toEqual({ requestUri: REQUEST_URI, expiresIn: 59 });
  });
});

describe('pushedAuthorizationUrl', () => {
  it('carries client_id and request_uri only (RFC 9126 section 4)', () => {
    const url = new URL(pushedAuthorizationUrl('https://as.example/authorize', 'bank app', REQUEST_URI));
    expect(url.origin + url.pathname).toBe('https://as.example/authorize');
    expect([...url.searchParams]).toEqual([
      ['client_id', 'bank app'],
      ['request_uri', REQUEST_URI],
    ]);
  });

  it('keeps the endpoint\'s own query, drops its fragment, and never lets it override the two', () => {
    const url = pushedAuthorizationUrl('https://as.example/authorize?p=B2C_1_signin&client_id=evil#frag', 'bank', REQUEST_URI);
    expect(url).toBe(`https://as.example/authorize?p=B2C_1_signin&client_id=bank&request_uri=${encodeURIComponent(REQUEST_URI)}`);
  });
});

describe('when PAR applies', () => {
  it('the client setting wins; unset follows require_pushed_authorization_requests', () => {
    expect(usesPushedAuthorization(true, undefined)).toBe(true);
    expect(usesPushedAuthorization(true, { require_pushed_authorization_requests: false })).toBe(true);
    expect(usesPushedAuthorization(false, { require_pushed_authorization_requests: true })).toBe(false);
    expect(usesPushedAuthorization(undefined, { require_pushed_authorization_requests: true })).toBe(true);
    expect(usesPushedAuthorization(undefined, { require_pushed_authorization_requests: 'true' })).toBe(false);
    expect(usesPushedAuthorization(undefined, { pushed_authorization_request_endpoint: ENDPOINT })).toBe(false);
    expect(usesPushedAuthorization(undefined, undefined)).toBe(false);
  });

  it('the endpoint comes from the metadata; none is a configuration error naming the field', () => {
    expect(pushedAuthorizationEndpoint('bank', { pushed_authorization_request_endpoint: ENDPOINT })).toBe(ENDPOINT);
    for (const metadata of [undefined, {}, { pushed_authorization_request_endpoint: 'javascript:alert(1)' }, { pushed_authorization_request_endpoint: 7 }]) {
      const err = caught(() => pushedAuthorizationEndpoint('bank', metadata));
      expect(err).toBeInstanceOf(OAuthConfigError);
      expect(err).toMatchObject({
        client: 'bank',
        field: 'pushedAuthorizationRequests',
        message:
          'OAuth client "bank" uses pushed authorization requests, but the provider\'s metadata has no pushed_authorization_request_endpoint.',
      });
    }
  });
});
