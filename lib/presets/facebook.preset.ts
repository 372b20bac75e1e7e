import { createHmac } from 'node:crypto';
import type { ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset, bindableHooks } from './preset-config.js';
import { answerObject, profileObject, withBody } from './provider-answer.js';
import type { OAuthPresetHooks, PresetClientConfig, PresetClientInfo, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt } from './user-claims.js';

/** Facebook's own options. */
export interface FacebookPresetOptions {
  /** Graph API version of every URL, e.g. `v22.0` (default). Facebook retires versions after two years. */
  version?: string;
  /**
   * Send `appsecret_proof` (HMAC-SHA256 of the access token keyed by the app secret)
   * on API calls; needed when the app requires it. Default true when a secret is set.
   */
  appsecretProof?: boolean;
}

const DEFAULT_VERSION = 'v22.0';

/**
 * Facebook Login (OAuth 2.0, no OpenID on the web). Versioned Graph URLs; the
 * client secret goes in the body; API calls carry `appsecret_proof`; errors come as
 * `{"error": {"message", "type", "code"}}`, mapped here to OAuth error codes.
 */
export const facebookPreset: PresetDefinition<FacebookPresetOptions> = {
  name: 'facebook',
  options: { version: 'string', appsecretProof: 'boolean' },
  required: [],
  check({ version }) {
    if (version !== undefined && !/^v\d+\.\d+$/.test(version)) {
      return { field: 'version', message: 'needs version like "v22.0".' };
    }
    return undefined;
  },
  build({ version = DEFAULT_VERSION, appsecretProof = true }): PresetClientConfig {
    return {
      authorizeUrl: `https://www.facebook.com/${version}/dialog/oauth`,
      accessTokenUrl: `https://graph.facebook.com/${version}/oauth/access_token`,
      apiBaseUrl: `https://graph.facebook.com/${version}/`,
      scope: 'email public_profile',
      tokenEndpointAuthMethod: 'client_secret_post',
      codeChallengeMethod: false,
      fetchUserinfo: true,
      hooks: bindableHooks((client) => facebookHooks(client, appsecretProof)),
    };
  },
};

/** `providers.facebook(options)`. */
export function facebook(options: PresetOptions<FacebookPresetOptions> = {}): PresetClientConfig {
  return applyPreset(facebookPreset, options);
}

/** Graph's error object as an RFC 6749 error: an OAuthException on the exchange refuses the grant. */
function graphError(res: ProviderResponse): ProviderResponse {
  const body = objectAt(answerObject(res.body));
  const error = objectAt(body?.error);
  if (!body || !error) return withBody(res, body ?? res.body);
  const message = typeof error.message === 'string' ? error.message : undefined;
  let code = 'invalid_request';
  if (error.type === 'OAuthException') {
    // Code 1 with "client secret" is a bad secret; the rest (code 100: used, expired
    // or foreign code, wrong redirect_uri) refuse the grant.
    code = /client secret/i.test(message ?? '') ? 'invalid_client' : 'invalid_grant';
  }
  return withBody(res, { ...body, error: code, ...(message === undefined ? {} : { error_description: message }) });
}

function facebookHooks(client: Partial<PresetClientInfo>, appsecretProof: boolean): OAuthPresetHooks {
  return {
    accessTokenResponse: graphError,
    refreshTokenResponse: graphError,
    protectedRequest(req, token) {
      const accessToken = token && typeof token.access_token === 'string' ? token.access_token : undefined;
      if (appsecretProof && client.clientSecret && accessToken) {
        // Graph checks this proof when the app has "Require App Secret" on: a token
        // stolen from a browser is useless without the secret held by the server.
        const url = new URL(req.url);
        url.searchParams.set('appsecret_proof', createHmac('sha256', client.clientSecret).update(accessToken).digest('hex'));
        req.url = url.toString();
      }
      return req;
    },
    async profile(ctx) {
      const res = await ctx.request('GET', 'me', { query: { fields: 'id,name,first_name,last_name,email,picture' } });
      return profileObject(res, 'Facebook /me endpoint');
    },
    userinfo(raw) {
      return normaliseUser(raw, {
        sub: raw.id,
        name: raw.name,
        given_name: raw.first_name,
        family_name: raw.last_name,
        email: raw.email,
        picture: objectAt(objectAt(raw.picture)?.data)?.url,
      });
    },
  };
}
