import type { ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset } from './preset-config.js';
import { answerObject, withBody } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims, objectAt } from './user-claims.js';

/** Slack has no options of its own. */
export type SlackPresetOptions = Record<never, never>;

const NS = 'https://slack.com/';
const IMAGE_SIZES = [512, 192, 72, 48, 32, 24];

/**
 * "Sign in with Slack" (OpenID Connect). Slack's own claims are namespaced
 * (`https://slack.com/user_id`, `…/team_id`, `…/user_image_512`); the standard ones
 * are read as usual and the picture falls back to the largest namespaced image.
 * Slack answers errors as HTTP 200 `{"ok": false, "error": …}` and has omitted
 * `token_type` on some endpoints.
 */
export const slackPreset: PresetDefinition<SlackPresetOptions> = {
  name: 'slack',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      serverMetadataUrl: 'https://slack.com/.well-known/openid-configuration',
      scope: 'openid profile email',
      apiBaseUrl: 'https://slack.com/api/',
      tokenEndpointAuthMethod: 'client_secret_post',
      codeChallengeMethod: false,
      hooks: {
        accessTokenResponse: tokenResponse,
        refreshTokenResponse: tokenResponse,
        userinfo(raw) {
          const image = IMAGE_SIZES.map((size) => raw[`${NS}user_image_${size}`]).find((u) => typeof u === 'string');
          return normaliseOpenIdClaims(raw, {
            sub: raw.sub ?? raw[`${NS}user_id`],
            picture: raw.picture ?? image,
          });
        },
      },
    };
  },
};

function tokenResponse(res: ProviderResponse): ProviderResponse {
  const body = objectAt(answerObject(res.body));
  if (!body) return res;
  // Slack's older endpoints omit token_type (Authlib's slack compliance fix).
  if (body.ok === true && body.token_type === undefined && typeof body.access_token === 'string') {
    return withBody(res, { ...body, token_type: 'Bearer' });
  }
  return withBody(res, body);
}

/** `providers.slack(options)`. */
export function slack(options: PresetOptions<SlackPresetOptions> = {}): PresetClientConfig {
  return applyPreset(slackPreset, options);
}
