import type { PresetName } from '../../presets/preset.types.js';
import type { MockDialect } from '../mock-dialect.js';
import { appleDialect } from './apple.dialect.js';
import { auth0Dialect } from './auth0.dialect.js';
import { discordDialect } from './discord.dialect.js';
import { dropboxDialect } from './dropbox.dialect.js';
import { facebookDialect } from './facebook.dialect.js';
import { githubDialect } from './github.dialect.js';
import { gitlabDialect } from './gitlab.dialect.js';
import { googleDialect } from './google.dialect.js';
import { keycloakDialect } from './keycloak.dialect.js';
import { linkedinDialect } from './linkedin.dialect.js';
import { microsoftDialect } from './microsoft.dialect.js';
import { oidcDialect } from './oidc.dialect.js';
import { oktaDialect } from './okta.dialect.js';
import { redditDialect } from './reddit.dialect.js';
import { slackDialect } from './slack.dialect.js';
import { spotifyDialect } from './spotify.dialect.js';
import { twitchDialect } from './twitch.dialect.js';
import { twitterDialect } from './twitter.dialect.js';
import { xDialect } from './x.dialect.js';

/** Every dialect the mock speaks, by preset name, plus the generic `oidc`. */
export const DIALECTS: Readonly<Record<PresetName | 'oidc', MockDialect>> = Object.freeze({
  oidc: oidcDialect,
  github: githubDialect,
  google: googleDialect,
  microsoft: microsoftDialect,
  apple: appleDialect,
  x: xDialect,
  twitter: twitterDialect,
  facebook: facebookDialect,
  linkedin: linkedinDialect,
  discord: discordDialect,
  slack: slackDialect,
  gitlab: gitlabDialect,
  twitch: twitchDialect,
  spotify: spotifyDialect,
  okta: oktaDialect,
  auth0: auth0Dialect,
  keycloak: keycloakDialect,
  reddit: redditDialect,
  dropbox: dropboxDialect,
});
