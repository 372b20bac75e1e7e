/**
 * Audit item 7: provider-supplied strings (a discovery `issuer`, an ID token's
 * `alg`, error descriptions) reach log lines and error messages escaped (no control
 * characters, so no forged `[Nest] … LOG` lines) and cut to a few hundred
 * characters; the internal discovery URL never reaches an HTTP body.
 */
import { Controller, Get, Injectable, Module, Req, UseGuards, type HttpException } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuthError, OAuthGuard, type OAuthResult } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { LogCapture, startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

let op: HostileProvider;
const logs = new LogCapture();
/** Errors the recording guard saw, newest last. */
const seen: OAuthError[] = [];

/** A forged Nest log line, as a provider would slip it into a string. */
const FORGED = '\n[Nest] 4242  - 01/01/2030, 00:00:00     LOG [OAuthGuard] user admin logged in\r\n\u2028\u0085\u202eevil\u2066';
/** Control characters, line separators, and bidi controls (which reorder what a reader sees). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

@Injectable()
class RecordingGuard extends OAuthGuard('op') {
  protected override handleError(err: unknown): HttpException {
    if (err instanceof OAuthError) seen.push(err);
    return super.handleError(err);
  }
}

@Controller()
class RecordingController {
  @Get('auth/rec')
  @UseGuards(RecordingGuard)
  rec(@Req() req: { oauth?: OAuthResult }): unknown {
    return { oauth: req.oauth ?? null };
  }
}

@Module({ controllers: [RecordingController] })
class RecordingModule {}

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});

/** No log line or message carries a control character or runs past a few hundred characters. */
function expectCleanText(...texts: string[]): void {
  for (const text of [...texts, ...logs.lines]) {
    expect(CONTROL.test(text), JSON.stringify(text.slice(0, 200))).toBe(false);
    expect(text.length, text.slice(0, 200)).toBeLessThan(1000);
  }
}

describe.each(PLATFORMS)('provider strings on %s', (platform) => {
  let app: TestApp | undefined;
  beforeEach(() => {
    logs.lines.length = 0;
    seen.length = 0;
  });
  afterEach(async () => {
    op.reset();
    await app?.close();
    app = undefined;
  });

  async function start(): Promise<TestApp> {
    app = await startTestApp({ platform, oauth: { clients: { op: op.client } }, imports: [RecordingModule], logger: logs });
    return app;
  }

  it('a discovery issuer with a forged log line and 20,000 characters: 502, escaped and cut, no discovery URL', async () => {
    op.scenario = { discovery: { issuer: `https://accounts.evil.example/${FORGED}${'x'.repeat(20_000)}` } };
    const a = await start();
    const res = await new Browser().get(`${a.origin}/auth/rec`);
    expect(res.status, res.text).toBe(502);
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe('invalid_server_metadata');
    expect(res.text).not.toContain(op.discoveryUrl);
    expect(res.text).not.toContain('/.well-known/');
    expect(body.message).toContain('https://accounts.evil.example/');
    expectCleanText(body.message, seen[0]!.message);
    expect(logs.lines.length).toBeGreaterThan(0);
  });

  it("an ID token's alg with a forged log line: 401 invalid_id_token, escaped and cut", async () => {
    op.scenario = { idToken: { forge: 'hand-signed', header: (h) => (h.alg = `RS256${FORGED}${'A'.repeat(20_000)}`) } };
    const a = await start();
    const walk = await walkLogin(new Browser(), `${a.origin}/auth/rec`, op);
    expect(walk.callback?.status, walk.callback?.text).toBe(401);
    const body = walk.callback!.json<{ error: string; message: string }>();
    expect(body.error).toBe('invalid_id_token');
    expect(body.message).toContain('RS256');
    expectCleanText(body.message, seen[0]!.message);
  });

  it("the token endpoint's error_description and error_uri: kept on the error, escaped and cut", async () => {
    op.scenario = {
      token: {
        respond: {
          status: 400,
          body: JSON.stringify({ error: 'invalid_grant', error_description: `bad code${FORGED}${'d'.repeat(20_000)}`, error_uri: `https://e.example/${FORGED}${'u'.repeat(20_000)}` }),
        },
      },
    };
    const a = await start();
    const walk = await walkLogin(new Browser(), `${a.origin}/auth/rec`, op);
    expect(walk.callback?.status, walk.callback?.text).toBe(401);
    expect(walk.callback!.json()).toMatchObject({ error: 'invalid_grant' });
    const err = seen[0]!;
    expect(err.description?.startsWith('bad code')).toBe(true);
    expect(err.uri?.startsWith('https://e.example/')).toBe(true);
    expectCleanText(err.message, err.description!, err.uri!);
  });

  it("the authorization response's error_description: kept on the error, escaped and cut (control)", async () => {
    const a = await start();
    const walk = await walkLogin(new Browser(), `${a.origin}/auth/rec`, op, {
      editCallback: (u) => {
        u.searchParams.delete('code');
        u.searchParams.set('error', 'access_denied');
        u.searchParams.set('error_description', `no${FORGED}${'d'.repeat(3_000)}`);
      },
    });
    expect(walk.callback?.status, walk.callback?.text).toBe(401);
    const err = seen[0]!;
    expect(err.description?.startsWith('no')).toBe(true);
    expectCleanText(err.message, err.description!);
  });
});

/**
 * Found in the fresh pass: with `OAuthGuard((req) => name)` and no `resolveClient`,
 * an unknown name taken from the URL went unescaped into the 500 message and the
 * log line (a `%0A` forged a log line), and the message listed every configured
 * client to whoever asked.
 */
@Controller()
class PerRequestController {
  @Get('t/:provider/login')
  @UseGuards(OAuthGuard((req) => String(req.params.provider)))
  login(): unknown {
    return { ok: true };
  }
}

@Module({ controllers: [PerRequestController] })
class PerRequestModule {}

describe.each(PLATFORMS)('a client name taken from the request on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('an unknown one is a 500 whose message and log line are escaped and name no configured client', async () => {
    logs.lines.length = 0;
    app = await startTestApp({ platform, oauth: { clients: { 'internal-admin-sso': op.client } }, imports: [PerRequestModule], logger: logs });
    const res = await new Browser().get(`${app.origin}/t/${encodeURIComponent(`x${FORGED}`)}/login`);
    expect(res.status, res.text).toBe(500);
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe('invalid_config');
    expect(res.text).not.toContain('internal-admin-sso');
    expectCleanText(body.message);
    expect(logs.lines.length).toBeGreaterThan(0);
  });
});
