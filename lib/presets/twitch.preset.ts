import type { ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset, bindableHooks } from './preset-config.js';
import { answerObject, scopeString, withBody } from './provider-answer.js';
import type { OAuthPresetHooks, PresetClientConfig, PresetClientInfo, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims, objectAt } from './user-claims.js';

/** Twitch has no options of its own. */
export type TwitchPresetOptions = Record<never, never>;

/** The optional claims Twitch puts in the ID token only when the `claims` parameter asks. */
const REQUESTED_CLAIMS = JSON.stringify({
  id_token: { email: null, email_verified: null, picture: null, preferred_username: null },
  userinfo: { email: null, email_verified: null, picture: null, preferred_username: null },
});

/**
 * Twitch (OpenID Connect). The token answer's `scope` is a JSON array (a string
 * here), errors are `{"status", "message"}` (mapped to OAuth codes), the secret goes
 * in the body only, the email and picture reach the ID token only through the
 * `claims` parameter, and every Helix call needs a `Client-Id` header.
 */
export const twitchPreset: PresetDefinition<TwitchPresetOptions> = {
  name: 'twitch',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      serverMetadataUrl: 'https://id.twitch.tv/oauth2/.well-known/openid-configuration',
      scope: 'openid user:read:email',
      apiBaseUrl: 'https://api.twitch.tv/helix/',
      authorizeParams: { claims: REQUESTED_CLAIMS },
      tokenEndpointAuthMethod: 'client_secret_post',
      codeChallengeMethod: false,
      hooks: bindableHooks(twitchHooks),
    };
  },
};

/** `providers.twitch(options)`. */
export function twitch(options: PresetOptions<TwitchPresetOptions> = {}): PresetClientConfig {
  return applyPreset(twitchPreset, options);
}

function tokenResponse(res: ProviderResponse): ProviderResponse {
  const body = objectAt(answerObject(res.body));
  if (!body) return res;
  if (body.error === undefined && typeof body.message === 'string' && typeof body.status === 'number') {
    const message = body.message;
    const error = /client/i.test(message) ? 'invalid_client' : /code|refresh token|grant/i.test(message) ? 'invalid_grant' : 'invalid_request';
    return withBody(res, { ...body, error, error_description: message });
  }
  return withBody(res, body.scope === undefined ? body : { ...body, scope: scopeString(body.scope, /\s+/) });
}

function twitchHooks(client: Partial<PresetClientInfo>): OAuthPresetHooks {
  return {
    accessTokenResponse: tokenResponse,
    refreshTokenResponse: tokenResponse,
    protectedRequest(req) {
      if (client.clientId !== undefined && !req.headers.has('client-id')) req.headers.set('client-id', client.clientId);
      return req;
    },
    userinfo: (raw) => normaliseOpenIdClaims(raw),
  };
}
