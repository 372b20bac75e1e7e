/**
 * Transport faults of a hostile provider at each endpoint it serves — a hang past
 * the timeout, a reset connection, a 5xx page, a 200 MB body — at discovery, JWKS,
 * token, userinfo and an API path. Each is a coded error within the timeout plus a
 * little, the process stays up, memory stays bounded, and the next good login (or
 * call) works. Faults do not depend on the HTTP platform: Express only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import { HOSTILE_FAULTS, HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileFault, type HostileProvider } from '../support/hostile-provider.js';

let op: HostileProvider;
let app: TestApp | undefined;

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});
afterEach(async () => {
  op.reset();
  await app?.close();
  app = undefined;
});

const EXPECTED: Record<HostileFault, [number, string]> = {
  hang: [504, 'timeout'],
  reset: [502, 'provider_unavailable'],
  '5xx': [502, 'provider_unavailable'],
  huge: [502, 'response_too_large'],
};
const TIMEOUT = 400;

const login = (target: TestApp) => walkLogin(new Browser(), `${target.origin}/auth/op`, op);

describe.each([HOSTILE_PATHS.discovery, HOSTILE_PATHS.jwks, HOSTILE_PATHS.token])('faults at %s', (path) => {
  it.each(HOSTILE_FAULTS)('%s: a coded answer, no crash, and the next good login works', async (fault) => {
    app = await startTestApp({ platform: 'express', client: { ...op.client, timeout: TIMEOUT } });
    const rss = process.memoryUsage().rss;
    op.scenario = { faults: { [path]: fault } };
    const started = Date.now();
    const walk = await login(app);
    const answer = path === HOSTILE_PATHS.discovery ? walk.login : walk.callback;
    expect(answer, `the walk stopped early: login ${walk.login.status}`).toBeDefined();
    const [status, code] = EXPECTED[fault];
    expect(answer!.status, answer!.text).toBe(status);
    expect(answer!.json()).toMatchObject({ statusCode: status, error: code });
    // Bounded by the timeout, never hung (a loose bound: no speed test).
    expect(Date.now() - started).toBeLessThan(TIMEOUT + 5_000);
    // The 200 MB body was not read: memory did not grow by anything like it.
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    op.reset();
    const next = await login(app);
    expect(next.callback?.status, next.callback?.text).toBe(200);
  });
});

/** An app whose API base is the provider, logged in once: its client and token. */
async function loggedIn(): Promise<{ client: OAuth2Client; token: OAuth2Token }> {
  app = await startTestApp({ platform: 'express', client: { ...op.client, timeout: TIMEOUT, apiBaseUrl: `${op.origin}/` } });
  const walk = await login(app);
  expect(walk.callback?.status, walk.callback?.text).toBe(200);
  return {
    client: app.app.get(OAuthRegistry).get('op') as OAuth2Client,
    token: walk.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth.token,
  };
}

describe('faults at userinfo and API calls', () => {
  it.each(HOSTILE_FAULTS)('userinfo %s: a coded error, then userinfo works again', async (fault) => {
    const { client, token } = await loggedIn();
    op.scenario = { faults: { [HOSTILE_PATHS.userinfo]: fault } };
    await expect(client.userinfo({ token })).rejects.toMatchObject({ code: EXPECTED[fault][1] });
    op.reset();
    await expect(client.userinfo({ token })).resolves.toMatchObject({ sub: 'user-1' });
  });

  it.each(['hang', 'reset'] as const)('API call %s: a coded error; other answers are handed back unread', async (fault) => {
    const { client, token } = await loggedIn();
    op.scenario = { faults: { [HOSTILE_PATHS.userinfo]: fault } };
    await expect(client.get('userinfo', { token })).rejects.toMatchObject({ code: EXPECTED[fault][1] });
    op.scenario = { faults: { [HOSTILE_PATHS.userinfo]: '5xx' } };
    const res = await client.get('userinfo', { token });
    expect(res.status).toBe(503);
    await res.body?.cancel();
  });
});
