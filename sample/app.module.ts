import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { OAuthModule } from '../lib/index.js';
import type { EmbeddedProvider } from './embedded-provider.js';
import { EMBEDDED_PROVIDER, EmbeddedProviderModule } from './embedded-provider.module.js';
import { OAuthErrorPageFilter } from './oauth-error.filter.js';
import { SampleController } from './sample.controller.js';
import { sampleOAuthOptions } from './sample.config.js';

export interface AppModuleOptions {
  /**
   * Settings to use instead of sample/.env and the process environment (tests).
   * Without it, ConfigModule reads sample/.env, then the environment wins.
   */
  env?: Record<string, string>;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    const env = options.env;
    return {
      module: AppModule,
      imports: [
        env
          ? ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => env] })
          : ConfigModule.forRoot({ isGlobal: true, envFilePath: 'sample/.env' }),
        EmbeddedProviderModule,
        OAuthModule.forRootAsync({
          imports: [EmbeddedProviderModule],
          inject: [ConfigService, EMBEDDED_PROVIDER],
          useFactory: (config: ConfigService, embedded: EmbeddedProvider | null) => sampleOAuthOptions(config, embedded),
        }),
      ],
      controllers: [SampleController],
      providers: [{ provide: APP_FILTER, useClass: OAuthErrorPageFilter }],
    };
  }
}
