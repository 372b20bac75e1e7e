/**
 * Audit item 11: API path corner cases. A relative API path resolves under
 * `apiBaseUrl`; an input starting with `?` or `#`, a backslash anywhere, `..` that
 * climbs above the root however it is spelled (backslashes, encoded slashes,
 * characters the URL parser strips) is refused with `invalid_url` before anything
 * is sent. Run through an app on Express and Fastify, against an echo server that
 * records what reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client } from '../../lib/index.js';
import { startEchoServer, type EchoServer } from '../support/echo-server.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

const token = { access_token: 'api-url-access-token', token_type: 'Bearer' };

describe.each(PLATFORMS)('API paths on %s', (platform) => {
  let api: EchoServer;
  let app: TestApp;
  let client: OAuth2Client;

  beforeAll(async () => {
    api = await startEchoServer();
    app = await startTestApp({
      platform,
      client: {
        clientId: 'api-url',
        clientSecret: 'api-url-secret',
        authorizeUrl: `${api.origin}/authorize`,
        accessTokenUrl: `${api.origin}/token`,
        apiBaseUrl: `${api.origin}/v1/users/`,
      },
    });
    client = app.app.get(OAuthRegistry).get('op') as OAuth2Client;
  });
  afterAll(async () => {
    await app.close();
    await api.close();
  });

  it('a plain relative path with a query lands under apiBaseUrl (control)', async () => {
    const res = await client.get('me?x=1', { token });
    expect(res.status).toBe(200);
    expect((await res.json()) as { url: string }).toMatchObject({ url: '/v1/users/me?x=1' });
  });

  it.each([
    ['?x=//evil', 'starts with "?"'],
    ['?x=/../../admin', 'starts with "?"'],
    ['#/../../admin', 'starts with "#"'],
    ['..\\..\\..\\x', 'holds a backslash'],
    ['me\\..\\..\\x', 'holds a backslash'],
    ['..%2F..%2F..%2Fadmin', 'hides ".." behind an encoded separator'],
    ['..%5C..%5Cadmin', 'hides ".." behind an encoded separator'],
    ['.\n./.\n./.\n./x', 'holds a control character'],
    ['.\t./.\t./.\t./x', 'holds a control character'],
    ['\t//evil.example/x', 'holds a control character'],
  ])('%j is refused with invalid_url (%s), nothing sent', async (input) => {
    const before = api.received.length;
    await expect(client.get(input, { token })).rejects.toMatchObject({ code: 'invalid_url', name: 'OAuthUsageError' });
    expect(api.received.length).toBe(before);
  });
});
