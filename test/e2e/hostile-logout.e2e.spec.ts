/**
 * Back-channel logout requests from a hostile provider, through `OAuthLogoutGuard`
 * on Express and Fastify: each rule of OpenID Back-Channel Logout 1.0 section 2.6
 * (and of the request's form) broken one at a time answers 400 `invalid_request`
 * with `Cache-Control: no-store`, emits nothing on `logout$` and leaks no token;
 * a good logout token sent right after is accepted.
 */
import { Controller, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuthLogoutGuard,
  OAuthRegistry,
  OAuthValidationError,
  type LogoutEvent,
  type OAuth2Client,
  type OAuthLogout,
} from '../../lib/index.js';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  LogCapture,
  startHostileProvider,
  type HostileProvider,
  type LogoutTokenScenario,
} from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

const BACKCHANNEL_PATH = '/auth/op/backchannel';
const FORM = 'application/x-www-form-urlencoded';

@Controller()
class LogoutController {
  @Post(BACKCHANNEL_PATH)
  @HttpCode(200)
  @UseGuards(OAuthLogoutGuard('op'))
  backchannel(@Req() req: { oauth?: { logout?: OAuthLogout } }): { logout: OAuthLogout | null } {
    return { logout: req.oauth?.logout ?? null };
  }
}

@Module({ controllers: [LogoutController] })
class LogoutModule {}

interface RawRequest {
  body: string;
  contentType?: string;
}

