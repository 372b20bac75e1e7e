import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { startEmbeddedProvider, type EmbeddedProvider } from './embedded-provider.js';

/** The running embedded provider, or `null` when SAMPLE_EMBEDDED_PROVIDER=false. */
export const EMBEDDED_PROVIDER = Symbol('EMBEDDED_PROVIDER');

@Injectable()
class EmbeddedProviderLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EMBEDDED_PROVIDER) private readonly provider: EmbeddedProvider | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.provider?.close();
  }
}

/**
 * Starts the embedded OpenID provider while the app boots (its address must be known
 * before OAuthModule builds the `local` client) and stops it when the app closes.
 * Settings: SAMPLE_EMBEDDED_PROVIDER (default on), SAMPLE_PROVIDER_PORT (default 3001),
 * PORT of the app (default 3000).
 */
@Module({
  providers: [
    {
      provide: EMBEDDED_PROVIDER,
      inject: [ConfigService],
      useFactory: async (config: ConfigService): Promise<EmbeddedProvider | null> =>
        String(config.get('SAMPLE_EMBEDDED_PROVIDER') ?? 'true') === 'false'
          ? null
          : startEmbeddedProvider({
              port: Number(config.get('SAMPLE_PROVIDER_PORT') ?? 3001),
              appPort: Number(config.get('PORT') ?? 3000),
            }),
    },
    EmbeddedProviderLifecycle,
  ],
  exports: [EMBEDDED_PROVIDER],
})
export class EmbeddedProviderModule {}
