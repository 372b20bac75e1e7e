import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { DEFAULTS } from '../oauth.constants.js';
import { OAuthConfigError } from '../errors/oauth.error.js';
import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';
import { CLIENT_FIELDS, isClientField } from './client-fields.js';
import type { OAuthPresetHooks } from '../interfaces/oauth-preset-hooks.interface.js';
import { CHAINED_HOOKS } from '../presets/preset-config.js';
import type { ResolvedClientConfig } from './resolved-client.js';

const HOOK_NAMES = new Set<string>([
  ...CHAINED_HOOKS,
  'protectedRequest',
  'userinfo',
  // A preset's extension points (OAuthPresetHooks).
  'bind',
  'profile',
  'idTokenIssuer',
  'idTokenClaims',
  'idTokenNonce',
]);
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/**
 * Checks one merged client configuration and applies its defaults. Every failure
 * names the client and the field, so a typo in `.env` is found at bootstrap rather
 * than at the first login.
 */
export function validateClientConfig(name: string, raw: Record<string, unknown>): ResolvedClientConfig {
  const fail = (field: string, message: string): never => {
    throw new OAuthConfigError(`OAuth client "${name}": ${message}`, { client: name, field });
  };
  if (!NAME_PATTERN.test(name)) {
    fail('name', 'the name must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit.');
  }
  const kind: 'oauth1' | 'oauth2' = raw.requestTokenUrl != null ? 'oauth1' : 'oauth2';
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;

  for (const [field, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue;
    if (!isClientField(field)) {
      fail(field, `"${field}" is not a client setting; see OAuthClientConfig for the accepted fields.`);
      continue;
    }
    const spec = CLIENT_FIELDS[field];
    if (spec.kind === 'oauth1' && kind === 'oauth2') {
      fail(field, `"${field}" only applies to OAuth 1.0a clients (those with requestTokenUrl).`);
    }
    if (spec.kind === 'oauth2' && kind === 'oauth1') {
      fail(field, `"${field}" only applies to OAuth 2.0 clients; this client has requestTokenUrl, so it is OAuth 1.0a.`);
    }
    out[field] = checkValue(field, spec.type, spec.values, value, fail);
  }

  if (typeof out.clientId !== 'string' || out.clientId === '') {
    fail('clientId', 'clientId is required.');
  }
  if (kind === 'oauth1') {
    if (out.accessTokenUrl === undefined) fail('accessTokenUrl', 'an OAuth 1.0a client needs accessTokenUrl.');
    if (out.authorizeUrl === undefined) fail('authorizeUrl', 'an OAuth 1.0a client needs authorizeUrl.');
    // RFC 5849 3.5.1: the realm is a quoted-string of the Authorization header.
    if (out.realm !== undefined && !/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(out.realm as string)) {
      fail('realm', 'realm must be printable ASCII without quotes or backslashes.');
    }
    const method = (out.signatureMethod as string | undefined) ?? 'HMAC-SHA1';
    if (method === 'RSA-SHA1') {
      if (out.rsaKey === undefined) fail('rsaKey', 'signatureMethod RSA-SHA1 needs rsaKey (a PEM private key).');
      try {
        createPrivateKey(out.rsaKey as string);
      } catch (cause) {
        throw new OAuthConfigError(`OAuth client "${name}": rsaKey is not a readable PEM private key.`, {
          client: name,
          field: 'rsaKey',
          cause,
        });
      }
    } else if (out.clientSecret === undefined) {
      fail('clientSecret', `signatureMethod ${method} needs clientSecret.`);
    }
  } else {
    if (out.serverMetadataUrl === undefined && out.accessTokenUrl === undefined) {
      fail('serverMetadataUrl', 'set serverMetadataUrl (discovery) or the endpoints authorizeUrl and accessTokenUrl.');
    }
    const method =
      (out.tokenEndpointAuthMethod as string | undefined) ?? (out.clientSecret !== undefined ? 'client_secret_basic' : 'none');
    if (SECRET_METHODS.has(method) && out.clientSecret === undefined) {
      fail('clientSecret', `tokenEndpointAuthMethod ${method} needs clientSecret.`);
    }
    if (method === 'private_key_jwt' && out.clientKey === undefined) {
      fail('clientKey', 'tokenEndpointAuthMethod private_key_jwt needs clientKey (a private JWK or PEM).');
    }
    if (out.clientKey !== undefined) out.clientKey = readableKey(out.clientKey, fail);
    out.tokenEndpointAuthMethod = method;
    const algs = out.idTokenSigningAlgs as string[] | undefined;
    if (algs && algs.some((a) => a.startsWith('HS')) && out.clientSecret === undefined) {
      fail('idTokenSigningAlgs', 'HS* ID token algorithms are keyed by the client secret, and this client has none.');
    }
  }

  out.name = name;
  out.kind = kind;
  out.codeChallengeMethod ??= 'S256';
  out.signatureMethod ??= 'HMAC-SHA1';
  out.signatureType ??= 'header';
  out.leeway ??= DEFAULTS.leeway;
  out.refreshLeeway ??= DEFAULTS.refreshLeeway;
  const resolved = { ...out } as unknown as ResolvedClientConfig & { hooks?: OAuthPresetHooks };
  // A preset's hooks learn the final configuration once (a clientId or secret that
  // came from flat keys after the preset was applied).
  const bind = resolved.hooks?.bind;
  if (bind) {
    let bound: OAuthPresetHooks;
    try {
      bound = bind.call(resolved.hooks, resolved);
    } catch (err) {
      if (err instanceof OAuthConfigError) throw err;
      return fail('hooks', `the preset could not use this configuration: ${err instanceof Error ? err.message : String(err)}`);
    }
    resolved.hooks = Object.freeze({ ...bound, bind: undefined });
  }
  return Object.freeze(resolved);
}

type Fail = (field: string, message: string) => never;

function checkValue(
  field: keyof OAuthClientConfig,
  type: string,
  values: readonly string[] | undefined,
  value: unknown,
  fail: Fail,
): unknown {
  switch (type) {
    case 'string': {
      if (typeof value !== 'string' || value === '') fail(field, `${field} must be a non-empty string.`);
      if (values && !values.includes(value as string)) {
        fail(field, `${field} must be one of ${values.join(', ')}; got "${String(value)}".`);
      }
      return value;
    }
    case 'url':
      return checkUrl(field, value, fail);
    case 'redirect': {
      if (typeof value !== 'string' || value === '') fail(field, `${field} must be a URL or a path.`);
      const s = value as string;
      if (s.includes('#')) fail(field, `${field} must not contain a fragment (RFC 6749 section 3.1.2).`);
      if (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\')) return s;
      return checkUrl(field, s, fail);
    }
    case 'params': {
      if (typeof value !== 'object' || Array.isArray(value)) fail(field, `${field} must be an object of strings.`);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(value as object)) {
        if (v === null || v === undefined) continue;
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          fail(field, `${field}.${k} must be a string.`);
        }
        params[k] = String(v);
      }
      return Object.freeze(params);
    }
    case 'scope': {
      if (typeof value === 'string') return value.split(/\s+/).filter(Boolean).join(' ');
      if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value.join(' ');
      return fail(field, `${field} must be a string or an array of strings.`);
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        fail(field, `${field} must be a non-negative number.`);
      }
      if (field === 'timeout' && value === 0) fail(field, 'timeout must be more than 0 ms.');
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail(field, `${field} must be true or false.`);
      return value;
    case 'strings': {
      if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === 'string' && s !== '')) {
        fail(field, `${field} must be a non-empty array of algorithm names.`);
      }
      if ((value as string[]).some((a) => a.toLowerCase() === 'none')) {
        fail(field, `${field} must not allow "none": unsigned ID tokens prove nothing.`);
      }
      return Object.freeze([...(value as string[])]);
    }
    case 'key': {
      if (typeof value === 'string' && value !== '') return value;
      if (typeof value === 'object' && !Array.isArray(value)) return Object.freeze({ ...(value as object) });
      return fail(field, `${field} must be a private JWK (object or JSON) or a PEM string.`);
    }
    case 'function':
      if (typeof value !== 'function') fail(field, `${field} must be a function.`);
      return value;
    case 'hooks': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'hooks must be an object of functions.');
      for (const [k, v] of Object.entries(value as object)) {
        if (!HOOK_NAMES.has(k)) fail(field, `hooks.${k} is not a hook; hooks are ${[...HOOK_NAMES].join(', ')}.`);
        if (k === 'idTokenNonce') {
          if (v !== 'required' && v !== 'if-present') fail(field, 'hooks.idTokenNonce must be "required" or "if-present".');
        } else if (typeof v !== 'function') fail(field, `hooks.${k} must be a function.`);
      }
      return Object.freeze({ ...(value as object) });
    }
    case 'dpop': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const key = (value as { privateKey?: unknown }).privateKey;
        if ((typeof key === 'string' && key !== '') || (typeof key === 'object' && key !== null && !Array.isArray(key))) {
          return Object.freeze({ privateKey: key });
        }
      }
      return fail(field, 'dpop must be true, false or { privateKey } (a private JWK or PEM, ES256 or EdDSA).');
    }
    case 'pkce':
      if (value === false || value === 'S256') return value;
      return fail(field, `${field} must be "S256" or false; the "plain" method gives no protection (RFC 7636 section 7.2).`);
    default:
      return value;
  }
}

