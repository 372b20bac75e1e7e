import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { LogoutEvent, OAuth1Token, OAuth2Token, TokenUpdateEvent } from '../lib/index.js';
import { clearCookie, readCookie, setCookie, type SampleRequest, type SampleResponse } from './http.js';

/** Name of the app's own session cookie (the library's login state has its own). */
export const SESSION_COOKIE = 'sample.sid';

/** A session not used for this long is forgotten. */
const IDLE_MS = 8 * 3600_000;
/** However many logins arrive, memory stays bounded: the oldest session goes first. */
const MAX_SESSIONS = 10_000;

export function isOAuth2Token(token: OAuth1Token | OAuth2Token): token is OAuth2Token {
  return typeof token.access_token === 'string';
}

/** Who is logged in to the sample, kept on the server. */
export interface SampleSession {
  readonly id: string;
  /** The client name: `local`, `github`, `google`, `twitter`. */
  readonly provider: string;
  /** The user's claims (OpenID names) from the login. */
  readonly claims: Record<string, unknown>;
  /** The token, for API calls, refresh, revocation; it never leaves the server. */
  token: OAuth1Token | OAuth2Token;
  lastSeen: number;
}

/**
 * The sample's login sessions, in memory, behind an HttpOnly SameSite=Lax cookie
 * holding only a random id. Server-side on purpose: a back-channel logout arrives
 * without the user's browser, and can only end a session the server can find.
 * Nothing is stored for visitors (no cookie before a login); a restart logs
 * everyone out.
 */
@Injectable()
export class SampleSessions {
  private readonly sessions = new Map<string, SampleSession>();

  /** The session of this request, if any. */
  current(req: SampleRequest): SampleSession | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (!session) return undefined;
    if (Date.now() - session.lastSeen > IDLE_MS) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  /**
   * Logs the browser in: a new session id every time, and the one it had before
   * ended, so an id planted in the browser before the login is worth nothing.
   */
  start(req: SampleRequest, res: SampleResponse, data: Pick<SampleSession, 'provider' | 'claims' | 'token'>): SampleSession {
    const previous = readCookie(req, SESSION_COOKIE);
    if (previous !== undefined) this.sessions.delete(previous);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    const session: SampleSession = { id: randomBytes(32).toString('base64url'), ...data, lastSeen: Date.now() };
    this.sessions.set(session.id, session);
    setCookie(res, SESSION_COOKIE, session.id);
    return session;
  }

  /** Logs the browser out: the session is gone on the server, the cookie cleared. */
  end(req: SampleRequest, res: SampleResponse): SampleSession | undefined {
    const session = this.current(req);
    if (session) this.sessions.delete(session.id);
    clearCookie(res, SESSION_COOKIE);
    return session;
  }

  /** `fetchToken` of the module: the token of the session the request belongs to. */
  tokenFor(name: string, req: unknown): OAuth1Token | OAuth2Token | undefined {
    if (typeof req !== 'object' || req === null || !('headers' in req)) return undefined;
    const session = this.current(req as SampleRequest);
    return session?.provider === name ? session.token : undefined;
  }

  /**
   * A refresh happened (`tokenUpdate$`): every session of that client holding the
   * refresh token that was used, or the access token that was replaced, gets the
   * new token. Returns how many did.
   */
  replaceToken(event: TokenUpdateEvent): number {
    let count = 0;
    for (const session of this.sessions.values()) {
      const held = session.token;
      if (session.provider !== event.name || !isOAuth2Token(held)) continue;
      const match = event.refreshToken !== undefined ? held.refresh_token === event.refreshToken : held.access_token === event.accessToken;
      if (!match) continue;
      session.token = event.token;
      count++;
    }
    return count;
  }

  /**
   * The provider ended a session of its own (back-channel logout, `logout$`): end the
   * sample's sessions that came from it, those of that provider session (`sid`) or,
   * when the provider names only the user, every session of that user there.
   * Returns how many were ended.
   */
  endProviderSession(event: LogoutEvent): number {
    let count = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.provider !== event.name || !isOAuth2Token(session.token)) continue;
      const claims = session.token.userinfo;
      if (!claims || claims.iss !== event.iss) continue;
      const match = event.sid !== undefined ? claims.sid === event.sid : claims.sub === event.sub;
      if (!match) continue;
      this.sessions.delete(session.id);
      count++;
    }
    return count;
  }
}
