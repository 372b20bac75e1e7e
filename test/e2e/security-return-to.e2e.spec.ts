/**
 * Audit items 1 (first half) and 10: what a login's `?next=` may carry into
 * `req.oauth.returnTo`. A `next` over 1,024 characters is dropped (the login goes
 * on without it); C1 controls and U+2028/U+2029 are dropped like C0 ones; what is
 * kept is safe in a `Location` header on both platforms (non-ASCII characters come
 * back percent-encoded, so an app that redirects to it gets no header error).
 */
import { Controller, Get, Module, Redirect, Req, UseGuards } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthGuard, type OAuthResult } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

let op: HostileProvider;

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});
afterEach(() => op.reset());

/** An app route that sends the user back where they came from, as apps do. */
@Controller()
class BackController {
  @Get('auth/back')
  @UseGuards(OAuthGuard('op', { returnTo: true }))
  @Redirect('/', 302)
  back(@Req() req: { oauth?: OAuthResult }): { url: string } {
    return { url: req.oauth?.returnTo ?? '/' };
  }
}

@Module({ controllers: [BackController] })
class BackModule {}

describe.each(PLATFORMS)('returnTo on %s', (platform) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({
      platform,
      routes: [{ path: '/auth/op', client: 'op', options: { returnTo: true } }],
      oauth: { clients: { op: op.client } },
      imports: [BackModule],
    });
  });
  afterAll(async () => {
    await app.close();
  });

  /** Logs in with `next` (already percent-encoded) and answers `req.oauth.returnTo`. */
  async function returnToOf(next: string): Promise<string | undefined> {
    const walk = await walkLogin(new Browser(), `${app.origin}/auth/op?next=${next}`, op);
    expect(walk.login.status, walk.login.text).toBe(302);
    expect(walk.callback?.status, walk.callback?.text).toBe(200);
    const { oauth } = walk.callback!.json<{ oauth: OAuthResult }>();
    expect(oauth.userinfo?.sub).toBe('user-1');
    return oauth.returnTo;
  }

  it('keeps a plain path (control)', async () => {
    expect(await returnToOf(encodeURIComponent('/dashboard?tab=2'))).toBe('/dashboard?tab=2');
  });

  it('keeps a next of exactly 1,024 characters and drops one of 1,025; the login goes on', async () => {
    const at = `/${'a'.repeat(1023)}`;
    expect(await returnToOf(at)).toBe(at);
    expect(await returnToOf(`${at}b`)).toBeUndefined();
  });

  it.each([
    ['U+0085 (NEL, C1)', '/%C2%85/x'],
    ['U+009B (CSI, C1)', '/a%C2%9Bb'],
    ['U+0080 (C1)', '/a%C2%80'],
    ['U+2028 (line separator)', '/a%E2%80%A8b'],
    ['U+2029 (paragraph separator)', '/a%E2%80%A9b'],
  ])('drops a next holding %s', async (_name, next) => {
    expect(await returnToOf(next)).toBeUndefined();
  });

  it('gives non-ASCII characters back percent-encoded: the same URL, fit for a Location header', async () => {
    expect(await returnToOf('/caf%C3%A9/%E2%82%AC?q=%F0%9F%98%80')).toBe('/caf%C3%A9/%E2%82%AC?q=%F0%9F%98%80');
  });

  it('an app redirecting to returnTo answers 302, never a header error', async () => {
    for (const [next, location] of [
      ['/caf%C3%A9/%E2%82%AC', '/caf%C3%A9/%E2%82%AC'],
      ['/%C2%85/x', '/'],
      ['/a%E2%80%A8b', '/'],
    ]) {
      const walk = await walkLogin(new Browser(), `${app.origin}/auth/back?next=${next}`, op);
      expect(walk.callback?.status, `${next}: ${walk.callback?.text}`).toBe(302);
      expect(walk.callback?.headers.get('location'), next).toBe(location);
    }
  });
});
