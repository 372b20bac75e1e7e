/**
 * A `tokenUpdate$` subscriber that throws, on Express and Fastify, with a real
 * refresh at oidc-provider. Left to RxJS, the error would be rethrown on a timer
 * and Node would end the process mid-refresh (Django hands a receiver's exception
 * to the caller instead). Here the API call that refreshed succeeds with the new
 * token, every other subscriber (also after a `pipe()`) gets the event, the
 * throwing subscriber stays subscribed, nothing reaches `uncaughtException` or
 * `unhandledRejection`, and the error is logged without any token in the line.
 */
import { map } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token, type TokenUpdateEvent } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { LogCapture } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginThroughApp, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startResourceServer, type ResourceAnswer, type ResourceServer } from '../support/resource-server.js';

const SECRET = 'updates-secret-0123456789abcdef0123456789abcdef';
const nowS = () => Math.floor(Date.now() / 1000);

let op: OidcProviderHarness;
let rs: ResourceServer;
let t: TestApp | undefined;
let seq = 0;
const escaped: Array<[string, unknown]> = [];
const onUncaught = (err: unknown) => escaped.push(['uncaughtException', err]);
const onUnhandled = (err: unknown) => escaped.push(['unhandledRejection', err]);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  op = await startOidcProvider();
  const rsId = 'updates-rs';
  const rsSecret = 'updates-rs-secret-0123456789abcdef012345';
  await op.addClient({ client_id: rsId, client_secret: rsSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
  rs = await startResourceServer({ introspectionUrl: `${op.issuer}${PROVIDER_PATHS.introspection}`, clientId: rsId, clientSecret: rsSecret });
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUnhandled);
  await rs?.close();
  await op?.close();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  expect(op.serverErrors).toEqual([]);
});

/** A turn of the event loop: RxJS reports a subscriber's error on a timer, so an escaped one would surface by then. */
const nextTurns = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(PLATFORMS)('a throwing tokenUpdate$ subscriber on %s', (platform: Platform) => {
  it('the refreshing call succeeds, the other subscribers get the event, the process stays up, and the error is logged', async () => {
    const logs = new LogCapture();
    const clientId = `updates-${++seq}`;
    const written: TokenUpdateEvent[] = [];
    t = await startTestApp({
      platform,
      logger: logs,
      routes: [{ path: '/auth/op', client: 'op' }],
      oauth: {
        clients: {
          op: {
            clientId,
            clientSecret: SECRET,
            serverMetadataUrl: op.discoveryUrl,
            scope: 'openid offline_access',
            authorizeParams: { prompt: 'consent' },
            apiBaseUrl: `${rs.origin}/api/`,
          },
        },
        // Awaited before the event: a throwing subscriber changes nothing of it.
        updateToken: (event) => void written.push(event),
      },
    });
    await op.addClient({ client_id: clientId, client_secret: SECRET, redirect_uris: [`${t.origin}/auth/op`] });
    const registry = t.app.get(OAuthRegistry);
    const client = registry.get<OAuth2Client>('op');

    let throwingCalls = 0;
    const before: TokenUpdateEvent[] = [];
    const after: TokenUpdateEvent[] = [];
    const pipedNames: string[] = [];
    const subscriptions = [
      registry.tokenUpdate$.subscribe((e) => before.push(e)),
      registry.tokenUpdate$.subscribe(() => {
        throwingCalls += 1;
        throw new Error('the token table is locked');
      }),
      registry.tokenUpdate$.pipe(map((e) => e.name)).subscribe(() => {
        // Not even an Error: what a careless subscriber throws.
        throw 'piped subscriber failed';
      }),
      registry.tokenUpdate$.pipe(map((e) => e.name)).subscribe((name) => pipedNames.push(name)),
      registry.tokenUpdate$.subscribe((e) => after.push(e)),
    ];
    try {
      const res = await loginThroughApp(new Browser(), `${t.origin}/auth/op`);
      expect(res.status, res.text).toBe(200);
      const token = res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;

      const call = await client.get('me', { token: { ...token, expires_at: nowS() - 5 } });
      expect(call.status).toBe(200);
      const answer = (await call.json()) as ResourceAnswer;
      await nextTurns();

      expect(written).toHaveLength(1);
      const fresh = written[0]!.token;
      expect(fresh.access_token).not.toBe(token.access_token);
      expect(answer.authorization).toBe(`Bearer ${fresh.access_token}`);
      for (const seen of [before, after]) {
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ name: 'op', refreshToken: token.refresh_token, accessToken: token.access_token });
        expect(seen[0]!.token.access_token).toBe(fresh.access_token);
      }
      expect(pipedNames).toEqual(['op']);
      expect(throwingCalls).toBe(1);
      expect(escaped).toEqual([]);

      const errors = logs.lines.filter((l) => l.startsWith('error '));
      expect(errors).toHaveLength(2);
      expect(errors[0]).toContain('A tokenUpdate$ subscriber threw (Error: the token table is locked); the call and the other subscribers went on.');
      expect(errors[1]).toContain('A tokenUpdate$ subscriber threw (string); the call and the other subscribers went on.');
      for (const secret of [token.access_token, token.refresh_token!, fresh.access_token, fresh.refresh_token!]) {
        expect(logs.lines.join('\n')).not.toContain(secret);
      }

      // An explicit refresh goes on too, and the throwing subscriber is still subscribed.
      const again = await client.refreshToken(fresh);
      await nextTurns();
      expect(again.access_token).not.toBe(fresh.access_token);
      expect(after.map((e) => e.token.access_token)).toEqual([fresh.access_token, again.access_token]);
      expect(throwingCalls).toBe(2);
      expect(escaped).toEqual([]);
      expect((await client.get('me', { token: again })).status).toBe(200);
    } finally {
      for (const s of subscriptions) s.unsubscribe();
    }
  });
});
