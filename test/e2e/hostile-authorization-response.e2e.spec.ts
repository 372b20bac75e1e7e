/**
 * Hostile authorization responses through the guard, on Express and Fastify (the
 * callback's parameters are parsed per platform): a state that is missing, altered,
 * repeated, prototype-shaped or another browser's; an RFC 9207 `iss` that is wrong,
 * missing while advertised, or another provider's (mix-up); tokens in the callback
 * (implicit/hybrid); a state or code of several KB. Each is refused before anything
 * reaches the provider. Also a discovery document naming another issuer (no
 * authorization request is ever made) and oversized browser input at login.
 */
import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { HOSTILE_PATHS, LogCapture, settle, startHostileProvider, walkLogin, type HostileProvider, type LoginWalk } from '../support/hostile-provider.js';

let op: HostileProvider;
/** A second provider sharing the client id: the "honest-looking" other side of a mix-up. */
let other: HostileProvider;
const logs = new LogCapture();

beforeAll(async () => {
  op = await startHostileProvider();
  other = await startHostileProvider({ clientId: op.clientId, clientSecret: op.clientSecret });
});
afterAll(async () => {
  await op.close();
  await other.close();
});
afterEach(() => {
  op.reset();
  other.reset();
});

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

function expectRefused(res: LoginWalk['callback'], status: number, error: string, secrets: string[] = op.secrets()): void {
  expect(res, 'the walk stopped before the callback').toBeDefined();
  expect(res!.status, res!.text).toBe(status);
  const body = res!.json<ErrorBody>();
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
  expect(body).toMatchObject({ statusCode: status, error });
  expect(body.message).toEqual(expect.any(String));
  const logged = logs.lines.join('\n');
  for (const secret of secrets) {
    expect(res!.text.includes(secret), 'a code, token or secret is in the answer').toBe(false);
    expect(logged.includes(secret), 'a code, token or secret is in a log line').toBe(false);
  }
}

/** Nothing at all reached the provider since `mark`, even a moment later. */
async function expectSilence(provider: HostileProvider, mark: number): Promise<void> {
  await settle();
  expect(provider.linesSince(mark)).toEqual([]);
}

function expectLoggedIn(res: LoginWalk['callback']): void {
  expect(res?.status, res?.text).toBe(200);
  expect(res!.json<{ oauth: { client: string; userinfo: { sub: string } } }>().oauth).toMatchObject({ client: 'op', userinfo: { sub: 'user-1' } });
}

const realState = (u: URL) => u.searchParams.get('state')!;

