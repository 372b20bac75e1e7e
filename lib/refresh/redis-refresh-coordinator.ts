import { Logger, type LoggerService } from '@nestjs/common';
import { randomBytesFromPool } from '../http/random-pool.js';
import type { OAuth2Token } from '../interfaces/oauth-token.interface.js';
import {
  OAuthConfigError,
  OAuthError,
  OAuthHookError,
  OAuthProviderError,
  OAuthResponseError,
  OAuthTransportError,
  OAuthUsageError,
  OAuthValidationError,
} from '../errors/oauth.error.js';
import { deriveHandoffKeys, openHandoff, refreshTokenDigest, sealHandoff, type HandoffKeys } from './handoff-crypto.js';
import { OAuthRefreshCoordinator, type OAuthRefreshOutcome, type OAuthRefreshRunOptions } from './oauth-refresh-coordinator.js';

/**
 * The part of a node-redis 5 client (`createClient({ url })` of the `redis`
 * package) the coordinator uses. Declared here rather than imported, so the library
 * loads, and its types check, without `redis` installed.
 */
export interface RedisRefreshClient {
  /** node-redis: connected and past its handshake. */
  readonly isReady: boolean;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface RedisRefreshCoordinatorOptions {
  /**
   * Secret(s) of at least 32 characters shared by the fleet; the first encrypts, all
   * decrypt. Default: the module's `stateSecret`, given through `useSecret()` at
   * bootstrap. When set here, `useSecret()` is ignored.
   */
  secret?: string | readonly string[];
  /** Prefix of every key the coordinator writes; default `oauth-refresh:`. */
  keyPrefix?: string;
  /** Milliseconds a new token stays available to late callers; default and maximum 60,000. */
  handoffTtlMs?: number;
  /**
   * Milliseconds the refresh lock outlives a holder that stopped renewing it (a
   * crashed instance); waiters take over after it. Renewed every third of it while the
   * refresh runs. Default 5,000, maximum 60,000.
   */
  lockTtlMs?: number;
  /** Milliseconds between two looks of a waiting instance; default 25. */
  pollIntervalMs?: number;
  /** Milliseconds Redis has to answer one command before it counts as unreachable; default 1,000. */
  commandTimeoutMs?: number;
  /** Where the outage warning and the recovery line go; default a Nest `Logger`. */
  logger?: Pick<LoggerService, 'warn' | 'log'>;
}

const MAX_TTL_MS = 60_000;
const FAILURE_TTL_MS = 10_000;
const OWNER = /^[A-Za-z0-9_-]{16,64}$/;

// One round trip decides what a caller does, atomically: a handoff under any of the
// secrets' names wins; then the failure of the holder it waited for; then a live
// lock under any name (a fleet mid-rotation shares at least one secret, and
// so at least one name); else it takes the lock under its own primary name.
// KEYS: lock_1, token_1, ..., lock_n, token_n [, failed]; ARGV: owner, lock ms, n.
const ACQUIRE = `
local n = tonumber(ARGV[3])
for i = 1, n do
  local v = redis.call('GET', KEYS[2 * i])
  if v then return {'token', v, tostring(i)} end
end
if #KEYS > 2 * n then
  local f = redis.call('GET', KEYS[2 * n + 1])
  if f then return {'failed', f} end
end
for i = 1, n do
  local o = redis.call('GET', KEYS[2 * i - 1])
  if o then return {'wait', o, tostring(i)} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {'lead'}
`;

// The holder writes its outcome, then frees the lock if it is still its own. The
// outcome is written first: a caller that finds the lock free also finds the token.
// KEYS: lock, entry; ARGV: owner, value, entry ms.
const SETTLE = `
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

// KEYS: lock; ARGV: owner, lock ms.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

type Step =
  | { kind: 'token'; value: string; set: number }
  | { kind: 'failed'; value: string }
  | { kind: 'wait'; owner: string; set: number }
  | { kind: 'lead' };

/** A failed refresh as the waiting instances rebuild it: no cause, no description. */
interface FailureRecord {
  /** The error's class name ('unexpected' for a non-OAuthError). */
  kind: string;
  code: string;
  message: string;
  status?: number;
}

/**
 * One refresh per refresh token across every instance sharing a Redis.
 *
 * ```ts
 * const redis = await createClient({ url: process.env.REDIS_URL }).on('error', onError).connect();
 * OAuthModule.forRoot({ refreshCoordinator: new RedisRefreshCoordinator(redis) });
 * ```
 *
 * What it writes, all under `keyPrefix`, named by an HMAC of the client name and
 * refresh token (key derived from the state secret):
 * - `<name>:lock`, the random id of the instance refreshing (SET NX PX
 *   `lockTtlMs`, renewed while the refresh runs);
 * - `<name>:token`, the new token, AES-256-GCM under a key derived from the state
 *   secret (HKDF, its own info string), bound to this name; kept `handoffTtlMs`;
 * - `<name>:failed:<id>`, the failed refresh of holder `<id>` (error class, code,
 *   status and message only, encrypted the same way), kept 10 s.
 *
 * Waiting instances poll (every `pollIntervalMs`) rather than subscribe: the same
 * atomic look finds the token, a failure, or a lock whose holder died, and takes
 * over then; pub/sub would need a second connection per instance in subscriber
 * mode (the user hands over one client), would lose a message published between
 * a look and the subscription, and would still need that look to detect a dead
 * holder. Only one call per refresh token polls on each instance (the others join
 * it), for the few hundred milliseconds a refresh takes.
 *
 * Redis not ready, failing or slower than `commandTimeoutMs`: the call runs
 * `refresh` itself (each instance still shares one refresh between its own
 * callers), one warning is logged per outage and one line when Redis answers
 * again; coordination resumes by itself. The coordinator listens to the client's
 * `error` event to notice an outage, which also keeps node-redis from throwing
 * those errors when no other listener exists.
 */
export class RedisRefreshCoordinator extends OAuthRefreshCoordinator {
  private readonly prefix: string;
  private readonly handoffTtlMs: number;
  private readonly lockTtlMs: number;
  private readonly pollIntervalMs: number;
  private readonly commandTimeoutMs: number;
  private readonly logger: Pick<LoggerService, 'warn' | 'log'>;
  private readonly fixedSecret: boolean;
  private keys: readonly HandoffKeys[] = [];
  /** Calls of this instance in progress, by client and refresh token: one per token polls or refreshes. */
  private readonly flights = new Map<string, Promise<OAuthRefreshOutcome>>();
  private outage = false;

  /** @param client a connected node-redis 5 client; the coordinator never closes it. */
  constructor(
    private readonly client: RedisRefreshClient,
    opts: RedisRefreshCoordinatorOptions = {},
  ) {
    super();
    this.prefix = opts.keyPrefix ?? 'oauth-refresh:';
    this.handoffTtlMs = milliseconds('handoffTtlMs', opts.handoffTtlMs, MAX_TTL_MS, MAX_TTL_MS);
    this.lockTtlMs = milliseconds('lockTtlMs', opts.lockTtlMs, 5_000, MAX_TTL_MS);
    this.pollIntervalMs = milliseconds('pollIntervalMs', opts.pollIntervalMs, 25, MAX_TTL_MS);
    this.commandTimeoutMs = milliseconds('commandTimeoutMs', opts.commandTimeoutMs, 1_000, MAX_TTL_MS);
    this.logger = opts.logger ?? new Logger(RedisRefreshCoordinator.name);
    this.fixedSecret = opts.secret !== undefined;
    if (opts.secret !== undefined) this.keys = keysOf(opts.secret);
    client.on('error', (err) => this.down(err));
  }

  override useSecret(secrets: readonly string[]): void {
    if (!this.fixedSecret) this.keys = keysOf(secrets);
  }

  override run(refreshToken: string, refresh: () => Promise<OAuth2Token>, opts: OAuthRefreshRunOptions): Promise<OAuthRefreshOutcome> {
    if (this.keys.length === 0) {
      return Promise.reject(
        new OAuthConfigError('RedisRefreshCoordinator has no secret: give stateSecret to OAuthModule or `secret` to the coordinator.', {
          field: 'refreshCoordinator',
        }),
      );
    }
    const flightKey = `${opts.client.length}:${opts.client}:${refreshToken}`;
    const joined = this.flights.get(flightKey);
    if (joined) return joined.then(({ token }) => ({ token, refreshedHere: false }));
    const flight = this.coordinate(opts.client, refreshToken, refresh, opts.timeoutMs).finally(() => this.flights.delete(flightKey));
    this.flights.set(flightKey, flight);
    return flight;
  }

  private async coordinate(client: string, refreshToken: string, refresh: () => Promise<OAuth2Token>, timeoutMs: number): Promise<OAuthRefreshOutcome> {
    const keys = this.keys;
    const names = keys.map((k) => `${this.prefix}${refreshTokenDigest(k.hashKey, client, refreshToken)}`);
    const lookKeys = names.flatMap((n) => [`${n}:lock`, `${n}:token`]);
    const owner = randomBytesFromPool(16).toString('base64url');
    const deadline = Date.now() + timeoutMs;
    let awaited: { owner: string; set: number } | undefined;
    for (;;) {
      if (!this.client.isReady) {
        this.down(undefined);
        return this.runHere(refresh);
      }
      let step: Step;
      try {
        const failedKey = awaited ? [`${names[awaited.set]}:failed:${awaited.owner}`] : [];
        step = parseStep(await this.command(ACQUIRE, [...lookKeys, ...failedKey], [owner, String(this.lockTtlMs), String(names.length)]), names.length);
      } catch (err) {
        this.down(err);
        return this.runHere(refresh);
      }
      this.up();
      switch (step.kind) {
        case 'token':
          return { token: openToken(step.value, keys[step.set]!, `${names[step.set]}:token`), refreshedHere: false };
        case 'failed':
          throw openFailure(step.value, keys[awaited!.set]!, `${names[awaited!.set]}:failed:${awaited!.owner}`);
        case 'lead':
          return this.lead(names[0]!, keys[0]!, owner, refresh);
        case 'wait':
          awaited = OWNER.test(step.owner) ? { owner: step.owner, set: step.set } : undefined;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new OAuthTransportError('timeout', `Another instance is refreshing this token and handed over no new one within ${timeoutMs} ms.`);
      }
      await sleep(Math.min(this.pollIntervalMs, left));
    }
  }

  /** This instance holds the lock: refresh, keep the lock alive meanwhile, publish the outcome. */
  private async lead(name: string, keys: HandoffKeys, owner: string, refresh: () => Promise<OAuth2Token>): Promise<OAuthRefreshOutcome> {
    const lock = `${name}:lock`;
    const renew = setInterval(() => {
      this.command(RENEW, [lock], [owner, String(this.lockTtlMs)]).catch((err: unknown) => this.down(err));
    }, Math.max(1, Math.floor(this.lockTtlMs / 3)));
    renew.unref();
    let token: OAuth2Token;
    try {
      token = await refresh();
    } catch (err) {
      clearInterval(renew);
      const entry = `${name}:failed:${owner}`;
      void this.settle(lock, entry, owner, sealHandoff(JSON.stringify(failureRecord(err)), keys.encKey, entry), FAILURE_TTL_MS);
      throw err;
    }
    clearInterval(renew);
    const entry = `${name}:token`;
    // Not awaited: this caller has its token, and the refresher's updateToken can run
    // while the handoff travels to Redis (settle never rejects).
    void this.settle(lock, entry, owner, sealHandoff(JSON.stringify({ token }), keys.encKey, entry), this.handoffTtlMs);
    return { token, refreshedHere: true };
  }

  /** Publishes an outcome; never rejects: a Redis failure here only ends coordination for this refresh. */
  private async settle(lock: string, entry: string, owner: string, value: string, ttlMs: number): Promise<void> {
    if (!this.client.isReady) {
      this.down(undefined);
      return;
    }
    try {
      await this.command(SETTLE, [lock, entry], [owner, value, String(ttlMs)]);
      this.up();
    } catch (err) {
      this.down(err);
    }
  }

  private async runHere(refresh: () => Promise<OAuth2Token>): Promise<OAuthRefreshOutcome> {
    return { token: await refresh(), refreshedHere: true };
  }

  private command(script: string, keys: string[], args: string[]): Promise<unknown> {
    let reply: Promise<unknown>;
    try {
      reply = this.client.eval(script, { keys, arguments: args });
    } catch (err) {
      return Promise.reject(err);
    }
    // node-redis queues commands while it reconnects and may never answer one
    // already written to a dead socket; a refresh must not wait on either.
    reply.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(this.commandTimeoutMs)), this.commandTimeoutMs);
    });
    return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
  }

  private down(err: unknown): void {
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(
      `Redis is unreachable (${describeRedisError(err)}): each instance refreshes tokens on its own until it answers again; ` +
        'a provider that rotates refresh tokens revokes the grant of a token two instances refresh at once.',
    );
  }

  private up(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.log('Redis answers again: token refreshes are coordinated across instances again.');
  }
}

class RedisTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

function keysOf(secret: string | readonly string[]): HandoffKeys[] {
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
    throw new OAuthConfigError('RedisRefreshCoordinator needs secrets of at least 32 characters (the state secret of the fleet).', {
      field: 'secret',
    });
  }
  return secrets.map(deriveHandoffKeys);
}

function milliseconds(field: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new OAuthConfigError(`RedisRefreshCoordinator option "${field}" must be a whole number of milliseconds from 1 to ${max}.`, { field });
  }
  return value;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The script's answer; a client with a type mapping may hand over Buffers. */
function parseStep(reply: unknown, sets: number): Step {
  const parts = Array.isArray(reply) ? reply.map(text) : [];
  const [kind, a, b] = parts;
  const set = Number(b) - 1;
  if (kind === 'lead') return { kind };
  if (kind === 'failed' && a !== undefined) return { kind, value: a };
  if ((kind === 'token' || kind === 'wait') && a !== undefined && Number.isInteger(set) && set >= 0 && set < sets) {
    return kind === 'token' ? { kind, value: a, set } : { kind, owner: a, set };
  }
  throw new Error('unexpected reply from the coordination script');
}

function openToken(value: string, keys: HandoffKeys, aad: string): OAuth2Token {
  const plain = openHandoff(value, keys.encKey, aad);
  let token: unknown;
  try {
    token = plain === undefined ? undefined : (JSON.parse(plain) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'object' || token === null || typeof (token as { access_token?: unknown }).access_token !== 'string') {
    // Only a writer holding this secret names an entry so; one that does not open was
    // altered or moved from another token's entry. Using it could hand a caller
    // someone else's token; refreshing instead would spend a refresh token that the
    // entry's presence says is spent already.
    throw new OAuthResponseError('invalid_response', 'The refreshed token another instance stored does not open with the state secret; it was refused.');
  }
  return token as OAuth2Token;
}

/** Error classes a failure is rebuilt as, by name; any other becomes a plain `OAuthError`. */
const REBUILD: Readonly<Record<string, (code: string, message: string, opts: { status?: number }) => OAuthError>> = {
  OAuthProviderError: (code, message, opts) => new OAuthProviderError(code, message, opts),
  OAuthResponseError: (code, message, opts) => new OAuthResponseError(code as OAuthResponseError['code'], message, opts),
  OAuthValidationError: (code, message, opts) => new OAuthValidationError(code as OAuthValidationError['code'], message, opts),
  OAuthTransportError: (code, message, opts) => new OAuthTransportError(code as OAuthTransportError['code'], message, opts),
  OAuthUsageError: (code, message, opts) => new OAuthUsageError(code as OAuthUsageError['code'], message, opts),
  OAuthHookError: (_code, message, opts) => new OAuthHookError('hook_failed', message, opts),
  OAuthConfigError: (_code, message) => new OAuthConfigError(message, { field: 'refreshCoordinator' }),
};

function failureRecord(err: unknown): FailureRecord {
  if (!(err instanceof OAuthError)) {
    return { kind: 'unexpected', code: 'refresh_failed', message: 'The instance that refreshed this token failed unexpectedly; see its log.' };
  }
  return { kind: err.name, code: err.code, message: err.message, ...(err.status === undefined ? {} : { status: err.status }) };
}

/** The holder's error, rebuilt with its class, code, status and message (library messages hold no secrets). */
function openFailure(value: string, keys: HandoffKeys, aad: string): OAuthError {
  const plain = openHandoff(value, keys.encKey, aad);
  let record: Partial<FailureRecord> | undefined;
  try {
    record = plain === undefined ? undefined : (JSON.parse(plain) as Partial<FailureRecord>);
  } catch {
    record = undefined;
  }
  if (!record || typeof record.code !== 'string' || typeof record.message !== 'string') {
    return new OAuthResponseError('invalid_response', 'Another instance\'s refresh of this token failed, and its record does not open with the state secret.');
  }
  const opts = typeof record.status === 'number' ? { status: record.status } : {};
  const rebuild = typeof record.kind === 'string' && Object.prototype.hasOwnProperty.call(REBUILD, record.kind) ? REBUILD[record.kind] : undefined;
  return rebuild ? rebuild(record.code, record.message, opts) : new OAuthError(record.code, record.message, opts);
}

/** A Redis failure named for a log line: its code or class and a short message, nothing of what was sent. */
function describeRedisError(err: unknown): string {
  if (err === undefined) return 'client not connected';
  if (err instanceof RedisTimeout) return err.message;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const what = typeof code === 'string' ? code : err.name;
    // eslint-disable-next-line no-control-regex
    const message = err.message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
    return message ? `${what}: ${message}` : what;
  }
  return 'unknown error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
