/**
 * Golden files of the presets (test/fixtures/presets/<name>.json): who logs in, what
 * the authorization URL and the token request must look like, the API call to make,
 * whether a refresh token comes, and the normalised profile expected.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockIdentity } from '../../lib/testing/index.js';
import type { PresetName } from '../../lib/index.js';

export interface PresetGolden {
  /** Claims given to `nextLogin`. */
  login: MockIdentity;
  /** Fields laid over the dialect's raw profile. */
  raw?: Record<string, unknown>;
  /** Provider options passed to `clientConfig()`. */
  options?: Record<string, unknown>;
  authorization: {
    /** OAuth 1: the authorize path. */
    path?: string;
    scope?: string;
    pkce?: boolean;
    nonce?: boolean;
    /** Parameters besides the protocol's own. */
    params?: Record<string, string>;
  };
  tokenRequest: { path: string; auth: 'basic' | 'post' | 'none' | 'oauth1'; body?: string[] };
  refresh: boolean;
  /** An API call to make with the token; `{origin}` stands for the mock's origin. */
  api?: { method: string; path: string };
  userinfo: Record<string, unknown>;
}

/** Claims of an ID token that change with every login (time, nonce, port). */
export const VOLATILE_CLAIMS = ['iss', 'aud', 'exp', 'iat', 'nonce', 'at_hash', 'auth_time'];

export function golden(name: PresetName): PresetGolden {
  return JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/presets', `${name}.json`), 'utf8')) as PresetGolden;
}

/** A profile without the claims that vary per login. */
export function stable(userinfo: Record<string, unknown>): Record<string, unknown> {
  const out = { ...userinfo };
  for (const k of VOLATILE_CLAIMS) delete out[k];
  return out;
}
