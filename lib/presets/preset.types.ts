import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';

/** Names of the provider presets, as `providers.<name>()` and `"preset": "<name>"` spell them. */
export const PRESET_NAMES = [
  'github',
  'google',
  'microsoft',
  'apple',
  'x',
  'twitter',
  'facebook',
  'linkedin',
  'discord',
  'slack',
  'gitlab',
  'twitch',
  'spotify',
  'okta',
  'auth0',
  'keycloak',
  'reddit',
  'dropbox',
] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export type { OAuthPresetHooks, PresetClientInfo, PresetProfileContext, PresetRequestOptions } from '../interfaces/oauth-preset-hooks.interface.js';
import type { OAuthPresetHooks } from '../interfaces/oauth-preset-hooks.interface.js';

/**
 * Marks a configuration made by `providers.<name>()`: which preset, its defaults and
 * the fields the caller gave. A settings loader can rank the preset's defaults below
 * `OAUTH_CLIENTS` (they are defaults, not choices made in code) and the caller's own
 * fields above. A symbol key: `Object.entries` and JSON never see it.
 */
export const PRESET_SOURCE: unique symbol = Symbol('nestjs-oauth-client.presetSource');

export interface PresetSource {
  readonly preset: PresetName;
  /** What the preset built from its options (hooks not yet composed with the caller's). */
  readonly defaults: Readonly<PresetClientConfig>;
  /** The client fields the caller gave (its own options removed). */
  readonly explicit: Readonly<OAuthClientConfig>;
}

/** A preset's configuration: an `OAuthClientConfig` whose hooks may use the extensions. */
export interface PresetClientConfig extends OAuthClientConfig {
  hooks?: OAuthPresetHooks;
  [PRESET_SOURCE]?: PresetSource;
}

/** `providers.<name>(options)`: every client field (they win over the preset's) plus the provider's own. */
export type PresetOptions<Own extends object = object> = Own & Omit<OAuthClientConfig, keyof Own>;

/** Field types of a provider's own options, as settings give them. */
export type PresetOptionType = 'string' | 'url' | 'strings' | 'boolean' | 'number' | 'pem';

/**
 * What a preset is: its own options (with their types, for settings) and the
 * defaults it builds from them. `build` receives the options already checked.
 */
export interface PresetDefinition<Own extends object = Record<string, unknown>> {
  readonly name: PresetName;
  /** Provider options accepted besides the client fields, with their types. */
  readonly options: Readonly<Record<keyof Own & string, PresetOptionType>>;
  /** Provider options that must be given. */
  readonly required: readonly (keyof Own & string)[];
  /** Checks that types alone cannot express; returns a message naming the problem, or undefined. */
  check?(own: Own): { field: keyof Own & string; message: string } | undefined;
  build(own: Own): PresetClientConfig;
}
