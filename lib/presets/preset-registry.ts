import { OAuthConfigError } from '../errors/oauth.error.js';
import { applePreset } from './apple.preset.js';
import { auth0Preset } from './auth0.preset.js';
import { discordPreset } from './discord.preset.js';
import { dropboxPreset } from './dropbox.preset.js';
import { facebookPreset } from './facebook.preset.js';
import { githubPreset } from './github.preset.js';
import { gitlabPreset } from './gitlab.preset.js';
import { googlePreset } from './google.preset.js';
import { keycloakPreset } from './keycloak.preset.js';
import { linkedinPreset } from './linkedin.preset.js';
import { microsoftPreset } from './microsoft.preset.js';
import { oktaPreset } from './okta.preset.js';
import { applyPreset } from './preset-config.js';
import { PRESET_NAMES, type PresetClientConfig, type PresetDefinition, type PresetName } from './preset.types.js';
import { redditPreset } from './reddit.preset.js';
import { slackPreset } from './slack.preset.js';
import { spotifyPreset } from './spotify.preset.js';
import { twitchPreset } from './twitch.preset.js';
import { twitterPreset } from './twitter.preset.js';
import { xPreset } from './x.preset.js';

type AnyPreset = PresetDefinition<Record<string, unknown>>;

/** Every preset by name, for `"preset": "<name>"` in settings. */
export const PRESETS: Readonly<Record<PresetName, AnyPreset>> = Object.freeze({
  github: githubPreset,
  google: googlePreset,
  microsoft: microsoftPreset,
  apple: applePreset,
  x: xPreset,
  twitter: twitterPreset,
  facebook: facebookPreset,
  linkedin: linkedinPreset,
  discord: discordPreset,
  slack: slackPreset,
  gitlab: gitlabPreset,
  twitch: twitchPreset,
  spotify: spotifyPreset,
  okta: oktaPreset,
  auth0: auth0Preset,
  keycloak: keycloakPreset,
  reddit: redditPreset,
  dropbox: dropboxPreset,
} as unknown as Record<PresetName, AnyPreset>);

export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && (PRESET_NAMES as readonly string[]).includes(name);
}

/**
 * The provider options a preset accepts beside the client fields (`tenant`,
 * `teamId`, …), so settings and flat `OAUTH_<NAME>_<FIELD>` keys can carry them.
 */
export function presetOptionNames(preset: PresetName): readonly string[] {
  return Object.keys(PRESETS[preset].options);
}

/**
 * A client's settings with `preset` applied: the preset's fields become the defaults,
 * its provider options are checked and consumed, and `preset` itself is removed.
 * `raw` is the merged settings of one client (settings, code and flat keys),
 * already in camelCase. An unknown preset name or a missing or malformed provider
 * option fails with `OAuthConfigError` naming the client and the field.
 */
export function resolvePresetSettings(clientName: string, raw: Readonly<Record<string, unknown>>): PresetClientConfig {
  const name = raw.preset;
  if (!isPresetName(name)) {
    throw new OAuthConfigError(
      `OAuth client "${clientName}": preset must be one of ${PRESET_NAMES.join(', ')}.`,
      { client: clientName, field: 'preset' },
    );
  }
  return applyPreset(PRESETS[name], raw, clientName);
}
