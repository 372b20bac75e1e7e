import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import session from 'express-session';
import { OAuthModule, type OAuthClientConfig } from '../lib/index.js';
import { startEmbeddedProvider, type EmbeddedProvider } from './embedded-provider.js';
import { REAL_PROVIDERS, SAMPLE_OPTIONS, type SampleOptions } from './sample.config.js';
import { SampleController } from './sample.controller.js';

export interface SampleSettings {
  /** Port of the app; 0 picks a free one. */
  port: number;
  /** Port of the embedded provider; 0 picks a free one. */
  providerPort: number;
  /** Host name the browser uses for the app. */
  host?: string;
  /** Start the embedded provider (default: yes). */
  embedded?: boolean;
  /** Settings instead of the environment (tests). */
  env?: Record<string, string>;
}

export interface RunningSample {
  app: INestApplication;
  url: string;
  provider?: EmbeddedProvider;
  close(): Promise<void>;
}

function sampleModule(options: SampleOptions, env: Record<string, string>): DynamicModule {
  @Module({})
  class SampleModule {}
  return {
    module: SampleModule,
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => env] }),
      OAuthModule.forRootAsync({
        inject: [ConfigService],
        useFactory: (config: ConfigService) => {
          const clients: Record<string, OAuthClientConfig> = {};
          if (options.local) {
            clients.local = {
              clientId: options.local.clientId,
              clientSecret: options.local.clientSecret,
              serverMetadataUrl: `${options.local.issuer}/.well-known/openid-configuration`,
              scope: 'openid email profile',
              redirectUri: `${options.baseUrl}/auth/local`,
            };
          }
          // Credentials come from OAUTH_GITHUB_CLIENT_ID / _SECRET etc. (flat keys).
          for (const name of options.real) clients[name] = { ...REAL_PROVIDERS[name].config, redirectUri: `${options.baseUrl}/auth/${name}` };
          return { clients, stateSecret: config.get<string>('OAUTH_STATE_SECRET') ?? randomBytes(32).toString('base64url') };
        },
      }),
    ],
    controllers: [SampleController],
    providers: [{ provide: SAMPLE_OPTIONS, useValue: options }],
  };
}

/** A free loopback port, so the redirect URI is known before anything listens. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the embedded provider (unless turned off) and the sample app. */
export async function startSample(settings: SampleSettings): Promise<RunningSample> {
  const env = settings.env ?? (process.env as Record<string, string>);
  const port = settings.port || (await freePort());
  const baseUrl = `http://${settings.host ?? 'localhost'}:${port}`;
  const real = (Object.keys(REAL_PROVIDERS) as Array<keyof typeof REAL_PROVIDERS>).filter((name) => env[`OAUTH_${name.toUpperCase()}_CLIENT_ID`]);
  const embedded = settings.embedded ?? env.SAMPLE_EMBEDDED_PROVIDER !== 'false';
  const provider = embedded ? await startEmbeddedProvider({ port: settings.providerPort, redirectUri: `${baseUrl}/auth/local` }) : undefined;
  const options: SampleOptions = { baseUrl, real, ...(provider ? { local: provider } : {}) };

  const app = await NestFactory.create(sampleModule(options, env), { logger: ['error', 'warn'] });
  // The app's own login session (not the OAuth state, which the module keeps in its
  // own encrypted cookie). A random secret: sessions end when the sample restarts.
  app.use(
    session({
      secret: env.SAMPLE_SESSION_SECRET ?? randomBytes(32).toString('base64url'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  await app.listen(port);
  return {
    app,
    url: baseUrl,
    ...(provider ? { provider } : {}),
    close: async () => {
      await app.close();
      await provider?.close();
    },
  };
}
