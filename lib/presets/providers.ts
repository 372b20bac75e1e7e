import { apple } from './apple.preset.js';
import { auth0 } from './auth0.preset.js';
import { discord } from './discord.preset.js';
import { dropbox } from './dropbox.preset.js';
import { facebook } from './facebook.preset.js';
import { github } from './github.preset.js';
import { gitlab } from './gitlab.preset.js';
import { google } from './google.preset.js';
import { keycloak } from './keycloak.preset.js';
import { linkedin } from './linkedin.preset.js';
import { microsoft } from './microsoft.preset.js';
import { okta } from './okta.preset.js';
import { reddit } from './reddit.preset.js';
import { slack } from './slack.preset.js';
import { spotify } from './spotify.preset.js';
import { twitch } from './twitch.preset.js';
import { twitter } from './twitter.preset.js';
import { x } from './x.preset.js';

/**
 * Provider presets: `providers.<name>(options)` returns an `OAuthClientConfig` with
 * the provider's endpoints (or discovery), client authentication, default scope,
 * PKCE and the hooks its quirks need. `options` are any client fields, which win over
 * the preset's, plus the provider's own (`tenant`, `teamId`, `issuer`, …).
 */
export const providers = Object.freeze({
  github,
  google,
  microsoft,
  apple,
  x,
  twitter,
  facebook,
  linkedin,
  discord,
  slack,
  gitlab,
  twitch,
  spotify,
  okta,
  auth0,
  keycloak,
  reddit,
  dropbox,
});