/**
 * A private key that node:crypto can load, checked at bootstrap rather than at the
 * first token request. The error never carries the key text or a parser message
 * quoting it.
 */
function readableKey(value: unknown, fail: Fail): string | Readonly<Record<string, unknown>> {
  let jwk: Record<string, unknown> | undefined;
  if (typeof value === 'string' && value.trim().startsWith('{')) {
    try {
      jwk = JSON.parse(value) as Record<string, unknown>;
    } catch {
      return fail('clientKey', 'clientKey looks like a JWK but is not valid JSON.');
    }
  } else if (typeof value === 'object' && value !== null) {
    jwk = value as Record<string, unknown>;
  }
  try {
    if (jwk) createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    else createPrivateKey(value as string);
  } catch {
    return fail('clientKey', 'clientKey is not a readable private key (a private JWK, as an object or JSON, or a PEM).');
  }
  return jwk ? Object.freeze({ ...jwk }) : (value as string);
}

function checkUrl(field: string, value: unknown, fail: Fail): string {
  if (typeof value !== 'string' || value === '') return fail(field, `${field} must be an absolute http(s) URL.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(field, `${field} is not a valid absolute URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(field, `${field} must use http or https.`);
  }
  if (url.hash !== '') fail(field, `${field} must not contain a fragment.`);
  return value;
}