const form = (fields: Record<string, string>): RawRequest => ({ body: new URLSearchParams(fields).toString(), contentType: FORM });
const jtiOf = (jwt: string): string => (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

/** Logout tokens that break exactly one rule. */
const refusedTokens: Array<[string, LogoutTokenScenario]> = [
  ['a bad signature (bytes altered)', { forge: 'altered-signature' }],
  ['signed by a key the provider never published, under its kid', { signWith: 'spareRsa', header: (h, ctx) => (h.kid = ctx.keys.rsa.kid) }],
  ['alg none', { forge: 'alg-none' }],
  ['HS256 keyed with the provider public key (PEM)', { forge: 'hs256-public-pem' }],
  ['HS256 keyed with the provider public key (JWK)', { forge: 'hs256-public-jwk' }],
  ['HS256 keyed with the client secret, HS256 not configured', { forge: 'hs256-client-secret' }],
  ['not a JWS at all', { replace: () => 'not-a.jwt' }],
  ['a wrong iss', { claims: (c) => (c.iss = 'https://issuer.evil.example') }],
  ['no iss', { claims: (c) => delete c.iss }],
  ['a wrong aud', { claims: (c) => (c.aud = 'another-client') }],
  ['aud a list without this client', { claims: (c) => (c.aud = ['another-client']) }],
  ['no aud', { claims: (c) => delete c.aud }],
  ['no events', { claims: (c) => delete c.events }],
  ['a wrong event', { claims: (c) => (c.events = { 'http://schemas.openid.net/event/session-revoked': {} }) }],
  ['the event member not an object', { claims: (c) => (c.events = { [BACKCHANNEL_LOGOUT_EVENT]: 'logout' }) }],
  ['events a list naming the event', { claims: (c) => (c.events = [BACKCHANNEL_LOGOUT_EVENT]) }],
  ['neither sub nor sid', { claims: (c) => (delete c.sub, delete c.sid) }],
  ['sub a number', { claims: (c) => (c.sub = 12345) }],
  ['sid an empty string', { claims: (c) => (c.sid = '') }],
  ['a nonce present', { claims: (c) => (c.nonce = 'n-0S6_WzA2Mj') }],
  ['expired (exp 10 minutes past)', { claims: (c, ctx) => (c.exp = ctx.now - 600) }],
  ['exp a string', { claims: (c, ctx) => (c.exp = String(ctx.now + 120)) }],
  ['no iat', { claims: (c) => delete c.iat }],
  ['iat an hour ahead', { claims: (c, ctx) => (c.iat = ctx.now + 3600) }],
  ['no exp and iat 10 minutes past', { claims: (c, ctx) => (delete c.exp, (c.iat = ctx.now - 600)) }],
  ['no jti', { claims: (c) => delete c.jti }],
  ['jti a number', { claims: (c) => (c.jti = 7) }],
];

const BOTH: Partial<OAuthLogout> = { sub: 'user-1', sid: 'hostile-sid-1' };

/** Logout tokens a careful client must still accept. */
const acceptedTokens: Array<[string, LogoutTokenScenario, Partial<OAuthLogout>]> = [
  ['sub and sid', {}, BOTH],
  ['sid only', { claims: (c) => delete c.sub }, { sid: 'hostile-sid-1' }],
  ['sub only', { claims: (c) => delete c.sid }, { sub: 'user-1' }],
  ['no exp (optional), issued now', { claims: (c) => delete c.exp }, BOTH],
  ['no typ header', { header: (h) => delete h.typ }, BOTH],
  ['signed with ES256 (allowed by discovery)', { signWith: 'ec' }, BOTH],
  ['aud a list with this client', { claims: (c, ctx) => (c.aud = [ctx.clientId]) }, BOTH],
];

describe.each(PLATFORMS)('hostile back-channel logouts on %s', (platform) => {
  let op: HostileProvider;
  let t: TestApp;
  const logs = new LogCapture();
  const events: LogoutEvent[] = [];

  beforeAll(async () => {
    op = await startHostileProvider();
    t = await startTestApp({ platform, client: op.client, imports: [LogoutModule], logger: logs });
    t.app.get(OAuthRegistry).logout$.subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    await t.close();
    await op.close();
  });
  afterEach(() => op.reset());

  const send = (req: RawRequest): Promise<Response> =>
    fetch(`${t.origin}${BACKCHANNEL_PATH}`, {
      method: 'POST',
      headers: req.contentType === undefined ? {} : { 'content-type': req.contentType },
      // fetch labels a string body text/plain; bytes go out with no content type at all.
      body: req.contentType === undefined ? new TextEncoder().encode(req.body) : req.body,
    });

  /** 400 invalid_request, no-store, nothing emitted, no token in the answer or the logs. */
  async function expectRefused(req: RawRequest): Promise<void> {
    const before = events.length;
    const res = await send(req);
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
    expect(body).toMatchObject({ statusCode: 400, error: 'invalid_request', message: expect.any(String) });
    expect(events).toHaveLength(before);
    const logged = logs.lines.join('\n');
    for (const secret of op.secrets()) {
      expect(text.includes(secret), 'a token or secret is in the answer').toBe(false);
      expect(logged.includes(secret), 'a token or secret is in a log line').toBe(false);
    }
  }

  /** 200, no-store, `req.oauth.logout` set and exactly one event emitted, both with `expected`. */
  async function expectAccepted(jwt: string, expected: Partial<OAuthLogout> = { sub: 'user-1', sid: 'hostile-sid-1' }): Promise<void> {
    const before = events.length;
    const res = await send(form({ logout_token: jwt }));
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const logout = { client: 'op', iss: op.origin, jti: jtiOf(jwt), ...expected };
    expect((JSON.parse(text) as { logout: OAuthLogout }).logout).toEqual(logout);
    expect(events.slice(before)).toEqual([{ name: 'op', ...logout }]);
  }

  const goodOneAfter = async (): Promise<void> => expectAccepted(await op.signLogoutToken());

  it.each(refusedTokens)('a logout token with %s: 400, nothing emitted; a good one right after is accepted', async (_name, scenario) => {
    await expectRefused(form({ logout_token: await op.signLogoutToken(scenario) }));
    await goodOneAfter();
  });

  it.each(acceptedTokens)('a logout token with %s is accepted', async (_name, scenario, expected) => {
    await expectAccepted(await op.signLogoutToken(scenario), expected);
  });

  it('a replayed logout token (same jti): 400 and nothing emitted the second time; a good one right after is accepted', async () => {
    const jwt = await op.signLogoutToken();
    await expectAccepted(jwt);
    await expectRefused(form({ logout_token: jwt }));
    // A new token reusing the jti of the accepted one is a replay too.
    const jti = jtiOf(jwt);
    await expectRefused(form({ logout_token: await op.signLogoutToken({ claims: (c) => (c.jti = jti) }) }));
    await goodOneAfter();
  });

  const refusedRequests: Array<[string, (jwt: string) => RawRequest]> = [
    ['a JSON body', (jwt) => ({ body: JSON.stringify({ logout_token: jwt }), contentType: 'application/json' })],
    ['a form body labelled text/plain', (jwt) => ({ body: `logout_token=${jwt}`, contentType: 'text/plain' })],
    ['an empty body', () => ({ body: '', contentType: FORM })],
    ['a form without logout_token', (jwt) => form({ id_token: jwt })],
    ['an empty logout_token', () => form({ logout_token: '' })],
    ['two logout_token fields', (jwt) => ({ body: `logout_token=${jwt}&logout_token=${jwt}`, contentType: FORM })],
    ['a JSON text sent as a form', (jwt) => ({ body: JSON.stringify({ logout_token: jwt }), contentType: FORM })],
    ['an oversized body (20 KB beside a valid token)', (jwt) => form({ logout_token: jwt, padding: 'a'.repeat(20_000) })],
    ['an oversized logout_token (20 KB)', (jwt) => form({ logout_token: jwt + 'a'.repeat(20_000) })],
  ];

  it.each(refusedRequests)('%s: 400, nothing emitted; a good one right after is accepted', async (_name, make) => {
    const jwt = await op.signLogoutToken();
    await expectRefused(make(jwt));
    // The refused request used up nothing: the very token it carried is still accepted.
    await expectAccepted(jwt);
    await goodOneAfter();
  });

  it('a body with no content type or an unparsed one: refused before the guard on Fastify (415), 400 on Express; nothing emitted', async () => {
    const jwt = await op.signLogoutToken();
    for (const contentType of [undefined, 'application/xml']) {
      const before = events.length;
      if (platform === 'fastify') {
        // Fastify answers 415 for a media type it has no parser for, before any route code runs.
        const res = await send({ body: `logout_token=${jwt}`, ...(contentType === undefined ? {} : { contentType }) });
        expect(res.status, await res.text()).toBe(415);
        expect(events).toHaveLength(before);
      } else {
        await expectRefused({ body: `logout_token=${jwt}`, ...(contentType === undefined ? {} : { contentType }) });
      }
    }
    await expectAccepted(jwt);
  });

  it('a form content type with a charset parameter is a form', async () => {
    const jwt = await op.signLogoutToken();
    const before = events.length;
    const res = await send({ body: `logout_token=${jwt}`, contentType: `${FORM}; charset=UTF-8` });
    expect(res.status, await res.text()).toBe(200);
    expect(events).toHaveLength(before + 1);
  });

  it('verifyLogoutToken refuses with invalid_logout_token and emits nothing; accepts and emits a good one once', async () => {
    const client = t.app.get(OAuthRegistry).get<OAuth2Client>('op');
    const before = events.length;
    const bad = await client.verifyLogoutToken(await op.signLogoutToken({ claims: (c) => (c.nonce = 'x') })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OAuthValidationError);
    expect(bad).toMatchObject({ code: 'invalid_logout_token', message: expect.stringContaining('nonce') });
    expect(events).toHaveLength(before);

    const jwt = await op.signLogoutToken();
    const event = await client.verifyLogoutToken(jwt);
    expect(event).toEqual({ name: 'op', client: 'op', iss: op.origin, sub: 'user-1', sid: 'hostile-sid-1', jti: jtiOf(jwt) });
    expect(events.slice(before)).toEqual([event]);
    await expect(client.verifyLogoutToken(jwt)).rejects.toMatchObject({ code: 'invalid_logout_token' });
    expect(events).toHaveLength(before + 1);
  });

  it('logoutUrl: a provider without end_session_endpoint is logout_not_supported', async () => {
    const client = t.app.get(OAuthRegistry).get<OAuth2Client>('op');
    await expect(client.logoutUrl()).rejects.toMatchObject({ name: 'OAuthUsageError', code: 'logout_not_supported' });
  });
});
