import { OAuthConfigError } from '../errors/oauth.error.js';
import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';
import {
  AUTHLIB_ALIASES,
  AUTHLIB_KWARGS,
  AUTHLIB_WITHOUT_MEANING,
  CLIENT_FIELDS,
  camelCase,
  isClientField,
  screamingSnake,
  type ClientField,
} from './client-fields.js';
import type { ResolvedClientConfig } from './resolved-client.js';
import { isPresetName, presetOptionNames, resolvePresetSettings } from '../presets/preset-registry.js';
import { safeName } from '../errors/safe-text.js';
import { jsonErrorOffset } from './json-error-offset.js';
import { validateClientConfig } from './validate-client.js';

/** The part of `ConfigService` this module reads. */
export interface ConfigReader {
  get(key: string): unknown;
}

type RawClient = Record<string, unknown>;

/**
 * Reads `OAUTH_CLIENTS` and the flat `OAUTH_<NAME>_<FIELD>` keys, merges them with
 * the clients given in code and validates every result.
 *
 * Precedence, lowest first: for a client without `overwrite`, settings then code
 * (code wins); with `overwrite: true`, code then settings (Authlib's rule). Flat keys
 * win over both, since they are how one secret is injected from the environment.
 */
export function loadClientConfigs(
  config: ConfigReader,
  codeClients: Record<string, OAuthClientConfig> = {},
): Map<string, ResolvedClientConfig> {
  const settings = readClientsSetting(config.get('OAUTH_CLIENTS'));
  const names = new Set([...Object.keys(settings), ...Object.keys(codeClients)]);
  const result = new Map<string, ResolvedClientConfig>();
  for (const name of names) {
    const fromSettings = settings[name] ? normaliseClient(name, settings[name]) : {};
    const fromCode = codeClients[name] ? normaliseClient(name, codeClients[name] as RawClient) : {};
    const overwrite = fromCode.overwrite === true || fromSettings.overwrite === true;
    const merged: RawClient = overwrite ? { ...fromCode, ...fromSettings } : { ...fromSettings, ...fromCode };
    Object.assign(merged, readFlatKeys(config, name, merged.preset));
    result.set(name, validateClientConfig(name, withPreset(name, merged)));
  }
  return result;
}

/** Normalises and validates one client given at run time (`registry.register`). */
export function resolveClientConfig(name: string, config: OAuthClientConfig, reader?: ConfigReader): ResolvedClientConfig {
  const merged = normaliseClient(name, config as RawClient);
  if (reader) Object.assign(merged, readFlatKeys(reader, name, merged.preset));
  return validateClientConfig(name, withPreset(name, merged));
}

/**
 * A client naming a preset gets the preset's fields as defaults and its provider
 * options (`tenant`, `teamId`, …) consumed, after settings, code and flat keys are
 * merged, so a flat key can still give a preset's option or override its field.
 */
function withPreset(name: string, merged: RawClient): RawClient {
  if (merged.preset === undefined) return merged;
  return resolvePresetSettings(name, merged) as RawClient;
}

function readClientsSetting(value: unknown): Record<string, RawClient> {
  if (value === undefined || value === null || value === '') return {};
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      // No cause: the parser's message quotes the text around the error, which may be a secret.
      const { offset, key } = jsonErrorOffset(value);
      throw new OAuthConfigError(
        `OAUTH_CLIENTS is not valid JSON (at character ${offset + 1}${key === undefined ? '' : `, in client "${safeName(key, 64)}"`}); it must be an object keyed by client name.`,
        { field: 'OAUTH_CLIENTS' },
      );
    }
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new OAuthConfigError('OAUTH_CLIENTS must be an object keyed by client name.', { field: 'OAUTH_CLIENTS' });
  }
  const out: Record<string, RawClient> = {};
  for (const [name, client] of Object.entries(parsed as object)) {
    if (client === null || client === undefined) continue;
    if (typeof client !== 'object' || Array.isArray(client)) {
      throw new OAuthConfigError(`OAuth client "${name}": its settings must be an object.`, { client: name, field: name });
    }
    out[name] = client as RawClient;
  }
  return out;
}

/**
 * Accepts our camelCase names and Authlib's snake_case ones (`client_id`,
 * `api_base_url`, `client_kwargs: { scope, token_endpoint_auth_method, … }`), so the
 * seed's `AUTHLIB_OAUTH_CLIENTS` works as JSON. `null` means unset.
 */
