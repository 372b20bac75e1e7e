import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { OAuthModule } from '../lib/index.js';
import { SampleActivity } from './activity.js';
import type { EmbeddedProvider } from './embedded-provider.js';
import { EMBEDDED_PROVIDER, EmbeddedProviderModule } from './embedded-provider.module.js';
import { OAuthErrorPageFilter } from './oauth-error.filter.js';
import { SampleController } from './sample.controller.js';
import { sampleOAuthOptions } from './sample.config.js';
import { SampleSessionModule } from './session.module.js';
import { SampleSessions } from './session.js';

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
        SampleSessionModule,
        OAuthModule.forRootAsync({
          imports: [EmbeddedProviderModule, SampleSessionModule],
          inject: [ConfigService, EMBEDDED_PROVIDER, SampleSessions],
          useFactory: (config: ConfigService, embedded: EmbeddedProvider | null, sessions: SampleSessions) => sampleOAuthOptions(config, embedded, sessions),
        }),
      ],
      controllers: [SampleController],
      providers: [SampleActivity, { provide: APP_FILTER, useClass: OAuthErrorPageFilter }],
    };
  }
}
