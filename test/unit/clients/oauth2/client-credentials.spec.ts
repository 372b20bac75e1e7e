import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokens } from '../../../../lib/clients/oauth2/client-credentials.js';
import type { OAuth2Token, TokenUpdateEvent } from '../../../../lib/index.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function harness() {
  let fetches = 0;
  const announced: TokenUpdateEvent[] = [];
  let fetchImpl: () => Promise<OAuth2Token> = async () => ({ access_token: `cc-${fetches}`, token_type: 'Bearer', expires_in: 600 });
  let announceImpl: (e: TokenUpdateEvent) => Promise<void> = async () => undefined;
  const tokens = new ClientCredentialsTokens(
    'svc',
    () => {
      fetches++;
      return fetchImpl();
    },
    async (event) => {
      announced.push(event);
      await announceImpl(event);
    },
  );
  return {
    tokens,
    announced,
    get fetches() {
      return fetches;
    },
    fetchWith(fn: typeof fetchImpl) {
      fetchImpl = fn;
    },
    announceWith(fn: typeof announceImpl) {
      announceImpl = fn;
    },
  };
}

describe('ClientCredentialsTokens', () => {
  it('knows the tokens it marked as its own, by identity', () => {
    const h = harness();
    const mine: OAuth2Token = { access_token: 'a', token_type: 'Bearer' };
    expect(h.tokens.remember(mine)).toBe(mine);
    expect(h.tokens.isOwn(mine)).toBe(true);
    expect(h.tokens.isOwn({ ...mine })).toBe(false);
  });

  it('re-fetches once for concurrent callers holding the same expired token, and announces once', async () => {
    const h = harness();
    const answer = deferred<OAuth2Token>();
    h.fetchWith(() => answer.promise);
    const callers = Array.from({ length: 10 }, () => h.tokens.refetch('expired-access'));
    const fresh: OAuth2Token = { access_token: 'fresh', token_type: 'Bearer' };
    answer.resolve(fresh);
    for (const t of await Promise.all(callers)) expect(t).toBe(fresh);
    expect(h.fetches).toBe(1);
    expect(h.announced).toEqual([{ name: 'svc', token: fresh, accessToken: 'expired-access' }]);
    // The re-fetched token is one of its own, so it is re-fetched again when it expires.
    expect(h.tokens.isOwn(fresh)).toBe(true);
  });

  it('a late caller still holding the old token gets the re-fetched one without a new request', async () => {
    const h = harness();
    const first = await h.tokens.refetch('expired-access');
    expect(await h.tokens.refetch('expired-access')).toBe(first);
    expect(h.fetches).toBe(1);
    expect(h.announced).toHaveLength(1);
  });

  it('another expired token is a new re-fetch', async () => {
    const h = harness();
    const a = await h.tokens.refetch('expired-a');
    const b = await h.tokens.refetch('expired-b');
    expect(a).not.toBe(b);
    expect(h.fetches).toBe(2);
  });

  it('does not remember a failed fetch: waiting callers fail, the next call fetches again', async () => {
    const h = harness();
    const answer = deferred<OAuth2Token>();
    h.fetchWith(() => answer.promise);
    const callers = [1, 2].map(() => h.tokens.refetch('expired-access'));
    const down = new Error('provider down');
    answer.reject(down);
    for (const c of callers) await expect(c).rejects.toBe(down);
    h.fetchWith(async () => ({ access_token: 'later', token_type: 'Bearer' }));
    expect((await h.tokens.refetch('expired-access')).access_token).toBe('later');
    expect(h.fetches).toBe(2);
  });

  it('does not hand out a token whose updateToken failed as if it were stored', async () => {
    const h = harness();
    h.announceWith(async () => {
      throw new Error('db down');
    });
    await expect(h.tokens.refetch('expired-access')).rejects.toThrow('db down');
    h.announceWith(async () => undefined);
    const t = await h.tokens.refetch('expired-access');
    // Client credentials rotate nothing, so fetching again is safe; it is announced this time.
    expect(h.fetches).toBe(2);
    expect(h.announced.at(-1)!.token).toBe(t);
  });
});
