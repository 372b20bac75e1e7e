import { OAuthConfigError } from '../errors/oauth.error.js';
import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';
import type { ProviderRequest } from '../interfaces/oauth-hooks.interface.js';
import type { OAuthToken } from '../interfaces/oauth-token.interface.js';
import {
  PRESET_SOURCE,
  type OAuthPresetHooks,
  type PresetClientConfig,
  type PresetClientInfo,
  type PresetDefinition,
  type PresetOptions,
} from './preset.types.js';

/** Fields whose objects merge key by key (the user's keys win) instead of being replaced. */
const MERGED_PARAMS = ['authorizeParams', 'accessTokenParams', 'refreshTokenParams', 'requestTokenParams'] as const;

/** Hooks that take one value and hand it back changed: chained preset first, then the user's. */
export const CHAINED_HOOKS = [
  'serverMetadata',
  'authorizationParams',
  'accessTokenRequest',
  'accessTokenResponse',
  'refreshTokenRequest',
  'refreshTokenResponse',
  'revokeTokenRequest',
  'introspectTokenRequest',
] as const;

type ChainedHook = (typeof CHAINED_HOOKS)[number];
type Step = (value: unknown) => unknown;

/**
 * Builds a preset's configuration: the provider's own options are checked and turned
 * into defaults; every client field given wins over them, except that parameter
 * objects merge and hooks compose (the preset's run first, so a user's hook sees the
 * provider's answer already repaired).
 */
export function applyPreset<Own extends object>(
  definition: PresetDefinition<Own>,
  options: PresetOptions<Own> | Record<string, unknown> | undefined,
  clientName?: string,
): PresetClientConfig {
  const own: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined || value === null || key === 'preset') continue;
    if (Object.prototype.hasOwnProperty.call(definition.options, key)) own[key] = value;
    else fields[key] = value;
  }
  const checked = checkPresetOptions(definition, own, clientName);
  const defaults = definition.build(checked);
  const config = mergePresetConfig(defaults, fields as OAuthClientConfig);
  config[PRESET_SOURCE] = Object.freeze({ preset: definition.name, defaults, explicit: Object.freeze({ ...fields }) as OAuthClientConfig });
  return config;
}

/** Preset defaults with a user's fields on top (see `applyPreset`). */
export function mergePresetConfig(defaults: PresetClientConfig, user: OAuthClientConfig): PresetClientConfig {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined || value === null) continue;
    if ((MERGED_PARAMS as readonly string[]).includes(key) && typeof value === 'object') {
      out[key] = { ...((defaults as Record<string, unknown>)[key] as object | undefined), ...value };
    } else if (key === 'hooks') {
      out.hooks = defaults.hooks ? composeHooks(defaults.hooks, value as OAuthPresetHooks) : value;
    } else {
      out[key] = value;
    }
  }
  return out as PresetClientConfig;
}

/**
 * Two sets of hooks as one: value hooks and `userinfo` run `first` then `second`;
 * `idTokenClaims` runs both; the other extensions are `second`'s when it has them.
 * With a `bind` on either side the result binds both.
 */
export function composeHooks(first: OAuthPresetHooks, second: OAuthPresetHooks): OAuthPresetHooks {
  const out = composeMembers(first, second);
  if (first.bind || second.bind) {
    out.bind = (client: PresetClientInfo) =>
      composeMembers(first.bind ? first.bind(client) : first, second.bind ? second.bind(client) : second);
  }
  return out;
}

function composeMembers(a: OAuthPresetHooks, b: OAuthPresetHooks): OAuthPresetHooks {
  const out: OAuthPresetHooks = {};
  const table = out as Record<ChainedHook, Step | undefined>;
  for (const name of CHAINED_HOOKS) {
    const x = (a as Record<ChainedHook, Step | undefined>)[name]?.bind(a);
    const y = (b as Record<ChainedHook, Step | undefined>)[name]?.bind(b);
    if (x && y) table[name] = async (value: unknown) => y(await x(value));
    else if (x ?? y) table[name] = x ?? y;
  }
  if (a.protectedRequest && b.protectedRequest) {
    const [x, y] = [a.protectedRequest.bind(a), b.protectedRequest.bind(b)];
    out.protectedRequest = async (req: ProviderRequest, token?: OAuthToken) => y(await x(req, token), token);
  } else if (a.protectedRequest ?? b.protectedRequest) {
    out.protectedRequest = (a.protectedRequest ?? b.protectedRequest)!;
  }
  if (a.userinfo && b.userinfo) {
    const [x, y] = [a.userinfo.bind(a), b.userinfo.bind(b)];
    out.userinfo = async (raw, token) => y(await x(raw, token), token);
  } else if (a.userinfo ?? b.userinfo) {
    out.userinfo = (a.userinfo ?? b.userinfo)!;
  }
  if (a.idTokenClaims && b.idTokenClaims) {
    const [x, y] = [a.idTokenClaims.bind(a), b.idTokenClaims.bind(b)];
    out.idTokenClaims = (claims) => {
      x(claims);
      y(claims);
    };
  } else if (a.idTokenClaims ?? b.idTokenClaims) {
    out.idTokenClaims = (a.idTokenClaims ?? b.idTokenClaims)!;
  }
  const profile = b.profile ?? a.profile;
  if (profile) out.profile = profile;
  const issuer = b.idTokenIssuer ?? a.idTokenIssuer;
  if (issuer) out.idTokenIssuer = issuer;
  const nonce = b.idTokenNonce ?? a.idTokenNonce;
  if (nonce) out.idTokenNonce = nonce;
  return out;
}

