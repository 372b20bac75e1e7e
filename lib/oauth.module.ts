import { Module, forwardRef, type DynamicModule, type Provider } from '@nestjs/common';
import { OAuthConfigError } from './errors/oauth.error.js';
import { OAuthCoreModule } from './oauth-core.module.js';
import { getOAuthClientToken } from './oauth.constants.js';
import { ConfigurableOAuthModule, OAUTH_ASYNC_OPTIONS_TYPE, OAUTH_OPTIONS_TYPE } from './oauth.module-definition.js';
import { OAuthRegistry } from './oauth.registry.js';

/**
 * The OAuth client module: `forRoot()` / `forRootAsync()` read clients through
 * `ConfigService` and provide `OAuthRegistry`; `forFeature([...])` makes named
 * clients injectable with `@InjectOAuthClient(name)`.
 */
@Module({})
export class OAuthModule extends ConfigurableOAuthModule {
  /** The core of the latest `forRoot`, which `forFeature` modules import. */
  private static core?: DynamicModule;

  /** Global by default; `forRoot()` equals `forRoot({})`. @throws OAuthConfigError at bootstrap for bad settings. */
  static override forRoot(options: typeof OAUTH_OPTIONS_TYPE = {}): DynamicModule {
    return OAuthModule.facade(super.forRoot(options));
  }

  /** Options from a factory, class or existing provider; `imports` feed the factory. */
  static override forRootAsync(options: typeof OAUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return OAuthModule.facade(super.forRootAsync(options));
  }

  /**
   * Providers for `@InjectOAuthClient(name)`, and the registry and guard services for
   * the importing module, whether or not the root module is global.
   * @throws OAuthConfigError at bootstrap for a name with no configured client.
   */
  static forFeature(names: readonly string[]): DynamicModule {
    const providers: Provider[] = names.map((name) => ({
      provide: getOAuthClientToken(name),
      useFactory: (registry: OAuthRegistry) => registry.get(name),
      inject: [OAuthRegistry],
    }));
    return {
      module: OAuthModule,
      // Resolved when Nest scans the app, after forRoot() built the core: a feature
      // module's decorator runs before the root module's.
      imports: [forwardRef(() => OAuthModule.currentCore())],
      providers,
      exports: [...providers, OAuthCoreModule],
    };
  }

  private static facade(definition: DynamicModule): DynamicModule {
    const core = OAuthCoreModule.fromDefinition(definition);
    OAuthModule.core = core;
    return { module: OAuthModule, global: definition.global ?? true, imports: [core], exports: [core] };
  }

  private static currentCore(): DynamicModule {
    if (!OAuthModule.core) {
      throw new OAuthConfigError('OAuthModule.forFeature() needs OAuthModule.forRoot() or forRootAsync() in the application.');
    }
    return OAuthModule.core;
  }
}
