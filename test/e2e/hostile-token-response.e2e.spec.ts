/**
 * Hostile token endpoint answers through the guard: a provider `error` (in any
 * status) is passed through as a 401 with its code; a body that is not the expected
 * JSON object, carries no string `access_token`, a non-bearer type, no `id_token`
 * for `openid`, or is a redirect, is a 502. Each after exactly one token request,
 * with no JWKS fetch, no userinfo call and no redirect followed. Also what must be
 * accepted (`token_type: "bEARER"`, no `expires_in`) and a userinfo answer for
 * another subject. The platform does not matter here: Express only.
 */
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthError, OAuthRegistry, type OAuth2Client, type OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import {
  HOSTILE_PATHS,
  LogCapture,
  settle,
  startHostileProvider,
  walkLogin,
  type HostileProvider,
  type LoginWalk,
  type RawResponse,
  type TokenContext,
} from '../support/hostile-provider.js';

let op: HostileProvider;
let app: TestApp;
const logs = new LogCapture();

beforeAll(async () => {
  op = await startHostileProvider();
  app = await startTestApp({ platform: 'express', client: op.client, logger: logs });
});
afterAll(async () => {
  await app.close();
  await op.close();
});
afterEach(() => {
  op.reset();
});

const login = (target: TestApp = app): Promise<LoginWalk> => walkLogin(new Browser(), `${target.origin}/auth/op`, op);

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

function expectRefused(walk: LoginWalk, status: number, error: string, extraSecrets: string[] = []): ErrorBody {
  expect(walk.callback, `the walk stopped early: login ${walk.login.status}`).toBeDefined();
  const res = walk.callback!;
  expect(res.status, res.text).toBe(status);
  const body = res.json<ErrorBody>();
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
  expect(body).toMatchObject({ statusCode: status, error });
  expect(body.message).toEqual(expect.any(String));
  const logged = logs.lines.join('\n');
  for (const secret of [...op.secrets(), ...extraSecrets]) {
    expect(res.text.includes(secret), 'a code, token or secret is in the answer').toBe(false);
    expect(logged.includes(secret), 'a code, token or secret is in a log line').toBe(false);
  }
  return body;
}

/** Exactly one token request since the callback, and nothing after it, even a moment later. */
async function expectOneTokenRequestOnly(walk: LoginWalk): Promise<void> {
  await settle();
  expect(op.linesSince(walk.mark)).toEqual([`POST ${HOSTILE_PATHS.token}`]);
}

const json = (body: unknown, status = 200): RawResponse => ({ status, body: JSON.stringify(body) });
const without = (body: Record<string, unknown>, name: string): Record<string, unknown> => {
  const copy = { ...body };
  delete copy[name];
  return copy;
};

type Respond = RawResponse | ((body: Record<string, unknown>, ctx: TokenContext) => RawResponse);

describe('token responses passed through as the provider error', () => {
  it('the log capture is wired (so the secret checks on log lines are not vacuous)', () => {
    new Logger('probe').warn('probe line');
    expect(logs.lines.at(-1)).toBe('warn probe line probe');
  });

  const cases: Array<[string, Respond, string]> = [
    [
      '200 {"error":"invalid_grant"} whose description echoes the code and verifier',
      (_b, ctx) => json({ error: 'invalid_grant', error_description: `code ${ctx.code} with verifier ${ctx.codeVerifier} was already used` }),
      'invalid_grant',
    ],
    ['400 {"error":"invalid_grant"}', json({ error: 'invalid_grant' }, 400), 'invalid_grant'],
    ['400 {"error":"unauthorized_client"}', json({ error: 'unauthorized_client' }, 400), 'unauthorized_client'],
    ['400 {"error":"invalid_client"} (answered, not a real refusal)', json({ error: 'invalid_client' }, 400), 'invalid_client'],
    ['200 {"error":"access_denied"} next to an access_token', (b) => json({ ...b, error: 'access_denied' }), 'access_denied'],
    // RFC 6749 5.2's own code, which the library also uses for bad callback input.
    ['400 {"error":"invalid_request"}', json({ error: 'invalid_request' }, 400), 'invalid_request'],
    // Codes that happen to name library errors are still the provider's refusal.
    ['400 {"error":"invalid_config"}', json({ error: 'invalid_config' }, 400), 'invalid_config'],
    ['400 {"error":"timeout"}', json({ error: 'timeout' }, 400), 'timeout'],
  ];

  it.each(cases)('%s: 401 with that code', async (_name, respond, code) => {
    op.scenario = { token: { respond } };
    const walk = await login();
    const body = expectRefused(walk, 401, code);
    expect(body.message).toContain(code);
    await expectOneTokenRequestOnly(walk);
  });

  it('a real refusal of the strict provider (a wrong client secret): 401 invalid_client, the secret not echoed', async () => {
    const wrongSecret = 'the-wrong-secret-0123456789';
    const misconfigured = await startTestApp({ platform: 'express', client: { ...op.client, clientSecret: wrongSecret }, logger: logs });
    try {
      const walk = await login(misconfigured);
      expectRefused(walk, 401, 'invalid_client', [wrongSecret]);
      expect(op.exchanges.at(-1)?.refusal).toBe('invalid_client');
      await expectOneTokenRequestOnly(walk);
    } finally {
      await misconfigured.close();
    }
  });
});