/**
 * Hooks that need the client's final settings: built once from what is known when
 * the preset is applied (code that passes `clientId` works at once) and again by
 * `bind` with the settings the client ends up with.
 */
export function bindableHooks(
  build: (client: Partial<PresetClientInfo>) => OAuthPresetHooks,
  known: Partial<PresetClientInfo> = {},
): OAuthPresetHooks {
  return { ...build(known), bind: (client: PresetClientInfo) => build(client) };
}

/**
 * Checks a preset's own options (types, required ones, the preset's own rules) and
 * returns them coerced (settings give strings: `"true"`, JSON arrays, PEM with
 * escaped newlines). Fails with `OAuthConfigError` naming the field.
 */
export function checkPresetOptions<Own extends object>(
  definition: PresetDefinition<Own>,
  own: Record<string, unknown>,
  clientName?: string,
): Own {
  const fail = (field: string, message: string): never => {
    const prefix = clientName === undefined ? '' : `OAuth client "${clientName}": `;
    throw new OAuthConfigError(`${prefix}the ${definition.name} preset ${message}`, {
      ...(clientName === undefined ? {} : { client: clientName }),
      field,
    });
  };
  const out: Record<string, unknown> = {};
  for (const field of definition.required) {
    const value = own[field];
    if (value === undefined || value === null || value === '') fail(field, `needs ${field}.`);
  }
  for (const [field, value] of Object.entries(own)) {
    const type = (definition.options as Record<string, string>)[field];
    out[field] = coerceOption(field, type, value, fail);
  }
  const problem = definition.check?.(out as Own);
  if (problem) fail(problem.field, problem.message);
  return out as Own;
}

function coerceOption(field: string, type: string | undefined, value: unknown, fail: (field: string, message: string) => never): unknown {
  switch (type) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') return fail(field, `needs ${field} as a non-empty string.`);
      return value.trim();
    case 'url': {
      if (typeof value !== 'string') return fail(field, `needs ${field} as an absolute https URL.`);
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return fail(field, `needs ${field} as an absolute https URL; it is not a URL.`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail(field, `needs ${field} as an http(s) URL.`);
      if (url.search !== '' || url.hash !== '') return fail(field, `needs ${field} without a query or fragment.`);
      return value;
    }
    case 'strings': {
      let list: unknown = value;
      if (typeof value === 'string') {
        const s = value.trim();
        if (s.startsWith('[')) {
          try {
            list = JSON.parse(s) as unknown;
          } catch {
            return fail(field, `needs ${field} as a list of strings; it is not valid JSON.`);
          }
        } else {
          list = s.split(',').map((p) => p.trim()).filter(Boolean);
        }
      }
      if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.trim() !== '')) {
        return fail(field, `needs ${field} as a non-empty list of strings.`);
      }
      return Object.freeze(list.map((s: string) => s.trim()));
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return fail(field, `needs ${field} as true or false.`);
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return fail(field, `needs ${field} as a positive number.`);
      return n;
    }
    case 'pem': {
      if (typeof value !== 'string' || value.trim() === '') return fail(field, `needs ${field} as a PEM string.`);
      // Environment files often carry a PEM on one line with "\n" written out.
      const pem = value.includes('\\n') && !value.includes('\n') ? value.replace(/\\n/g, '\n') : value;
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return fail(field, `needs ${field} as a PEM private key (-----BEGIN PRIVATE KEY-----).`);
      return pem.trim();
    }
    default:
      return value;
  }
}
