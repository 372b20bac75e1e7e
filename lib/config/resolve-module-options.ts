import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { DEFAULTS } from '../oauth.constants.js';
import { OAuthConfigError } from '../errors/oauth.error.js';
import type { HttpSettings } from '../http/provider-http.js';
import { defaultFetch } from '../http/undici-transport.js';
import type { OAuthModuleOptions, OAuthStateStoreOption } from '../interfaces/oauth-module-options.interface.js';
import { OAuthRefreshCoordinator } from '../refresh/oauth-refresh-coordinator.js';
import { OAuthStateStore } from '../state/oauth-state.store.js';
import type { ConfigReader } from './load-client-configs.js';

/** The module options, validated once at bootstrap. */
export interface ResolvedModuleOptions {
  /** Where settings are read: `ConfigService`, else `process.env`. */
  settings: ConfigReader;
  http: HttpSettings;
  /** The store named in the options; `undefined` lets an app-wide `OAuthStateStore` provider decide, else the cookie. */
  stateStore: OAuthStateStoreOption | undefined;
  /** Secrets of the cookie store (first encrypts, all decrypt); a random one outside production. */
  stateSecrets: readonly string[];
  stateTtl: number;
  refreshCoordinator?: OAuthRefreshCoordinator;
  resolveClient?: OAuthModuleOptions['resolveClient'];
  maxResolvedClients: number;
  /** Seconds. */
  resolvedClientTtl: number;
  fetchToken?: OAuthModuleOptions['fetchToken'];
  updateToken?: OAuthModuleOptions['updateToken'];
}

const MIN_SECRET_LENGTH = 32;

/**
 * Validates the module options once, at bootstrap. `providedStore` is an
 * `OAuthStateStore` provider visible to the module, used when the options name no store.
 */
export function resolveModuleOptions(
  options: OAuthModuleOptions,
  config: ConfigReader,
  logger: Logger,
  providedStore?: OAuthStateStore,
): ResolvedModuleOptions {
  const fail = (field: string, message: string): never => {
    throw new OAuthConfigError(`OAuthModule: ${message}`, { field });
  };
  const stateTtl = options.stateTtl ?? DEFAULTS.stateTtl;
  if (typeof stateTtl !== 'number' || !Number.isFinite(stateTtl) || stateTtl <= 0) fail('stateTtl', 'stateTtl must be a positive number of seconds.');
  const timeout = options.timeout ?? DEFAULTS.timeout;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) fail('timeout', 'timeout must be a positive number of milliseconds.');
  const fetchImpl = options.fetch ?? defaultFetch();
  if (typeof fetchImpl !== 'function') fail('fetch', 'fetch must be a function (no global fetch is available).');
  const maxResolvedClients = options.maxResolvedClients ?? DEFAULTS.maxResolvedClients;
  if (!Number.isInteger(maxResolvedClients) || maxResolvedClients < 1) fail('maxResolvedClients', 'maxResolvedClients must be a whole number of at least 1.');
  const resolvedClientTtl = options.resolvedClientTtl ?? DEFAULTS.resolvedClientTtl;
  if (typeof resolvedClientTtl !== 'number' || !Number.isFinite(resolvedClientTtl) || resolvedClientTtl <= 0) {
    fail('resolvedClientTtl', 'resolvedClientTtl must be a positive number of seconds.');
  }
  for (const hook of ['fetchToken', 'updateToken', 'resolveClient'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') fail(hook, `${hook} must be a function.`);
  }

  const choice = options.stateStore ?? providedStore;
  if (choice !== undefined && choice !== 'cookie' && choice !== 'session' && choice !== 'memory' && !isStateStore(choice)) {
    fail('stateStore', 'stateStore must be "cookie", "session", "memory" or an OAuthStateStore.');
  }
  // Secrets are checked even when another store is chosen now: a bad secret is a
  // bootstrap error either way, and the cookie store is the fallback.
  const configured = configuredStateSecrets(options, config, fail);
  const stateSecrets = choice === undefined || choice === 'cookie' ? cookieSecrets(configured, config, logger, fail) : [];
  const coordinator = options.refreshCoordinator;
  if (coordinator !== undefined) {
    if (!(coordinator instanceof OAuthRefreshCoordinator) && typeof (coordinator as { run?: unknown }).run !== 'function') {
      fail('refreshCoordinator', 'refreshCoordinator must be an OAuthRefreshCoordinator (RedisRefreshCoordinator, say).');
    }
    // A random per-process key would give every instance other keys: coordination
    // would silently not happen, and rotating providers would revoke grants.
    if (configured.length === 0) {
      fail('refreshCoordinator', 'a refreshCoordinator needs OAUTH_STATE_SECRET (or stateSecret), shared by every instance of the fleet.');
    }
    coordinator.useSecret(configured);
  }

  return {
    settings: config,
    http: { fetch: fetchImpl, timeout, ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }) },
    stateStore: choice,
    stateSecrets,
    stateTtl,
    ...(coordinator === undefined ? {} : { refreshCoordinator: coordinator }),
    ...(options.resolveClient ? { resolveClient: options.resolveClient } : {}),
    maxResolvedClients,
    resolvedClientTtl,
    ...(options.fetchToken ? { fetchToken: options.fetchToken } : {}),
    ...(options.updateToken ? { updateToken: options.updateToken } : {}),
  };
}

/** An `OAuthStateStore`, also one that does not extend the class but has its two methods. */
export function isStateStore(value: unknown): value is OAuthStateStore {
  if (value instanceof OAuthStateStore) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as OAuthStateStore).set === 'function' &&
    typeof (value as OAuthStateStore).take === 'function'
  );
}

/** The secrets given (`stateSecret`, else `OAUTH_STATE_SECRET`, comma-separated), each at least 32 characters. */
function configuredStateSecrets(options: OAuthModuleOptions, config: ConfigReader, fail: (field: string, message: string) => never): string[] {
  const raw = options.stateSecret ?? (config.get('OAUTH_STATE_SECRET') as string | string[] | undefined);
  const list = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [])
    .map((s) => String(s).trim())
    .filter(Boolean);
  for (const [i, secret] of list.entries()) {
    if (secret.length < MIN_SECRET_LENGTH) {
      fail('stateSecret', `state secret #${i + 1} is shorter than ${MIN_SECRET_LENGTH} characters; use a long random value.`);
    }
  }
  return list;
}

/** The cookie store's keys: the configured secrets, else a random one outside production. */
function cookieSecrets(configured: string[], config: ConfigReader, logger: Logger, fail: (field: string, message: string) => never): string[] {
  if (configured.length > 0) return configured;
  const nodeEnv = config.get('NODE_ENV') ?? process.env.NODE_ENV;
  if (nodeEnv === 'production') {
    fail(
      'stateSecret',
      'the cookie state store needs OAUTH_STATE_SECRET (or the stateSecret option) in production, so logins survive restarts and work across instances; or give stateStore (an OAuthStateStore, also as a provider in a @Global module or forRootAsync({ imports })).',
    );
  }
  logger.warn(
    'No OAUTH_STATE_SECRET: login state cookies use a random key of this process; logins in flight fail after a restart or on another instance.',
  );
  return [randomBytes(32).toString('base64url')];
}
