import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { assertSameSubject, TokenRefresher } from '../../../../lib/clients/oauth2/token-refresher.js';
import type { OAuth2Token, TokenUpdateEvent } from '../../../../lib/index.js';

const now = () => Math.floor(Date.now() / 1000);

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A refresher whose provider and `updateToken` a test steers. */
function harness(opts: { leeway?: number } = {}) {
  const requests: Array<{ old: OAuth2Token; refreshToken: string }> = [];
  const announced: TokenUpdateEvent[] = [];
  let respond: (old: OAuth2Token, refreshToken: string) => Promise<OAuth2Token> = async (_old, rt) => ({
    access_token: `new-for-${rt}-${requests.length}`,
    token_type: 'Bearer',
    refresh_token: `${rt}-rotated`,
    expires_at: now() + 3600,
  });
  let announce: (event: TokenUpdateEvent) => Promise<void> = async () => undefined;
  const refresher = new TokenRefresher({
    name: 'op',
    refreshLeeway: () => opts.leeway ?? 60,
    timeoutMs: () => 1000,
    request: (old, refreshToken) => {
      requests.push({ old, refreshToken });
      return respond(old, refreshToken);
    },
    announce: async (event) => {
      announced.push(event);
      await announce(event);
    },
  });
  return {
    refresher,
    requests,
    announced,
    respondWith(fn: typeof respond) {
      respond = fn;
    },
    announceWith(fn: typeof announce) {
      announce = fn;
    },
  };
}

const old: OAuth2Token = { access_token: 'old-access', token_type: 'Bearer', refresh_token: 'rt-1', expires_at: now() - 10 };