describe.each(PLATFORMS)('authorization responses on %s', (platform) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ platform, client: op.client, logger: logs });
  });
  afterAll(async () => {
    await app.close();
  });
  const walk = (editCallback?: (u: URL) => URL | void, browser = new Browser()) => walkLogin(browser, `${app.origin}/auth/op`, op, { editCallback });

  it('an untouched response logs in (control), and the log capture is wired', async () => {
    expectLoggedIn((await walk()).callback);
    new Logger('probe').warn('probe line');
    expect(logs.lines.at(-1)).toBe('warn probe line probe');
  });

  const refused: Array<[string, (u: URL) => void, number, string]> = [
    ['state missing', (u) => u.searchParams.delete('state'), 401, 'mismatching_state'],
    ['state empty', (u) => u.searchParams.set('state', ''), 401, 'mismatching_state'],
    ['state altered by one character', (u) => u.searchParams.set('state', `${realState(u).slice(0, -1)}${realState(u).endsWith('A') ? 'B' : 'A'}`), 401, 'mismatching_state'],
    ['state duplicated (same value twice)', (u) => u.searchParams.append('state', realState(u)), 401, 'mismatching_state'],
    ['state duplicated (a second, forged value)', (u) => u.searchParams.append('state', 'forged'), 401, 'mismatching_state'],
    ['state "__proto__"', (u) => u.searchParams.set('state', '__proto__'), 401, 'mismatching_state'],
    ['state "constructor"', (u) => u.searchParams.set('state', 'constructor'), 401, 'mismatching_state'],
    ['state "hasOwnProperty"', (u) => u.searchParams.set('state', 'hasOwnProperty'), 401, 'mismatching_state'],
    [
      'state sent as state[] (array syntax)',
      (u) => {
        const s = realState(u);
        u.searchParams.delete('state');
        u.searchParams.set('state[]', s);
      },
      401,
      'mismatching_state',
    ],
    [
      'state sent as state[__proto__]',
      (u) => {
        const s = realState(u);
        u.searchParams.delete('state');
        u.searchParams.set('state[__proto__]', s);
      },
      401,
      'mismatching_state',
    ],
    ['iss wrong', (u) => u.searchParams.set('iss', 'https://issuer.evil.example'), 401, 'invalid_issuer'],
    ['iss with a trailing slash', (u) => u.searchParams.set('iss', `${op.origin}/`), 401, 'invalid_issuer'],
    ['iss in upper case', (u) => u.searchParams.set('iss', op.origin.toUpperCase()), 401, 'invalid_issuer'],
    ['iss missing although the provider advertises it', (u) => u.searchParams.delete('iss'), 401, 'invalid_issuer'],
    ['iss repeated with another value', (u) => u.searchParams.append('iss', 'https://issuer.evil.example'), 401, 'invalid_issuer'],
    ['an access_token in the callback (implicit)', (u) => u.searchParams.set('access_token', 'injected-access-token'), 400, 'invalid_request'],
    ['an id_token in the callback (hybrid)', (u) => u.searchParams.set('id_token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'), 400, 'invalid_request'],
    [
      'an implicit response: access_token and token_type, no code',
      (u) => {
        u.searchParams.delete('code');
        u.searchParams.set('access_token', 'injected-access-token');
        u.searchParams.set('token_type', 'Bearer');
      },
      400,
      'invalid_request',
    ],
    ['code missing', (u) => u.searchParams.delete('code'), 400, 'invalid_request'],
    ['code repeated', (u) => u.searchParams.append('code', 'second-code'), 400, 'invalid_request'],
    ['a state over 4 KB', (u) => u.searchParams.set('state', 'x'.repeat(5000)), 400, 'invalid_request'],
    ['a code over 4 KB', (u) => u.searchParams.set('code', '.'.repeat(5000)), 400, 'invalid_request'],
  ];

  it.each(refused)('%s: refused, nothing reaches the provider', async (_name, edit, status, code) => {
    const w = await walk(edit);
    expectRefused(w.callback, status, code);
    await expectSilence(op, w.mark);
  });

  it("the provider's error with the real state: 401 with its code, nothing reaches the provider", async () => {
    const w = await walk((u) => {
      u.searchParams.delete('code');
      u.searchParams.set('error', 'access_denied');
      u.searchParams.set('error_description', 'The user declined');
    });
    expectRefused(w.callback, 401, 'access_denied');
    expect(w.callback!.json<ErrorBody>().message).toBe('The provider refused the authorization: access_denied.');
    await expectSilence(op, w.mark);
  });

  it.each(['invalid_request', 'invalid_config', 'server_error'])(
    'the provider error "%s" with the real state: 401 with that code',
    async (code) => {
      const w = await walk((u) => {
        u.searchParams.delete('code');
        u.searchParams.set('error', code);
      });
      expectRefused(w.callback, 401, code);
      await expectSilence(op, w.mark);
    },
  );

  it('an error next to a code: the error wins and the code is never exchanged', async () => {
    const w = await walk((u) => u.searchParams.set('error', 'access_denied'));
    expectRefused(w.callback, 401, 'access_denied');
    await expectSilence(op, w.mark);
  });

  it('a forged state with a wrong iss is a state error (state is checked first)', async () => {
    const w = await walk((u) => {
      u.searchParams.set('state', 'forged');
      u.searchParams.set('iss', 'https://issuer.evil.example');
    });
    expectRefused(w.callback, 401, 'mismatching_state');
    await expectSilence(op, w.mark);
  });

  it('code injection: an earlier login\'s code on a new pending login is refused by PKCE at the provider', async () => {
    const browser = new Browser();
    let first: URL | undefined;
    await walk((u) => {
      first = new URL(u);
      return new URL(`${app.origin}/health`);
    }, browser);
    const w = await walk((u) => {
      u.searchParams.set('code', first!.searchParams.get('code')!);
    }, browser);
    expectRefused(w.callback, 401, 'invalid_grant');
    expect(op.exchanges.at(-1)?.refusal).toBe('invalid_grant');
    await settle();
    expect(op.linesSince(w.mark)).toEqual([`POST ${HOSTILE_PATHS.token}`]);
  });

  it('an error with a forged state is a state error and leaves the real pending login alone', async () => {
    const browser = new Browser();
    let genuine: URL | undefined;
    const w = await walk((u) => {
      genuine = new URL(u);
      return new URL(`${app.origin}/auth/op?error=access_denied&state=forged&iss=${encodeURIComponent(op.origin)}`);
    }, browser);
    expectRefused(w.callback, 401, 'mismatching_state');
    await expectSilence(op, w.mark);
    const back = await browser.get(genuine!.toString());
    expectLoggedIn(back);
  });

  it("another browser's callback (no pending login there): mismatching_state, nothing sent", async () => {
    let stolen: URL | undefined;
    await walk((u) => {
      stolen = new URL(u);
      // The victim never arrives; the attacker's browser delivers it.
      return new URL(`${app.origin}/health`);
    });
    const mark = op.mark();
    const res = await new Browser().get(stolen!.toString());
    expectRefused(res, 401, 'mismatching_state');
    await expectSilence(op, mark);
  });

  it('a replayed callback: mismatching_state, and no second token request', async () => {
    const browser = new Browser();
    const w = await walk(undefined, browser);
    expectLoggedIn(w.callback);
    const mark = op.mark();
    const again = await browser.get(w.callbackUrl!.toString());
    expectRefused(again, 401, 'mismatching_state');
    await expectSilence(op, mark);
  });

  it('the same callback five times at once: one login, four state errors, one token request', async () => {
    const browser = new Browser();
    let genuine: URL | undefined;
    await walk((u) => {
      genuine = new URL(u);
      return new URL(`${app.origin}/health`);
    }, browser);
    const mark = op.mark();
    const answers = await Promise.all(Array.from({ length: 5 }, () => browser.get(genuine!.toString())));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    for (const a of answers.filter((x) => x.status === 401)) expectRefused(a, 401, 'mismatching_state');
    await settle();
    expect(op.count(HOSTILE_PATHS.token, mark)).toBe(1);
    expect(op.count(HOSTILE_PATHS.userinfo, mark)).toBe(0);
  });

  it('a __proto__ and a constructor parameter next to a genuine response change nothing', async () => {
    const w = await walk((u) => {
      u.searchParams.append('__proto__', 'polluted');
      u.searchParams.append('constructor', 'polluted');
      u.searchParams.append('__proto__[state]', 'polluted');
    });
    expectLoggedIn(w.callback);
  });

  it('a form_post body with a code of 100 000 dots is refused without a 500; in a query it is cut at the header limit', async () => {
    const browser = new Browser();
    let genuine: URL | undefined;
    await walk((u) => {
      genuine = new URL(u);
      return new URL(`${app.origin}/health`);
    }, browser);
    const mark = op.mark();
    const res = await browser.request(`${app.origin}/auth/op`, {
      method: 'POST',
      body: new URLSearchParams({ state: realState(genuine!), iss: op.origin, code: '.'.repeat(100_000) }),
    });
    expect([400, 413], res.text).toContain(res.status);
    // The same code in the query is cut by Node's header limit (431), also not a 500.
    const long = await browser.get(`${genuine!.toString()}&code=${'.'.repeat(100_000)}`);
    expect(long.status).toBe(431);
    await expectSilence(op, mark);
  });

  it('a form_post body whose state differs from the query state: mismatching_state, nothing sent', async () => {
    const browser = new Browser();
    let genuine: URL | undefined;
    await walk((u) => {
      genuine = new URL(u);
      return new URL(`${app.origin}/health`);
    }, browser);
    const mark = op.mark();
    const res = await browser.request(genuine!.toString(), {
      method: 'POST',
      body: new URLSearchParams({ state: 'forged', code: genuine!.searchParams.get('code')!, iss: op.origin }),
    });
    expectRefused(res, 401, 'mismatching_state');
    await expectSilence(op, mark);
  });

  it("mix-up: provider Y's code, state and iss arriving on provider X's pending login", async () => {
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/auth/op`);
    expect(login.status).toBe(302);
    // The same authorization request, answered by Y instead of X.
    const yAuthorize = await browser.get(login.location!.replace(op.origin, other.origin));
    const callback = new URL(yAuthorize.location!);
    expect(callback.searchParams.get('iss')).toBe(other.origin);
    const [markX, markY] = [op.mark(), other.mark()];
    const res = await browser.get(callback.toString());
    expectRefused(res, 401, 'invalid_issuer', [...op.secrets(), ...other.secrets()]);
    await expectSilence(op, markX);
    await expectSilence(other, markY);
  });

  it("mix-up: Y's code without any iss, X advertising iss", async () => {
    other.scenario = { authorize: { iss: null } };
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/auth/op`);
    const yAuthorize = await browser.get(login.location!.replace(op.origin, other.origin));
    const [markX, markY] = [op.mark(), other.mark()];
    const res = await browser.get(yAuthorize.location!);
    expectRefused(res, 401, 'invalid_issuer', [...op.secrets(), ...other.secrets()]);
    await expectSilence(op, markX);
    await expectSilence(other, markY);
  });
});

