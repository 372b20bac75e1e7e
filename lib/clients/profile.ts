import { OAuthValidationError } from '../errors/oauth.error.js';
import type { ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import type { OAuthPresetHooks, PresetRequestOptions } from '../interfaces/oauth-preset-hooks.interface.js';
import type { OAuthToken, UserInfo } from '../interfaces/oauth-token.interface.js';
import { readCapped } from '../http/provider-http.js';
import { DEFAULTS } from '../oauth.constants.js';
import type { CallbackParams } from './protocol-client.js';
import { runHook } from './run-hook.js';

/** How a client fetches and maps a user's profile. */
export interface ProfileSource {
  client: string;
  hooks: OAuthPresetHooks | undefined;
  /** One GET of the userinfo endpoint, the raw JSON object (OAuth 2 without a `profile` hook). */
  userinfo?: () => Promise<Record<string, unknown>>;
  /** An API call with the login's token, as `client.request()` makes it. */
  request: (method: string, url: string, opts: PresetRequestOptions) => Promise<Response>;
}

/**
 * The raw profile: the preset's `profile` calls (several requests, a POST, the
 * callback's own data), else one GET of the userinfo endpoint.
 */
export async function rawProfile(
  src: ProfileSource,
  token: OAuthToken,
  claims: UserInfo | undefined,
  callbackParams: CallbackParams | undefined,
): Promise<Record<string, unknown>> {
  const profile = src.hooks?.profile;
  if (profile) {
    return runHook(src.client, 'profile', () =>
      profile.call(src.hooks, {
        token,
        ...(claims === undefined ? {} : { claims }),
        ...(callbackParams === undefined ? {} : { callbackParams }),
        request: async (method, url, opts = {}) => parsedAnswer(await src.request(method, url, opts)),
      }),
    );
  }
  if (!src.userinfo) throw new OAuthValidationError('invalid_userinfo', `OAuth client "${src.client}" has no way to fetch a profile.`);
  return src.userinfo();
}

/**
 * Maps a raw profile to OpenID claims (the `userinfo` hook) and checks it: a string
 * `sub`, and the ID token's `sub` when there is one (OpenID Core 5.3.2: an answer
 * about someone else is refused).
 */
export async function mappedProfile(
  src: ProfileSource,
  raw: Record<string, unknown>,
  token: OAuthToken,
  expectedSub: string | undefined,
): Promise<UserInfo> {
  const map = src.hooks?.userinfo;
  const mapped: unknown = map ? await runHook(src.client, 'userinfo', () => map.call(src.hooks, raw, token)) : raw;
  const sub = mapped !== null && typeof mapped === 'object' ? (mapped as { sub?: unknown }).sub : undefined;
  if (typeof sub !== 'string' || sub === '') {
    throw new OAuthValidationError('invalid_userinfo', 'The userinfo answer has no string "sub".');
  }
  if (expectedSub !== undefined && sub !== expectedSub) {
    throw new OAuthValidationError('invalid_userinfo', 'The userinfo "sub" differs from the ID token\'s; the answer is refused.');
  }
  return mapped as UserInfo;
}

/** An API answer for a preset's profile code: status, headers and the body parsed (JSON, else text), capped. */
async function parsedAnswer(res: Response): Promise<ProviderResponse> {
  const text = await readCapped(res, DEFAULTS.maxBodyBytes, 'profile endpoint');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text
  }
  return { status: res.status, headers: res.headers, body };
}
