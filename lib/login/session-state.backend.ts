import { OAuthConfigError, OAuthValidationError } from '../errors/oauth.error.js';
import { ConsumedStates } from '../state/consumed-states.js';
import type { PlatformRequest, PlatformResponse } from './http-platform.js';
import type { LoginStateBackend, PendingLogin, SaveOptions } from './login-state.backend.js';

const SESSION_KEY = 'oauthPendingLogins';
const MAX_PENDING = 10;
/**
 * Bytes of JSON the pending logins may take in the session. A cookie-backed
 * session carries them in its cookie: past about 4 KB a browser drops that cookie,
 * and the whole session with it (ten logins with a long `next` reached 15 KB).
 */
const MAX_PENDING_BYTES = 2048;

interface Entry {
  d: PendingLogin;
  exp: number;
}
type Entries = Record<string, Entry>;

/** `@fastify/session` and `@fastify/secure-session` expose get/set; express-session a plain object. */
interface SessionWithAccessors {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/**
 * Pending logins in `req.session`. With a signed-but-unencrypted cookie session the
 * OAuth 1 temporary secret is readable by the browser; see the README.
 *
 * A cookie-backed session (`@fastify/secure-session`, cookie-session) cannot forget:
 * the browser, or whoever copied its cookie, can send the session as it was before
 * the callback and find the pending login again. So, as with the cookie store, the
 * process remembers the states it consumed until they would have expired.
 */
export class SessionStateBackend implements LoginStateBackend {
  private readonly consumed = new ConsumedStates();

  async save(req: PlatformRequest, _res: PlatformResponse, key: string, data: PendingLogin, ttl: number, opts: SaveOptions = {}): Promise<void> {
    const now = Date.now();
    const entries = live(read(req), now);
    delete entries[key];
    const entry: Entry = { d: data, exp: now + ttl * 1000 };
    entries[key] = entry;
    // Bounded in count and bytes, oldest out first: abandoned logins must not grow a
    // cookie session past what a browser keeps.
    const keys = Object.keys(entries);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PENDING))) delete entries[old];
    for (const old of Object.keys(entries)) {
      if (old === key || bytes(entries) <= MAX_PENDING_BYTES) break;
      delete entries[old];
    }
    if (bytes(entries) > MAX_PENDING_BYTES && opts.droppable?.length) {
      const trimmed = { ...data };
      for (const member of opts.droppable) delete trimmed[member];
      entry.d = trimmed;
    }
    if (bytes(entries) > MAX_PENDING_BYTES) {
      throw new OAuthValidationError('invalid_request', 'This login is too large to keep in the session (is the redirect URI very long?).');
    }
    write(req, entries);
  }

  async take(req: PlatformRequest, _res: PlatformResponse, key: string): Promise<PendingLogin | undefined> {
    const now = Date.now();
    const entries = live(read(req), now);
    const entry = Object.prototype.hasOwnProperty.call(entries, key) ? entries[key] : undefined;
    if (!entry) return undefined;
    delete entries[key];
    write(req, entries);
    if (!(entry.exp > now) || !this.consumed.claim(key, entry.exp)) return undefined;
    return entry.d;
  }
}

function session(req: PlatformRequest): Record<string, unknown> | SessionWithAccessors {
  const s = req.session;
  if (s === null || typeof s !== 'object') {
    throw new OAuthConfigError(
      'stateStore "session" needs a session on the request: install express-session, @fastify/session or @fastify/secure-session, or use the default cookie store.',
      { field: 'stateStore' },
    );
  }
  return s as Record<string, unknown>;
}

function hasAccessors(s: object): s is SessionWithAccessors {
  return typeof (s as SessionWithAccessors).get === 'function' && typeof (s as SessionWithAccessors).set === 'function';
}

function read(req: PlatformRequest): Entries {
  const s = session(req);
  const value = hasAccessors(s) ? s.get(SESSION_KEY) : (s as Record<string, unknown>)[SESSION_KEY];
  const out: Entries = Object.create(null) as Entries;
  if (value && typeof value === 'object') Object.assign(out, value);
  return out;
}

function write(req: PlatformRequest, entries: Entries): void {
  const s = session(req);
  const plain = { ...entries };
  if (hasAccessors(s)) s.set(SESSION_KEY, plain);
  else (s as Record<string, unknown>)[SESSION_KEY] = plain;
}

function bytes(entries: Entries): number {
  return Buffer.byteLength(JSON.stringify(entries));
}

function live(entries: Entries, now: number): Entries {
  for (const k of Object.keys(entries)) {
    const e = entries[k];
    if (!e || typeof e.exp !== 'number' || e.exp <= now) delete entries[k];
  }
  return entries;
}