describe('two clients of one provider on one app', () => {
  it("a callback of client A's login delivered to client B's route: mismatching_state, nothing sent", async () => {
    const app = await startTestApp({
      platform: 'express',
      routes: [
        { path: '/auth/a', client: 'a' },
        { path: '/auth/b', client: 'b' },
      ],
      oauth: { clients: { a: op.client, b: op.client } },
      logger: logs,
    });
    try {
      const browser = new Browser();
      const w = await walkLogin(browser, `${app.origin}/auth/a`, op, {
        editCallback: (u) => {
          u.pathname = '/auth/b';
        },
      });
      expectRefused(w.callback, 401, 'mismatching_state');
      await expectSilence(op, w.mark);
    } finally {
      await app.close();
    }
  });
});

describe('a provider that does not advertise the iss parameter', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it.each(PLATFORMS)('on %s: no iss is accepted, a wrong iss is still refused', async (platform) => {
    op.scenario = { discovery: { issParameterSupported: false }, authorize: { iss: null } };
    app = await startTestApp({ platform, client: op.client, logger: logs });
    const ok = await walkLogin(new Browser(), `${app.origin}/auth/op`, op);
    expectLoggedIn(ok.callback);
    op.scenario = { discovery: { issParameterSupported: false }, authorize: { iss: 'https://issuer.evil.example' } };
    const bad = await walkLogin(new Browser(), `${app.origin}/auth/op`, op);
    expectRefused(bad.callback, 401, 'invalid_issuer');
    await expectSilence(op, bad.mark);
  });
});

