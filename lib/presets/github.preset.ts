import type { ProviderRequest, ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset, bindableHooks } from './preset-config.js';
import { PRESET_USER_AGENT, answerObject, defaultHeader, profileObject, scopeString, withBody } from './provider-answer.js';
import type { OAuthPresetHooks, PresetClientConfig, PresetClientInfo, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt } from './user-claims.js';

/** GitHub's own options. */
export interface GitHubPresetOptions {
  /** GitHub Enterprise Server, e.g. `https://github.example.com`; its API is under `/api/v3/`. */
  enterpriseUrl?: string;
}

/**
 * GitHub answers the token request form-encoded unless asked for JSON, reports a bad
 * code as HTTP 200 with an `error` body, refuses requests without a User-Agent, and
 * may hide the user's email: then the primary verified address of `user/emails` is
 * used. No OpenID; refresh only for GitHub Apps with expiring user tokens.
 */
export const githubPreset: PresetDefinition<GitHubPresetOptions> = {
  name: 'github',
  options: { enterpriseUrl: 'url' },
  required: [],
  build({ enterpriseUrl }): PresetClientConfig {
    const web = enterpriseUrl ? enterpriseUrl.replace(/\/+$/, '') : 'https://github.com';
    const api = enterpriseUrl ? `${web}/api/v3/` : 'https://api.github.com/';
    return {
      authorizeUrl: `${web}/login/oauth/authorize`,
      accessTokenUrl: `${web}/login/oauth/access_token`,
      apiBaseUrl: api,
      userinfoUrl: `${api}user`,
      scope: 'read:user user:email',
      tokenEndpointAuthMethod: 'client_secret_post',
      fetchUserinfo: true,
      hooks: bindableHooks(githubHooks),
    };
  },
};

/** `providers.github(options)`. */
export function github(options: PresetOptions<GitHubPresetOptions> = {}): PresetClientConfig {
  return applyPreset(githubPreset, options);
}

function tokenRequest(req: ProviderRequest): ProviderRequest {
  // Without this GitHub answers `access_token=…&scope=…` as a form.
  req.headers.set('accept', 'application/json');
  return defaultHeader(req, 'user-agent', PRESET_USER_AGENT);
}

function tokenResponse(res: ProviderResponse): ProviderResponse {
  const body = answerObject(res.body);
  const fields = objectAt(body);
  // GitHub lists granted scopes comma-separated; the token's `scope` is space-separated here.
  if (fields && fields.scope !== undefined) return withBody(res, { ...fields, scope: scopeString(fields.scope) });
  return withBody(res, body);
}

function githubHooks(client: Partial<PresetClientInfo>): OAuthPresetHooks {
  return {
    accessTokenRequest: tokenRequest,
    refreshTokenRequest: tokenRequest,
    accessTokenResponse: tokenResponse,
    refreshTokenResponse: tokenResponse,
    protectedRequest(req) {
      defaultHeader(req, 'user-agent', PRESET_USER_AGENT);
      defaultHeader(req, 'accept', 'application/vnd.github+json');
      return req;
    },
    async profile(ctx) {
      const user = profileObject(await ctx.request('GET', client.userinfoUrl ?? 'user'), 'GitHub user endpoint');
      if (typeof user.email === 'string' && user.email !== '') return user;
      // A private address is absent from /user; with the user:email scope the list
      // says which one is primary and verified. Without that scope GitHub answers 404.
      const listed = await ctx.request('GET', 'user/emails');
      if (listed.status !== 200 || !Array.isArray(listed.body)) return user;
      return { ...user, emails: listed.body };
    },
    userinfo(raw) {
      let email: unknown = raw.email;
      let verified: unknown;
      if (typeof email !== 'string' || email === '') {
        const primary = Array.isArray(raw.emails)
          ? raw.emails.map(objectAt).find((e) => e?.primary === true && e.verified === true)
          : undefined;
        email = primary?.email;
        verified = primary ? true : undefined;
      }
      return normaliseUser(raw, {
        sub: raw.id,
        name: raw.name,
        email,
        email_verified: verified,
        picture: raw.avatar_url,
        preferred_username: raw.login,
      });
    },
  };
}
