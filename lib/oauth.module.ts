import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { getOAuthClientToken } from './oauth.constants.js';
import { ConfigurableOAuthModule, OAUTH_ASYNC_OPTIONS_TYPE, OAUTH_OPTIONS_TYPE } from './oauth.module-definition.js';
import { OAuthRegistry } from './oauth.registry.js';

/**
 * The OAuth client module: `forRoot()` reads clients through `ConfigService`,
 * `forFeature([...])` makes named clients injectable.
 */
@Module({})
export class OAuthModule extends ConfigurableOAuthModule {
  /** Global by default; `forRoot()` equals `forRoot({})`. */
  static override forRoot(options: typeof OAUTH_OPTIONS_TYPE = {}): DynamicModule {
    return withRegistry(super.forRoot(options));
  }

  static override forRootAsync(options: typeof OAUTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withRegistry(super.forRootAsync(options));
  }

  /**
   * Providers for `@InjectOAuthClient(name)`. A name with no configured client
   * fails bootstrap with `OAuthConfigError`.
   */
  static forFeature(names: readonly string[]): DynamicModule {
    const providers: Provider[] = names.map((name) => ({
      provide: getOAuthClientToken(name),
      useFactory: (registry: OAuthRegistry) => registry.get(name),
      inject: [OAuthRegistry],
    }));
    return { module: OAuthModule, providers, exports: providers };
  }
}

// The registry lives only in the root module; forFeature modules reuse it.
function withRegistry(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    providers: [...(definition.providers ?? []), OAuthRegistry],
    exports: [...(definition.exports ?? []), OAuthRegistry],
  };
}