describe('token responses that are not a usable token: 502', () => {
  const cases: Array<[string, Respond, string]> = [
    ['{}', json({}), 'invalid_response'],
    ['truncated JSON', (b) => ({ status: 200, body: JSON.stringify(b).slice(0, 40) }), 'invalid_response'],
    ['a JSON array', (b) => json([b]), 'invalid_response'],
    ['JSON null', { status: 200, body: 'null' }, 'invalid_response'],
    ['a JSON string', (b) => json(String(b.access_token)), 'invalid_response'],
    ['an HTML 500', { status: 500, body: '<html><body><h1>Internal Server Error</h1></body></html>', headers: { 'content-type': 'text/html' } }, 'provider_unavailable'],
    ['an HTML 200 login page', { status: 200, body: '<html><form>Sign in</form></html>', headers: { 'content-type': 'text/html' } }, 'invalid_response'],
    ['an empty 200', { status: 200, body: '' }, 'invalid_response'],
    ['no id_token although openid was requested', (b) => json(without(b, 'id_token')), 'invalid_response'],
    ['access_token a number', (b) => json({ ...b, access_token: 1234567890 }), 'invalid_response'],
    ['access_token an object', (b) => json({ ...b, access_token: { value: b.access_token } }), 'invalid_response'],
    ['access_token null', (b) => json({ ...b, access_token: null }), 'invalid_response'],
    ['no access_token', (b) => json(without(b, 'access_token')), 'invalid_response'],
    ['token_type "mac"', (b) => json({ ...b, token_type: 'mac' }), 'invalid_response'],
    ['no token_type', (b) => json(without(b, 'token_type')), 'invalid_response'],
  ];

  it.each(cases)('%s: 502 %s… and nothing after the one token request', async (_name, respond, code) => {
    op.scenario = { token: { respond } };
    const walk = await login();
    expectRefused(walk, 502, code);
    await expectOneTokenRequestOnly(walk);
    // No login has succeeded on this app yet, so its keys were never read: the
    // missing JWKS request above is not a cache hit.
    expect(op.count(HOSTILE_PATHS.jwks)).toBe(0);
  });

  it('a 302 is not followed: 502, and the redirect target never sees a request', async () => {
    op.scenario = { token: { respond: (b) => ({ status: 302, body: JSON.stringify(b), headers: { location: `${op.origin}/token-elsewhere` } }) } };
    const walk = await login();
    expectRefused(walk, 502, 'invalid_response');
    await expectOneTokenRequestOnly(walk);
    expect(op.count('/token-elsewhere')).toBe(0);
  });
});

describe('token responses accepted on purpose', () => {
  it('token_type "bEARER"', async () => {
    op.scenario = { token: { edit: (b) => (b.token_type = 'bEARER') } };
    const walk = await login();
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    const { token } = walk.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth;
    expect(token.access_token).toBe(op.exchanges.at(-1)?.accessToken);
  });

  it('no expires_in: accepted, and no expires_at is made up', async () => {
    op.scenario = { token: { edit: (b) => delete b.expires_in } };
    const walk = await login();
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    const { token } = walk.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth;
    expect(token.access_token).toBe(op.exchanges.at(-1)?.accessToken);
    expect(token.expires_in).toBeUndefined();
    expect(token.expires_at).toBeUndefined();
  });

  it('expires_in present: expires_at is filled in', async () => {
    const before = Math.floor(Date.now() / 1000);
    const walk = await login();
    const { token } = walk.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth;
    expect(token.expires_at).toBeGreaterThanOrEqual(before + 3600);
    expect(token.expires_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
  });
});

describe('claims smuggled into the token response', () => {
  it('a "userinfo" member next to a valid ID token: the user is the ID token\'s', async () => {
    op.scenario = { token: { edit: (b) => (b.userinfo = { sub: 'admin', email: 'admin@victim.example' }) } };
    const walk = await login();
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    const { oauth } = walk.callback!.json<{ oauth: { token: OAuth2Token; userinfo: { sub: string; email: string } } }>();
    expect(oauth.userinfo).toMatchObject({ sub: 'user-1', email: 'user@hostile.test' });
    expect(oauth.token.userinfo).toMatchObject({ sub: 'user-1' });
  });

  it('without openid: neither a "userinfo" member nor a "__proto__" member becomes the user', async () => {
    const plain = await startTestApp({ platform: 'express', client: { ...op.client, scope: 'profile' }, logger: logs });
    try {
      op.scenario = {
        token: {
          respond: (b) => ({
            status: 200,
            body: `{"access_token":${JSON.stringify(b.access_token)},"token_type":"Bearer","userinfo":{"sub":"admin"},"__proto__":{"userinfo":{"sub":"root"}}}`,
          }),
        },
      };
      const walk = await login(plain);
      expect(walk.callback?.status, walk.callback?.text).toBe(200);
      const { oauth } = walk.callback!.json<{ oauth: { token: Record<string, unknown>; userinfo?: unknown } }>();
      expect(oauth.userinfo).toBeUndefined();
      expect(oauth.token.access_token).toBe(op.exchanges.at(-1)?.accessToken);
      expect(oauth.token.userinfo).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('userinfo', () => {
  it('a sub other than the ID token\'s is invalid_userinfo, and nothing follows the one userinfo request', async () => {
    const walk = await login();
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    const { token } = walk.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth;
    const client = app.app.get(OAuthRegistry).get('op') as OAuth2Client;
    await expect(client.userinfo({ token })).resolves.toMatchObject({ sub: 'user-1' });

    op.scenario = { userinfo: { claims: (c) => (c.sub = 'user-2') } };
    const mark = op.mark();
    const failure = await client.userinfo({ token }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(OAuthError);
    expect((failure as OAuthError).code).toBe('invalid_userinfo');
    expect((failure as OAuthError).message).toBe('The userinfo "sub" differs from the ID token\'s; the answer is refused.');
    for (const secret of op.secrets()) expect((failure as OAuthError).message.includes(secret)).toBe(false);
    await settle();
    expect(op.linesSince(mark)).toEqual([`GET ${HOSTILE_PATHS.userinfo}`]);
  });
});