describe('TokenRefresher', () => {
  it('sends one request for concurrent callers holding the same refresh token, and all get the new token', async () => {
    const h = harness();
    const answer = deferred<OAuth2Token>();
    h.respondWith(() => answer.promise);
    const callers = Array.from({ length: 20 }, () => h.refresher.refresh(old, 'rt-1'));
    const fresh: OAuth2Token = { access_token: 'fresh', token_type: 'Bearer', refresh_token: 'rt-2', expires_at: now() + 3600 };
    answer.resolve(fresh);
    for (const token of await Promise.all(callers)) expect(token).toBe(fresh);
    expect(h.requests).toHaveLength(1);
    expect(h.announced).toEqual([{ name: 'op', token: fresh, refreshToken: 'rt-1', accessToken: 'old-access' }]);
  });

  it('a late caller still holding the old refresh token gets the new token, with no second request', async () => {
    const h = harness();
    const first = await h.refresher.refresh(old, 'rt-1');
    const late = await h.refresher.refresh(old, 'rt-1');
    expect(late).toBe(first);
    expect(h.requests).toHaveLength(1);
    expect(h.announced).toHaveLength(1);
  });

  it('different refresh tokens are refreshed separately', async () => {
    const h = harness();
    const [a, b] = await Promise.all([h.refresher.refresh(old, 'rt-a'), h.refresher.refresh({ ...old, refresh_token: 'rt-b' }, 'rt-b')]);
    expect(a).not.toBe(b);
    expect(h.requests.map((r) => r.refreshToken).sort()).toEqual(['rt-a', 'rt-b']);
  });

  it('a refresh token that does not rotate is used again once the token it gave nears expiry', async () => {
    const h = harness();
    h.respondWith(async () => ({ access_token: `a${h.requests.length}`, token_type: 'Bearer', expires_at: now() + 30 }));
    const first = await h.refresher.refresh(old, 'rt-1');
    // 30 s left is within the 60 s leeway: the shared answer is no good any more.
    const second = await h.refresher.refresh(first, 'rt-1');
    expect(second.access_token).toBe('a2');
    expect(h.requests).toHaveLength(2);
  });

  it('when updateToken fails, a retry announces the same token again without a second request', async () => {
    const h = harness();
    const storeDown = new Error('db down');
    h.announceWith(async () => {
      throw storeDown;
    });
    await expect(h.refresher.refresh(old, 'rt-1')).rejects.toBe(storeDown);
    expect(h.requests).toHaveLength(1);
    const issued = h.announced[0]!.token;

    h.announceWith(async () => undefined);
    const retried = await h.refresher.refresh(old, 'rt-1');
    expect(retried).toBe(issued);
    // The used refresh token was not sent again (a rotating provider would revoke the grant).
    expect(h.requests).toHaveLength(1);
    expect(h.announced).toHaveLength(2);
    expect(h.announced[1]).toEqual(h.announced[0]);
    // Announced now: later callers share it without announcing again.
    expect(await h.refresher.refresh(old, 'rt-1')).toBe(issued);
    expect(h.announced).toHaveLength(2);
  });

  it('concurrent retries after a failed updateToken announce once', async () => {
    const h = harness();
    h.announceWith(async () => {
      throw new Error('db down');
    });
    await expect(h.refresher.refresh(old, 'rt-1')).rejects.toThrow('db down');
    const gate = deferred<void>();
    h.announceWith(() => gate.promise);
    const retries = [1, 2, 3].map(() => h.refresher.refresh(old, 'rt-1'));
    gate.resolve();
    const tokens = await Promise.all(retries);
    expect(new Set(tokens).size).toBe(1);
    expect(h.announced).toHaveLength(2);
    expect(h.requests).toHaveLength(1);
  });

  it('does not remember a failed request: every waiting caller gets the failure, the next call asks again', async () => {
    const h = harness();
    const answer = deferred<OAuth2Token>();
    h.respondWith(() => answer.promise);
    const callers = [1, 2, 3].map(() => h.refresher.refresh(old, 'rt-1'));
    const refused = Object.assign(new Error('invalid_grant'), { code: 'invalid_grant' });
    answer.reject(refused);
    for (const c of callers) await expect(c).rejects.toBe(refused);
    expect(h.requests).toHaveLength(1);
    expect(h.announced).toHaveLength(0);

    h.respondWith(async () => ({ access_token: 'second-try', token_type: 'Bearer', expires_at: now() + 3600 }));
    expect((await h.refresher.refresh(old, 'rt-1')).access_token).toBe('second-try');
    expect(h.requests).toHaveLength(2);
  });

  it('expiresSoon compares expires_at minus the leeway with now', () => {
    const h = harness({ leeway: 60 });
    expect(h.refresher.expiresSoon({ access_token: 'a', token_type: 'Bearer', expires_at: now() + 3600 })).toBe(false);
    expect(h.refresher.expiresSoon({ access_token: 'a', token_type: 'Bearer', expires_at: now() + 30 })).toBe(true);
    expect(h.refresher.expiresSoon({ access_token: 'a', token_type: 'Bearer', expires_at: now() - 1 })).toBe(true);
    expect(h.refresher.expiresSoon({ access_token: 'a', token_type: 'Bearer' })).toBe(false);
  });
});

describe('assertSameSubject (OpenID Core 12.2)', () => {
  const claims = { iss: 'https://op.example', sub: 'alice', aud: 'client', azp: 'client' };

  it('accepts a refreshed ID token about the same user, issuer and client', () => {
    expect(() => assertSameSubject({ access_token: 'a', token_type: 'Bearer', userinfo: { ...claims } }, { ...claims, iat: 2 })).not.toThrow();
  });

  it.each(['iss', 'sub', 'aud', 'azp'])('refuses a refreshed ID token that changes %s', (claim) => {
    expect(() => assertSameSubject({ access_token: 'a', token_type: 'Bearer', userinfo: { ...claims } }, { ...claims, [claim]: 'someone-else' })).toThrow(
      expect.objectContaining({ code: 'invalid_id_token', message: `The refreshed ID token changes "${claim}"; it is refused.` }),
    );
  });

  it('compares with the old ID token when there are no claims kept', async () => {
    const idToken = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
    const token: OAuth2Token = { access_token: 'a', token_type: 'Bearer', id_token: idToken };
    expect(() => assertSameSubject(token, claims)).not.toThrow();
    expect(() => assertSameSubject(token, { ...claims, sub: 'mallory' })).toThrow(expect.objectContaining({ code: 'invalid_id_token' }));
  });

  it('has nothing to compare for a token that had no ID token', () => {
    expect(() => assertSameSubject({ access_token: 'a', token_type: 'Bearer' }, claims)).not.toThrow();
  });
});
