/**
 * Discovery that is down when the app boots, on Express and Fastify: the app starts,
 * logins fail with 502 while the provider is unreachable, and work once it is up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OAuthResult, OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import {
  PROVIDER_PATHS,
  loginThroughApp,
  reservePort,
  startOidcProvider,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';

interface GuardedBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

describe.each(PLATFORMS)('OpenID Connect discovery on %s', (platform) => {
  let t: TestApp | undefined;
  let op: OidcProviderHarness | undefined;
  afterEach(async () => {
    await t?.close();
    await op?.close();
    t = undefined;
    op = undefined;
  });

  it('boots with the provider down, answers 502 to logins, and logs in once the provider is up', async () => {
    const port = await reservePort();
    const issuer = `http://127.0.0.1:${port}`;
    const clientId = `${platform}-discovery`;
    t = await startTestApp({
      platform,
      routes: [{ path: '/auth/op', client: 'op' }],
      config: {
        OAUTH_CLIENTS: {
          op: { clientId, clientSecret: 'discovery-secret', serverMetadataUrl: `${issuer}${PROVIDER_PATHS.discovery}`, scope: 'openid email profile' },
        },
      },
    });

    const browser = new Browser();
    const down = await browser.get(`${t.origin}/auth/op`);
    expect(down.status, down.text).toBe(502);
    const body = down.json<{ statusCode: number; error: string; message: string }>();
    expect(body.statusCode).toBe(502);
    expect(body.error).toEqual(expect.any(String));
    expect(down.headers.get('location')).toBeNull();
    expect(down.headers.getSetCookie().filter((c) => c.startsWith('oauth_s_'))).toEqual([]);

    op = await startOidcProvider({ port });
    expect(op.issuer).toBe(issuer);
    await op.addClient({ client_id: clientId, client_secret: 'discovery-secret', redirect_uris: [`${t.origin}/auth/op`] });

    const res = await loginThroughApp(browser, `${t.origin}/auth/op`);
    expect(res.status, res.text).toBe(200);
    const oauth = res.json<GuardedBody>().oauth;
    expect(oauth?.client).toBe('op');
    expect(oauth?.token.access_token).toEqual(expect.any(String));
    expect(oauth?.userinfo).toMatchObject({ sub: 'alice', iss: issuer, aud: clientId });
    expect(op.count(PROVIDER_PATHS.discovery)).toBe(1);
    expect(op.count(PROVIDER_PATHS.token)).toBe(1);
    expect(op.serverErrors).toEqual([]);
  });
});
