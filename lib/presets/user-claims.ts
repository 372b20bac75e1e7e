import { OAuthValidationError } from '../errors/oauth.error.js';
import type { UserInfo } from '../interfaces/oauth-token.interface.js';

/** The OpenID claim names a preset fills (OpenID Connect Core 5.1); raw fields keep other names. */
const STANDARD_CLAIMS = [
  'sub',
  'name',
  'given_name',
  'family_name',
  'email',
  'email_verified',
  'picture',
  'preferred_username',
] as const;

type StandardClaim = (typeof STANDARD_CLAIMS)[number];

/** A preset's reading of a provider's profile, claim by claim; `undefined` when not given. */
export type ClaimValues = { sub: unknown } & Partial<Record<Exclude<StandardClaim, 'sub'>, unknown>>;

/**
 * A normalised user: the raw fields beside the OpenID claims read from them. A raw
 * field named like a standard claim is replaced by the normalised value, or dropped
 * when the provider gave nothing usable (GitHub's `"email": null` is no email).
 * `email_verified` is kept only when the provider stated it; `sub` must exist.
 */
export function normaliseUser(raw: Readonly<Record<string, unknown>>, values: ClaimValues): UserInfo {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(STANDARD_CLAIMS as readonly string[]).includes(k)) out[k] = v;
  }
  const sub = idString(values.sub);
  if (sub === undefined) {
    throw new OAuthValidationError('invalid_userinfo', 'The provider\'s profile has no usable user identifier.');
  }
  const result: UserInfo = { sub };
  const name = text(values.name);
  if (name !== undefined) result.name = name;
  const given = text(values.given_name);
  if (given !== undefined) result.given_name = given;
  const family = text(values.family_name);
  if (family !== undefined) result.family_name = family;
  const email = emailAddress(values.email);
  if (email !== undefined) {
    result.email = email;
    // OpenID Connect Core 5.1: email_verified is a statement of the provider; one it
    // did not make is not invented here (an unverified address must not link accounts).
    const verified = flag(values.email_verified);
    if (verified !== undefined) result.email_verified = verified;
  }
  const picture = httpUrl(values.picture);
  if (picture !== undefined) result.picture = picture;
  const username = text(values.preferred_username);
  if (username !== undefined) result.preferred_username = username;
  return Object.assign(out, result);
}

/** OpenID claims as they come from an ID token or a standard userinfo answer, coerced. */
export function normaliseOpenIdClaims(raw: Readonly<Record<string, unknown>>, extra: Partial<ClaimValues> = {}): UserInfo {
  return normaliseUser(raw, {
    sub: raw.sub,
    name: raw.name,
    given_name: raw.given_name,
    family_name: raw.family_name,
    email: raw.email,
    email_verified: raw.email_verified,
    picture: raw.picture,
    preferred_username: raw.preferred_username,
    ...extra,
  });
}

/** A numeric or string identifier as a string; `undefined` when there is none. */
export function idString(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** A non-blank string, trimmed. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Several name parts joined by a space, or undefined when none is given. */
export function joinNames(...parts: unknown[]): string | undefined {
  const kept = parts.map(text).filter((p): p is string => p !== undefined);
  return kept.length === 0 ? undefined : kept.join(' ');
}

/** `true`/`false`, also when a provider sends them as strings (Apple). */
export function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

function emailAddress(value: unknown): string | undefined {
  const s = text(value);
  return s !== undefined && /^[^\s@]+@[^\s@]+$/.test(s) ? s : undefined;
}

function httpUrl(value: unknown): string | undefined {
  const s = text(value);
  if (s === undefined) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** A plain object member, or undefined. */
export function objectAt(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
