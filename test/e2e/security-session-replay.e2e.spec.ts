/**
 * Audit item 2: the `session` store is single-use over a cookie-backed session.
 * With `@fastify/secure-session` (and a cookie-backed session on Express) the
 * session lives in the browser's cookie, so a callback replayed with the session
 * cookie as it was before the callback would find its pending login again; the
 * process remembers consumed states, like the cookie store does. Real peer:
 * oidc-provider, which would also refuse the reused code, so the test counts token
 * requests: a replay must send none.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { loginForCallbackUrl, PROVIDER_PATHS, startAppLogin, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';

let op: OidcProviderHarness;
let seq = 0;

beforeAll(async () => {
  op = await startOidcProvider();
});
afterAll(async () => {
  await op.close();
});

const sessions: Array<[string, 'cookie' | true]> = [
  ['a cookie-backed session', 'cookie'],
  ['the default session', true],
];

describe.each(PLATFORMS)('session store replays on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    expect(op.serverErrors).toEqual([]);
  });

  it.each(sessions)('with %s, a callback replayed with the pre-callback session cookie is mismatching_state, nothing sent', async (_name, session) => {
    const clientId = `${platform}-session-replay-${++seq}`;
    const clientSecret = 'session-replay-secret-0123456789abcdef';
    app = await startTestApp({
      platform,
      session,
      oauth: { stateStore: 'session' },
      client: { clientId, clientSecret, serverMetadataUrl: op.discoveryUrl, scope: 'openid' },
    });
    await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${app.origin}/auth/op`] });
    op.resetRequests();

    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${app.origin}/auth/op`);
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), app.origin);
    // The session cookie as it was before the callback, as an attacker would keep it.
    const before = new Browser();
    browser.copyTo(before);

    const done = await browser.get(callbackUrl);
    expect(done.status, done.text).toBe(200);
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);

    for (let i = 0; i < 2; i++) {
      const replay = await before.get(callbackUrl);
      expect(replay.status, replay.text).toBe(401);
      expect(replay.json()).toEqual({ statusCode: 401, error: 'mismatching_state', message: expect.any(String) });
    }
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
  });
});

/**
 * Found in the fresh pass: the same lock-out as audit item 1 through a cookie-backed
 * session. Ten pending logins with a long `next` made the session cookie ~15 KB: a
 * browser drops a cookie over 4 KB (the whole session with it), and a few such
 * cookies pass the server's header limit. The module's part of the session is
 * bounded in bytes, oldest out first.
 */
describe.each(PLATFORMS)('session store size on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('twelve logins with a 1,024-character next keep a cookie-backed session under 4 KB; the newest completes', async () => {
    const clientId = `${platform}-session-size-${++seq}`;
    const clientSecret = 'session-size-secret-0123456789abcdef';
    app = await startTestApp({
      platform,
      session: 'cookie',
      oauth: { stateStore: 'session' },
      routes: [{ path: '/auth/op', client: 'op', options: { returnTo: true } }],
      config: { OAUTH_CLIENTS: { op: { clientId, clientSecret, serverMetadataUrl: op.discoveryUrl, scope: 'openid' } } },
    });
    await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${app.origin}/auth/op`] });
    const next = `/${'n'.repeat(1023)}`;
    const browser = new Browser();
    let last: URL | undefined;
    for (let i = 0; i < 12; i++) {
      const { login, authorizationUrl } = await startAppLogin(browser, `${app.origin}/auth/op?next=${next}`);
      for (const line of login.headers.getSetCookie()) expect(Buffer.byteLength(line), line.slice(0, 60)).toBeLessThan(4096);
      last = authorizationUrl;
    }
    expect((await browser.get(`${app.origin}/health`)).status).toBe(200);
    const done = await browser.get(await loginForCallbackUrl(browser, last!.toString(), app.origin));
    expect(done.status, done.text).toBe(200);
    expect(done.json<{ oauth: { returnTo?: string } }>().oauth.returnTo).toBe(next);
  });
});
