import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { SignedInUser } from './sample.page.js';

declare module 'express-session' {
  interface SessionData {
    /** Who is logged in to the sample. */
    user: SignedInUser;
  }
}

/** Name of the app's own session cookie (the library's login state has its own). */
export const SESSION_COOKIE = 'sample.sid';

/**
 * The app's own login session, in memory: the claims and a masked token, behind a
 * signed HttpOnly SameSite=Lax cookie. Its key is random per run, so a restart logs
 * everyone out; nothing is written before a login (no cookie for visitors).
 */
export function sampleSession(): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: randomBytes(32).toString('base64url'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', path: '/' },
  });
}
