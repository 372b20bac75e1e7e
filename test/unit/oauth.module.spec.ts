import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InjectOAuthClient,
  OAuth2Client,
  OAuthConfigError,
  OAuthModule,
  OAuthRegistry,
  type OAuthModuleOptions,
  type OAuthOptionsFactory,
} from '../../lib/index.js';

const client = { clientId: 'id', clientSecret: 'secret', authorizeUrl: 'https://p.example/a', accessTokenUrl: 'https://p.example/t' };
const secret = 'a'.repeat(32);

function configModule(values: Record<string, unknown>) {
  return ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => values] });
}

async function compile(imports: unknown[], providers: unknown[] = []) {
  return Test.createTestingModule({ imports: imports as never[], providers: providers as never[] }).compile();
}

describe('OAuthModule', () => {
  const env = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = env;
  });

  it('forRoot() with no argument reads clients through ConfigService', async () => {
    const app = await compile([configModule({ OAUTH_CLIENTS: JSON.stringify({ github: client }), OAUTH_STATE_SECRET: secret }), OAuthModule.forRoot()]);
    const registry = app.get(OAuthRegistry);
    expect(registry.names()).toEqual(['github']);
    expect(registry.has('github')).toBe(true);
    expect(registry.get('github')).toBeInstanceOf(OAuth2Client);
    expect(registry.get('github').kind).toBe('oauth2');
    expect(registry.get('github').name).toBe('github');
  });

  it('forRootAsync with useFactory, imports and inject', async () => {
    @Module({ providers: [{ provide: 'EXTRA', useValue: { scope: 'from-factory' } }], exports: ['EXTRA'] })
    class ExtraModule {}
    const app = await compile([
      configModule({ OAUTH_STATE_SECRET: secret }),
      OAuthModule.forRootAsync({
        imports: [ExtraModule],
        inject: ['EXTRA', ConfigService],
        useFactory: (extra: { scope: string }, config: ConfigService): OAuthModuleOptions => ({
          clients: { p: { ...client, scope: extra.scope } },
          stateSecret: config.get('OAUTH_STATE_SECRET'),
        }),
      }),
    ]);
    const { url } = await app.get(OAuthRegistry).get<OAuth2Client>('p').createAuthorizationUrl({ redirectUri: 'https://app.example/cb' });
    expect(new URL(url).searchParams.get('scope')).toBe('from-factory');
  });

  it('forRootAsync with useClass and with useExisting', async () => {
    @Injectable()
    class Options implements OAuthOptionsFactory {
      createOAuthOptions(): OAuthModuleOptions {
        return { clients: { viaClass: client }, stateSecret: secret };
      }
    }
    const a = await compile([configModule({}), OAuthModule.forRootAsync({ useClass: Options })]);
    expect(a.get(OAuthRegistry).names()).toEqual(['viaClass']);

    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}
    const b = await compile([configModule({}), OAuthModule.forRootAsync({ imports: [OptionsModule], useExisting: Options })]);
    expect(b.get(OAuthRegistry).names()).toEqual(['viaClass']);
  });

  it('forFeature makes clients injectable with @InjectOAuthClient', async () => {
    @Injectable()
    class UsesClient {
      constructor(@InjectOAuthClient('github') readonly github: OAuth2Client) {}
    }
    @Module({ imports: [OAuthModule.forFeature(['github'])], providers: [UsesClient], exports: [UsesClient] })
    class FeatureModule {}
    const app = await compile([configModule({ OAUTH_CLIENTS: { github: client } }), OAuthModule.forRoot({ stateSecret: secret }), FeatureModule]);
    expect(app.get(UsesClient).github).toBe(app.get(OAuthRegistry).get('github'));
  });

  it('forFeature with a name that has no client fails bootstrap', async () => {
    @Module({ imports: [OAuthModule.forFeature(['missing'])] })
    class FeatureModule {}
    await expect(compile([configModule({ OAUTH_CLIENTS: { github: client } }), OAuthModule.forRoot({ stateSecret: secret }), FeatureModule])).rejects.toThrow(
      'No OAuth client named "missing"; configured: github (see OAUTH_CLIENTS).',
    );
  });

  it('misconfiguration fails bootstrap with OAuthConfigError', async () => {
    const err = await compile([configModule({ OAUTH_CLIENTS: { github: { ...client, authorizeUrl: 'nope' } } }), OAuthModule.forRoot({ stateSecret: secret })]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OAuthConfigError);
    expect((err as OAuthConfigError).field).toBe('authorizeUrl');
  });

  it('the cookie store needs a secret in production, of at least 32 characters', async () => {
    process.env.NODE_ENV = 'production';
    await expect(compile([configModule({}), OAuthModule.forRoot()])).rejects.toThrow(/needs OAUTH_STATE_SECRET/);
    await expect(compile([configModule({ OAUTH_STATE_SECRET: 'short' }), OAuthModule.forRoot()])).rejects.toThrow(
      'OAuthModule: state secret #1 is shorter than 32 characters; use a long random value.',
    );
    const ok = await compile([configModule({ OAUTH_STATE_SECRET: `${secret},${'b'.repeat(40)}` }), OAuthModule.forRoot()]);
    expect(ok.get(OAuthRegistry).names()).toEqual([]);
    // Other stores need no secret.
    await expect(compile([configModule({}), OAuthModule.forRoot({ stateStore: 'memory' })])).resolves.toBeDefined();
  });
});
