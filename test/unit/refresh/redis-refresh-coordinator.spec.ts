/**
 * RedisRefreshCoordinator against a real redis-server: two coordinators on two
 * node-redis clients stand for two instances of a fleet. What Redis holds is read
 * raw by a third client, as someone with access to the Redis would.
 */
import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OAuthConfigError,
  OAuthProviderError,
  OAuthResponseError,
  OAuthTransportError,
  RedisRefreshCoordinator,
  type OAuth2Token,
  type OAuthRefreshOutcome,
  type RedisRefreshCoordinatorOptions,
} from '../../../lib/index.js';
import { deriveHandoffKeys, openHandoff } from '../../../lib/refresh/handoff-crypto.js';
import { startRedis, type RedisHandle } from '../../support/redis-server.js';

let redis: RedisHandle;
let inspector: RedisClientType;
const clients: RedisClientType[] = [];

const SECRET = randomBytes(32).toString('base64url');
const OTHER_SECRET = randomBytes(32).toString('base64url');
const RUN = { client: 'op', timeoutMs: 10_000 };

beforeAll(async () => {
  redis = await startRedis();
  inspector = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  inspector.on('error', () => undefined);
  await inspector.connect();
});
afterEach(async () => {
  if (inspector.isReady) await inspector.flushAll();
});
afterAll(async () => {
  for (const c of [...clients, inspector]) if (c.isOpen) c.destroy();
  await redis.stop();
});

/** A node-redis client as an app would hold one; no `error` listener of its own (the coordinator adds one). */
async function connectedClient(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  await client.connect();
  clients.push(client);
  return client;
}

interface Logged {
  warn: string[];
  log: string[];
}

interface Instance {
  coordinator: RedisRefreshCoordinator;
  client: RedisClientType;
  logged: Logged;
}

async function instance(opts: RedisRefreshCoordinatorOptions = {}): Promise<Instance> {
  const client = await connectedClient();
  const logged: Logged = { warn: [], log: [] };
  const coordinator = new RedisRefreshCoordinator(client, {
    secret: SECRET,
    logger: { warn: (m: unknown) => logged.warn.push(String(m)), log: (m: unknown) => logged.log.push(String(m)) },
    ...opts,
  });
  return { coordinator, client, logged };
}

const id = () => randomBytes(16).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function newToken(): OAuth2Token {
  return {
    access_token: `at-${id()}`,
    token_type: 'Bearer',
    refresh_token: `rt-${id()}`,
    expires_at: Math.floor(Date.now() / 1000) + 3600,
    userinfo: { sub: 'alice' },
  };
}

/** A refresh that counts its calls and answers after `delayMs` (as a provider would). */
function countingRefresh(token: OAuth2Token, delayMs = 100): { calls: number; refresh: () => Promise<OAuth2Token> } {
  const counter = {
    calls: 0,
    refresh: async () => {
      counter.calls++;
      await sleep(delayMs);
      return structuredClone(token);
    },
  };
  return counter;
}