describe('a discovery document naming another issuer', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('the login answers 502 and no authorization request is ever made', async () => {
    op.scenario = { discovery: { issuer: 'https://accounts.evil.example' } };
    app = await startTestApp({ platform: 'express', client: op.client, logger: logs });
    const authorizations = op.authorizations.length;
    const mark = op.mark();
    for (let i = 0; i < 2; i++) {
      const res = await new Browser().get(`${app.origin}/auth/op`);
      expect(res.status, res.text).toBe(502);
      expect(res.location).toBeUndefined();
      expect(res.json<ErrorBody>()).toMatchObject({ statusCode: 502, error: 'invalid_server_metadata' });
    }
    await settle();
    expect(op.authorizations).toHaveLength(authorizations);
    expect(op.count(HOSTILE_PATHS.authorize, mark)).toBe(0);
    expect(new Set(op.linesSince(mark))).toEqual(new Set([`GET ${HOSTILE_PATHS.discovery}`]));
    // The refusal is not remembered as a fact about the provider: once the document is right, logins work.
    op.reset();
    expectLoggedIn((await walkLogin(new Browser(), `${app.origin}/auth/op`, op)).callback);
  });
});

describe('oversized browser input at login', () => {
  it.each(PLATFORMS)('on %s: a next of 3 000 characters is no 500, and the login goes on', async (platform) => {
    const app = await startTestApp({ platform, client: op.client, logger: logs });
    try {
      const browser = new Browser();
      const login = await browser.get(`${app.origin}/auth/op?next=/${'a'.repeat(3000)}`);
      expect(login.status, login.text).toBe(302);
      expect(login.location?.startsWith(op.origin + HOSTILE_PATHS.authorize)).toBe(true);
      const authorize = await browser.get(login.location!);
      const done = await browser.get(authorize.location!);
      expectLoggedIn(done);
    } finally {
      await app.close();
    }
  });
});
