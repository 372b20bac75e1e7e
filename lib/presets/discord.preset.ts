import { applyPreset } from './preset-config.js';
import { PRESET_USER_AGENT, defaultHeader } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { idString, normaliseUser, text } from './user-claims.js';

/** Discord has no options of its own. */
export type DiscordPresetOptions = Record<never, never>;

const CDN = 'https://cdn.discordapp.com';

/**
 * Discord (OAuth 2.0, no OpenID). The profile is `users/@me`: `verified` says whether
 * the email is verified, `global_name` is the display name, and the avatar is a hash
 * turned into a CDN URL (`a_` hashes are animated; no hash means a default avatar).
 */
export const discordPreset: PresetDefinition<DiscordPresetOptions> = {
  name: 'discord',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      authorizeUrl: 'https://discord.com/oauth2/authorize',
      accessTokenUrl: 'https://discord.com/api/oauth2/token',
      revocationUrl: 'https://discord.com/api/oauth2/token/revoke',
      apiBaseUrl: 'https://discord.com/api/',
      userinfoUrl: 'https://discord.com/api/users/@me',
      scope: 'identify email',
      fetchUserinfo: true,
      hooks: {
        protectedRequest: (req) => defaultHeader(req, 'user-agent', PRESET_USER_AGENT),
        userinfo(raw) {
          const username = text(raw.username);
          const discriminator = text(raw.discriminator);
          return normaliseUser(raw, {
            sub: raw.id,
            name: raw.global_name ?? username,
            email: raw.email,
            email_verified: raw.verified,
            picture: discordAvatar(idString(raw.id), text(raw.avatar), discriminator),
            // Legacy accounts are still named "name#1234"; migrated ones have "0".
            preferred_username: username && discriminator && discriminator !== '0' ? `${username}#${discriminator}` : username,
          });
        },
      },
    };
  },
};

/** `providers.discord(options)`. */
export function discord(options: PresetOptions<DiscordPresetOptions> = {}): PresetClientConfig {
  return applyPreset(discordPreset, options);
}

function discordAvatar(id: string | undefined, hash: string | undefined, discriminator: string | undefined): string | undefined {
  if (id === undefined || !/^\d+$/.test(id)) return undefined;
  if (hash !== undefined) return `${CDN}/avatars/${id}/${hash}.${hash.startsWith('a_') ? 'gif' : 'png'}`;
  // Discord's default avatars: by user id for migrated names, by discriminator for legacy ones.
  const index = discriminator && discriminator !== '0' ? Number(discriminator) % 5 : Number((BigInt(id) >> 22n) % 6n);
  return `${CDN}/embed/avatars/${index}.png`;
}