/** A refresh that hangs until released. */
function heldRefresh(token: OAuth2Token): { calls: number; refresh: () => Promise<OAuth2Token>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = {
    calls: 0,
    release: () => release(),
    refresh: async () => {
      held.calls++;
      await gate;
      return structuredClone(token);
    },
  };
  return held;
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const encodings = (s: string) => [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url'), Buffer.from(s).toString('hex')];
const lockKeys = () => inspector.keys('oauth-refresh:*:lock');
/** The holder publishes its outcome after handing its caller the token; wait for it to land. */
const settled = () => until('the holder to publish', async () => (await lockKeys()).length === 0);

describe('RedisRefreshCoordinator: one refresh per fleet', () => {
  it('two instances, 25 concurrent calls each with one refresh token: one refresh, 50 identical tokens', async () => {
    const [a, b] = [await instance(), await instance()];
    const rt = `rt-${id()}`;
    const fresh = newToken();
    const onA = countingRefresh(fresh);
    const onB = countingRefresh(fresh);
    const results: OAuthRefreshOutcome[] = await Promise.all([
      ...Array.from({ length: 25 }, () => a.coordinator.run(rt, onA.refresh, RUN)),
      ...Array.from({ length: 25 }, () => b.coordinator.run(rt, onB.refresh, RUN)),
    ]);
    expect(onA.calls + onB.calls).toBe(1);
    expect(results).toHaveLength(50);
    for (const r of results) expect(r.token).toEqual(fresh);
    expect(results.filter((r) => r.refreshedHere)).toHaveLength(1);

    // A caller that still holds the old token a moment later gets the new one, with no refresh.
    const late = countingRefresh(newToken());
    expect(await b.coordinator.run(rt, late.refresh, RUN)).toEqual({ token: fresh, refreshedHere: false });
    expect(late.calls).toBe(0);
    expect([...a.logged.warn, ...b.logged.warn]).toEqual([]);
  });

  it('the same refresh-token string of two clients is two refreshes', async () => {
    const [a, b] = [await instance(), await instance()];
    const rt = `rt-${id()}`;
    const one = countingRefresh(newToken());
    const two = countingRefresh(newToken());
    const [r1, r2] = await Promise.all([a.coordinator.run(rt, one.refresh, { ...RUN, client: 'one' }), b.coordinator.run(rt, two.refresh, { ...RUN, client: 'two' })]);
    expect([one.calls, two.calls]).toEqual([1, 1]);
    expect(r1.token).not.toEqual(r2.token);
  });

  it('what Redis holds names no token, shows no token, expires within 60 s, and is useless without the secret', async () => {
    const [a, b] = [await instance(), await instance()];
    const rt = `rt-${id()}`;
    const fresh = newToken();
    const secrets = [rt, fresh.access_token, fresh.refresh_token!];
    const needles = secrets.flatMap(encodings);

    // While the refresh runs: the lock, and nothing else.
    let during: Array<{ key: string; pttl: number; value: string | null }> = [];
    const slow = async () => {
      const keys = await inspector.keys('*');
      during = await Promise.all(keys.map(async (key) => ({ key, pttl: await inspector.pTTL(key), value: await inspector.get(key) })));
      return structuredClone(fresh);
    };
    await Promise.all([a.coordinator.run(rt, slow, RUN), b.coordinator.run(rt, slow, RUN)]);
    await settled();
    expect(during.map((e) => e.key)).toEqual([expect.stringMatching(/^oauth-refresh:[A-Za-z0-9_-]{43}:lock$/)]);

    const keys = await inspector.keys('*');
    expect(keys).toEqual([expect.stringMatching(/^oauth-refresh:[A-Za-z0-9_-]{43}:token$/)]);
    const entries = [...during, ...(await Promise.all(keys.map(async (key) => ({ key, pttl: await inspector.pTTL(key), value: await inspector.get(key) }))))];
    for (const { key, pttl, value } of entries) {
      expect(pttl, key).toBeGreaterThan(0);
      expect(pttl, key).toBeLessThanOrEqual(60_000);
      for (const needle of needles) {
        expect(key).not.toContain(needle);
        expect(value ?? '').not.toContain(needle);
      }
      expect(value ?? '').not.toMatch(/access_token|refresh_token|Bearer|alice/);
    }

    // The value is the token, sealed: it opens with a key derived from the secret, for
    // this entry only, and not with a key of any other secret.
    const [handoffKey] = keys;
    const raw = (await inspector.get(handoffKey!))!;
    expect(JSON.parse(openHandoff(raw, deriveHandoffKeys(SECRET).encKey, handoffKey!)!)).toEqual({ token: fresh });
    expect(openHandoff(raw, deriveHandoffKeys(OTHER_SECRET).encKey, handoffKey!)).toBeUndefined();
    expect(openHandoff(raw, deriveHandoffKeys(SECRET).encKey, handoffKey!.replace(/:token$/, ':other'))).toBeUndefined();

    // An instance with another secret on the same Redis neither finds nor receives it.
    const stranger = await instance({ secret: OTHER_SECRET });
    const own = newToken();
    const theirs = countingRefresh(own, 0);
    expect(await stranger.coordinator.run(rt, theirs.refresh, RUN)).toEqual({ token: own, refreshedHere: true });
    expect(theirs.calls).toBe(1);
  });

  it('an entry moved under another refresh token is refused, not handed out', async () => {
    const a = await instance();
    const [rt1, rt2] = [`rt-${id()}`, `rt-${id()}`];
    await a.coordinator.run(rt1, countingRefresh(newToken(), 0).refresh, RUN);
    await settled();
    const [key1] = await inspector.keys('*:token');
    await a.coordinator.run(rt2, countingRefresh(newToken(), 0).refresh, RUN);
    await settled();
    const key2 = (await inspector.keys('*:token')).find((k) => k !== key1)!;
    // Someone with write access to Redis copies rt1's new token over rt2's entry.
    await inspector.set(key2, (await inspector.get(key1!))!, { PX: 60_000 });
    const b = await instance();
    const never = countingRefresh(newToken(), 0);
    const refused = b.coordinator.run(rt2, never.refresh, RUN);
    await expect(refused).rejects.toBeInstanceOf(OAuthResponseError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_response' });
    expect(never.calls).toBe(0);
  });

  it('a refresh that fails is reported to the other instance\'s waiters as the same error, and the next call tries again', async () => {
    const [a, b] = [await instance(), await instance()];
    const rt = `rt-${id()}`;
    let calls = 0;
    const failing = async (): Promise<OAuth2Token> => {
      calls++;
      await sleep(100);
      throw new OAuthProviderError('invalid_grant', 'The provider refused the refresh: invalid_grant.', { status: 400, description: 'grant revoked' });
    };
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 5 }, () => a.coordinator.run(rt, failing, RUN)),
      ...Array.from({ length: 5 }, () => b.coordinator.run(rt, failing, RUN)),
    ]);
    expect(calls).toBe(1);
    for (const s of outcomes) {
      expect(s.status).toBe('rejected');
      const err = (s as PromiseRejectedResult).reason as OAuthProviderError;
      expect(err).toBeInstanceOf(OAuthProviderError);
      expect(err).toMatchObject({ code: 'invalid_grant', status: 400, message: 'The provider refused the refresh: invalid_grant.' });
    }
    const retry = countingRefresh(newToken(), 0);
    expect((await b.coordinator.run(rt, retry.refresh, RUN)).refreshedHere).toBe(true);
    expect(retry.calls).toBe(1);
  });

  it('waiters give up with timeout while a live holder refreshes, without refreshing themselves', async () => {
    const [a, b] = [await instance(), await instance()];
    const rt = `rt-${id()}`;
    const fresh = newToken();
    const held = heldRefresh(fresh);
    const holder = a.coordinator.run(rt, held.refresh, RUN);
    await until('the lock', async () => (await lockKeys()).length === 1);
    const waiter = countingRefresh(newToken(), 0);
    const waited = b.coordinator.run(rt, waiter.refresh, { ...RUN, timeoutMs: 300 });
    await expect(waited).rejects.toBeInstanceOf(OAuthTransportError);
    await expect(waited).rejects.toMatchObject({ code: 'timeout' });
    expect(waiter.calls).toBe(0);
    held.release();
    expect(await holder).toEqual({ token: fresh, refreshedHere: true });
  });

  it('a holder that dies mid-refresh: its lock expires and a waiter takes over', async () => {
    const a = await instance({ lockTtlMs: 1_000 });
    const b = await instance({ lockTtlMs: 1_000 });
    const rt = `rt-${id()}`;
    const held = heldRefresh(newToken());
    const holder = a.coordinator.run(rt, held.refresh, RUN);
    await until('the lock', async () => (await lockKeys()).length === 1);
    const fresh = newToken();
    const taker = countingRefresh(fresh, 0);
    const waiting = Promise.all(Array.from({ length: 5 }, () => b.coordinator.run(rt, taker.refresh, RUN)));
    // While the holder lives it renews its lock: twice the lock's lifetime later, nobody took over.
    await sleep(2_000);
    expect(taker.calls).toBe(0);
    expect(await lockKeys()).toHaveLength(1);
    // The holder's connection is gone (as when its process dies): nobody renews its lock.
    a.client.destroy();
    const results = await waiting;
    expect(taker.calls).toBe(1);
    for (const r of results) expect(r.token).toEqual(fresh);
    expect(results.filter((r) => r.refreshedHere)).toHaveLength(1);
    held.release();
    expect((await holder).refreshedHere).toBe(true);
    expect(held.calls).toBe(1);
  });

  it('instances mid-rotation of the state secret still coordinate while they share a secret', async () => {
    const a = await instance({ secret: [OTHER_SECRET, SECRET] });
    const b = await instance({ secret: [SECRET, OTHER_SECRET] });
    const rt = `rt-${id()}`;
    const fresh = newToken();
    const onA = countingRefresh(fresh);
    const onB = countingRefresh(fresh);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => a.coordinator.run(rt, onA.refresh, RUN)),
      ...Array.from({ length: 10 }, () => b.coordinator.run(rt, onB.refresh, RUN)),
    ]);
    expect(onA.calls + onB.calls).toBe(1);
    for (const r of results) expect(r.token).toEqual(fresh);
  });

  it('takes the module\'s secret through useSecret(); without any secret it refuses to run', async () => {
    const client = await connectedClient();
    const bare = new RedisRefreshCoordinator(client, { logger: { warn: () => undefined, log: () => undefined } });
    const rt = `rt-${id()}`;
    await expect(bare.run(rt, countingRefresh(newToken()).refresh, RUN)).rejects.toBeInstanceOf(OAuthConfigError);
    bare.useSecret([SECRET]);
    const other = await instance();
    const fresh = newToken();
    const one = countingRefresh(fresh);
    const two = countingRefresh(fresh);
    await Promise.all([bare.run(rt, one.refresh, RUN), other.coordinator.run(rt, two.refresh, RUN)]);
    expect(one.calls + two.calls).toBe(1);
    // A secret given in code wins over the module's.
    other.coordinator.useSecret([OTHER_SECRET]);
    const rt2 = `rt-${id()}`;
    const three = countingRefresh(fresh);
    const four = countingRefresh(fresh);
    await Promise.all([bare.run(rt2, three.refresh, RUN), other.coordinator.run(rt2, four.refresh, RUN)]);
    expect(three.calls + four.calls).toBe(1);
  });

  it('refuses options that would keep an entry over 60 s, and short secrets', async () => {
    const client = await connectedClient();
    expect(() => new RedisRefreshCoordinator(client, { secret: SECRET, handoffTtlMs: 60_001 })).toThrow(OAuthConfigError);
    expect(() => new RedisRefreshCoordinator(client, { secret: SECRET, lockTtlMs: 120_000 })).toThrow(OAuthConfigError);
    expect(() => new RedisRefreshCoordinator(client, { secret: 'short' })).toThrow(OAuthConfigError);
    const c = new RedisRefreshCoordinator(client, { logger: { warn: () => undefined, log: () => undefined } });
    expect(() => c.useSecret(['short'])).toThrow(OAuthConfigError);
  });

  // Last: it stops and restarts the server.
  it('Redis stopped: calls run locally with one warning per outage and instance; Redis back: one refresh per fleet again', async () => {
    const [a, b] = [await instance(), await instance()];
    await redis.stop();
    await until('both clients to notice', () => !a.client.isReady && !b.client.isReady);
    try {
      const rt = `rt-${id()}`;
      const freshA = newToken();
      const freshB = newToken();
      const onA = countingRefresh(freshA);
      const onB = countingRefresh(freshB);
      const results = await Promise.all([
        ...Array.from({ length: 25 }, () => a.coordinator.run(rt, onA.refresh, RUN)),
        ...Array.from({ length: 25 }, () => b.coordinator.run(rt, onB.refresh, RUN)),
      ]);
      // Each instance still shares one refresh between its own callers.
      expect([onA.calls, onB.calls]).toEqual([1, 1]);
      expect(results.slice(0, 25).every((r) => r.token.access_token === freshA.access_token)).toBe(true);
      expect(results.slice(25).every((r) => r.token.access_token === freshB.access_token)).toBe(true);
      // More calls during the same outage: no more warnings.
      await a.coordinator.run(`rt-${id()}`, countingRefresh(newToken(), 0).refresh, RUN);
      await b.coordinator.run(`rt-${id()}`, countingRefresh(newToken(), 0).refresh, RUN);
      expect(a.logged.warn).toHaveLength(1);
      expect(b.logged.warn).toHaveLength(1);
      expect(a.logged.warn[0]).toMatch(/^Redis is unreachable \(.+\): each instance refreshes tokens on its own/);
      for (const line of [...a.logged.warn, ...b.logged.warn]) expect(line).not.toContain(rt);
      expect(a.logged.log).toEqual([]);
    } finally {
      await redis.restart();
    }
    await until('both clients to reconnect', () => a.client.isReady && b.client.isReady);

    const rt = `rt-${id()}`;
    const fresh = newToken();
    const onA = countingRefresh(fresh);
    const onB = countingRefresh(fresh);
    const results = await Promise.all([
      ...Array.from({ length: 25 }, () => a.coordinator.run(rt, onA.refresh, RUN)),
      ...Array.from({ length: 25 }, () => b.coordinator.run(rt, onB.refresh, RUN)),
    ]);
    expect(onA.calls + onB.calls).toBe(1);
    for (const r of results) expect(r.token).toEqual(fresh);
    expect(a.logged.log).toEqual(['Redis answers again: token refreshes are coordinated across instances again.']);
    expect(b.logged.log).toHaveLength(1);
    expect(a.logged.warn).toHaveLength(1);

    // A second outage: a second warning.
    await redis.stop();
    try {
      await until('the client to notice', () => !a.client.isReady);
      await a.coordinator.run(`rt-${id()}`, countingRefresh(newToken(), 0).refresh, RUN);
      expect(a.logged.warn).toHaveLength(2);
    } finally {
      await redis.restart();
    }
  });
});
