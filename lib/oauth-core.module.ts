import { Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ConfigReader } from './config/load-client-configs.js';
import { resolveModuleOptions } from './config/resolve-module-options.js';
import type { OAuthModuleOptions } from './interfaces/oauth-module-options.interface.js';
import { OAuthLoginService } from './login/oauth-login.service.js';
import { OAuthStateBackend } from './login/state-backend.provider.js';
import { OAUTH_MODULE_OPTIONS, OAUTH_RESOLVED_OPTIONS } from './oauth.constants.js';
import { OAuthRegistry } from './oauth.registry.js';
import { OAuthStateStore } from './state/oauth-state.store.js';

/** Reads process.env when the app has no ConfigService. */
const envReader: ConfigReader = { get: (key) => process.env[key] };

const resolvedOptionsProvider: Provider = {
  provide: OAUTH_RESOLVED_OPTIONS,
  useFactory: (options: OAuthModuleOptions | undefined, config?: ConfigService, store?: OAuthStateStore) =>
    resolveModuleOptions(
      options ?? {},
      config ? { get: (key) => config.get(key) } : envReader,
      new Logger('OAuthModule'),
      store ?? undefined,
    ),
  inject: [OAUTH_MODULE_OPTIONS, { token: ConfigService, optional: true }, { token: OAuthStateStore, optional: true }],
};

/**
 * The providers behind the facade: validated options, the state backend, the
 * login layer and the registry. Built from the options provider (and imports) of
 * `OAuthModule.forRoot()` / `forRootAsync()`.
 * @internal
 */
@Module({})
export class OAuthCoreModule {
  static fromDefinition(definition: DynamicModule): DynamicModule {
    return {
      module: OAuthCoreModule,
      imports: definition.imports ?? [],
      providers: [...(definition.providers ?? []), resolvedOptionsProvider, OAuthStateBackend, OAuthLoginService, OAuthRegistry],
      exports: [OAuthRegistry, OAuthLoginService],
    };
  }
}
