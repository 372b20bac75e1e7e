/**
 * Audit item 3: an access_token a header cannot carry (CR/LF, a character above
 * U+00FF) made fetch reject the Authorization header of the next call with a
 * message quoting the token, and that error travelled as the `cause` of
 * `provider_unavailable`, where Nest's handler printed it. It is now refused at the
 * exchange (502 `invalid_token_response`), and no answer, log line or cause chain
 * carries it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError, OAuthRegistry, type OAuth2Client } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { LogCapture, startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

const BAD_TOKENS: Array<[string, string]> = [
  ['CR LF', 'tok-secret-AAAA\r\nX-Injected: 1'],
  ['a lone LF', 'tok-secret-BBBB\nmore'],
  ['a character above U+00FF', 'tok-secret-CCCC\u20ac'],
  ['a space', 'tok-secret-DDDD with space'],
];

function causeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e instanceof Error && i < 10; e = e.cause, i++) parts.push(`${e.name}: ${e.message}`);
  return parts.join(' <- ');
}

describe.each(PLATFORMS)('an access_token no header can carry, on %s', (platform) => {
  let op: HostileProvider;
  let app: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    op = await startHostileProvider();
    app = await startTestApp({ platform, client: op.client, logger: logs });
  });
  afterAll(async () => {
    await app.close();
    await op.close();
  });
  afterEach(() => op.reset());

  it.each(BAD_TOKENS)('with %s is refused at the exchange: 502 invalid_token_response, the token nowhere', async (_name, bad) => {
    op.scenario = { token: { respond: (b) => ({ status: 200, body: JSON.stringify({ ...b, access_token: bad }) }) } };
    const walk = await walkLogin(new Browser(), `${app.origin}/auth/op`, op);
    const res = walk.callback!;
    expect(res.status).toBe(502);
    expect(res.json<{ error: string }>().error).toBe('invalid_token_response');
    const marker = bad.slice(0, 15);
    expect(res.text.includes(marker)).toBe(false);
    expect(logs.lines.join('\n').includes(marker)).toBe(false);
  });

  it('an API call given such a token fails coded, with no cause that quotes it, and nothing is sent', async () => {
    const client = app.app.get(OAuthRegistry).get<OAuth2Client>('op');
    const before = op.requests.length;
    const err = await client
      .get(`${op.origin}/userinfo`, { token: { access_token: 'tok-secret-EEEE\r\nX: y', token_type: 'Bearer' } })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(causeChain(err).includes('tok-secret-EEEE')).toBe(false);
    expect(op.requests.length).toBe(before);
  });
});