function normaliseClient(name: string, raw: RawClient): RawClient {
  const out: RawClient = {};
  const put = (key: string, value: unknown, inKwargs: boolean): void => {
    if (value === null || value === undefined) return;
    const why = Object.prototype.hasOwnProperty.call(AUTHLIB_WITHOUT_MEANING, key) ? AUTHLIB_WITHOUT_MEANING[key] : undefined;
    if (why !== undefined) {
      throw new OAuthConfigError(`OAuth client "${name}": the Authlib setting "${key}" has no meaning here: ${why}.`, { client: name, field: key });
    }
    // Authlib reads these under client_kwargs with its own meaning and unit: the
    // session's token-expiry leeway, and timeouts in seconds.
    const kwarg = inKwargs || key === 'default_timeout' ? AUTHLIB_KWARGS[key] : undefined;
    if (kwarg !== undefined) {
      out[kwarg] = kwarg === 'timeout' && typeof value === 'number' ? value * 1000 : value;
      return;
    }
    const field = toField(key);
    const option = field === undefined ? presetOption(raw.preset, key) : undefined;
    if (option !== undefined) {
      out[option] = value;
      return;
    }
    if (field === undefined) {
      throw new OAuthConfigError(`OAuth client "${name}": "${key}" is not a client setting; see OAuthClientConfig for the accepted fields.`, {
        client: name,
        field: key,
      });
    }
    out[field] = authlibValue(field, value);
  };
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'client_kwargs' || key === 'clientKwargs') {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new OAuthConfigError(`OAuth client "${name}": client_kwargs must be an object.`, { client: name, field: key });
      }
      for (const [k, v] of Object.entries(value as object)) put(k, v, true);
      continue;
    }
    put(key, value, false);
  }
  return out;
}

/** Authlib's spellings of values: `SIGNATURE_TYPE_QUERY` is "QUERY", request params in the requests form `{ params }`. */
function authlibValue(field: ClientField, value: unknown): unknown {
  if (field === 'signatureType' && typeof value === 'string' && /^(HEADER|QUERY|BODY)$/.test(value)) return value.toLowerCase();
  if ((field === 'requestTokenParams' || field === 'accessTokenParams' || field === 'authorizeParams') && isParamsForm(value)) {
    return (value as { params: unknown }).params;
  }
  return value;
}

function isParamsForm(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const params = (value as { params?: unknown }).params;
  return keys.length === 1 && keys[0] === 'params' && params !== null && typeof params === 'object' && !Array.isArray(params);
}

function toField(key: string): ClientField | undefined {
  if (isClientField(key)) return key;
  const alias = AUTHLIB_ALIASES[key];
  if (alias) return alias;
  const camel = camelCase(key);
  return isClientField(camel) ? camel : undefined;
}

/** A preset's own option named by `key` (camelCase or snake_case), when `preset` is a known preset. */
function presetOption(preset: unknown, key: string): string | undefined {
  if (!isPresetName(preset)) return undefined;
  const names = presetOptionNames(preset);
  if (names.includes(key)) return key;
  const camel = camelCase(key);
  return names.includes(camel) ? camel : undefined;
}

function readFlatKeys(config: ConfigReader, name: string, preset?: unknown): RawClient {
  const prefix = `OAUTH_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
  const out: RawClient = {};
  // A preset's own options come as flat keys too (OAUTH_ENTRA_TENANT), as text: the
  // preset converts them.
  for (const option of isPresetName(preset) ? presetOptionNames(preset) : []) {
    const value = config.get(prefix + screamingSnake(option));
    if (value !== undefined && value !== null && value !== '') out[option] = value;
  }
  for (const field of Object.keys(CLIENT_FIELDS) as ClientField[]) {
    const spec = CLIENT_FIELDS[field];
    if (spec.kind === 'code') continue;
    const key = prefix + screamingSnake(field);
    const value = config.get(key);
    if (value === undefined || value === null || value === '') continue;
    out[field] = coerce(value, spec.type, name, field, key);
  }
  return out;
}

/** Environment values are strings: objects come as JSON, numbers and booleans as text. */
function coerce(value: unknown, type: string, name: string, field: string, key: string): unknown {
  if (typeof value !== 'string') return value;
  switch (type) {
    case 'number': {
      const n = Number(value);
      return value.trim() !== '' && Number.isFinite(n) ? n : value;
    }
    case 'dpop':
      if (value === 'true') return true;
      if (value === 'false') return false;
      return /^\s*\{/.test(value) ? jsonSetting(value, name, field, key) : value;
    case 'boolean':
    case 'pkce':
      if (value === 'true') return true;
      if (value === 'false') return false;
      return value;
    case 'params':
    case 'strings':
    case 'key':
    case 'scope':
      return /^\s*[[{]/.test(value) ? jsonSetting(value, name, field, key) : value;
    default:
      return value;
  }
}

/** A JSON value from the environment; a broken one says where, never quoting the text (it may be a secret). */
function jsonSetting(value: string, name: string, field: string, key: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    const { offset } = jsonErrorOffset(value);
    throw new OAuthConfigError(`OAuth client "${name}": ${key} is not valid JSON (at character ${offset + 1}).`, { client: name, field });
  }
}
