import 'reflect-metadata';
import { Controller, Get, HttpException, Injectable, Module, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  InjectOAuthClient,
  OAuth1Client,
  OAuth2Client,
  OAuthConfigError,
  OAuthError,
  OAuthGuard,
  OAuthModule,
  OAuthRegistry,
  type OAuthClient,
  type OAuthModuleOptions,
  type OAuthOptionsFactory,
  type OAuthResult,
} from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, type Platform } from '../support/nest-app.js';
import { ALICE, loginForCallbackUrl, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';

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

/** A Nest app of `root` on `platform`, initialised for supertest (not listening). */
async function httpApp(root: unknown, platform: Platform): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [root as never] }).compile();
  const app = platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false }) : moduleRef.createNestApplication({ logger: false });
  await app.init();
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return app;
}

describe.each(PLATFORMS)('OAuthModule.forRoot({ isGlobal: false }) with a feature module (%s)', (platform) => {
  let app: INestApplication;
  afterEach(async () => {
    await app?.close();
  });

  it('boots, injects the client and its guard answers 302 to the provider', async () => {
    @Injectable()
    class UsesX {
      constructor(@InjectOAuthClient('x') readonly x: OAuth2Client) {}
    }
    @Controller('auth')
    class XController {
      constructor(private readonly uses: UsesX) {}
      @Get('x')
      @UseGuards(OAuthGuard('x'))
      login(): string {
        return 'the handler must not run on a login request';
      }
      @Get('who')
      who(): { client: string; kind: string } {
        return { client: this.uses.x.name, kind: this.uses.x.kind };
      }
    }
    @Module({ imports: [OAuthModule.forFeature(['x'])], controllers: [XController], providers: [UsesX] })
    class FeatureModule {}
    @Module({ imports: [configModule({ OAUTH_CLIENTS: { x: client } }), OAuthModule.forRoot({ isGlobal: false, stateSecret: secret }), FeatureModule] })
    class AppModule {}

    app = await httpApp(AppModule, platform);
    const res = await request(app.getHttpServer()).get('/auth/x');
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(location.origin + location.pathname).toBe(client.authorizeUrl);
    expect(location.searchParams.get('client_id')).toBe(client.clientId);
    expect(location.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/x$/);
    expect(String(res.headers['set-cookie'])).toMatch(/oauth_s_/);
    expect(res.text).not.toContain('the handler must not run');
    expect((await request(app.getHttpServer()).get('/auth/who')).body).toEqual({ client: 'x', kind: 'oauth2' });
  });
});

describe('a guard that subclasses OAuthGuard', () => {
  let op: OidcProviderHarness;
  const APP = 'http://localhost:3000';
  beforeAll(async () => {
    op = await startOidcProvider({ clients: [{ client_id: 'sub-app', client_secret: 'sub-secret', redirect_uris: [`${APP}/auth/mine`] }] });
  });
  afterAll(async () => {
    await op.close();
  });

  // Compiles under `tsc --noEmit` (protected members, `override`), and Nest builds it
  // with the injections of the class it extends.
  @Injectable()
  class MyGuard extends OAuthGuard('x') {
    protected override toResult(result: OAuthResult): OAuthResult {
      return { ...result, client: `mine:${result.client}` };
    }
    protected override handleError(err: unknown): HttpException {
      return new HttpException({ mine: true, error: err instanceof OAuthError ? err.code : 'unknown' }, 418);
    }
  }

  @Controller('auth')
  class MineController {
    @Get('mine')
    @UseGuards(MyGuard)
    mine(@Req() req: { oauth?: OAuthResult }): { client?: string; sub?: string } {
      return { client: req.oauth?.client, sub: req.oauth?.userinfo?.sub };
    }
  }

  async function appFor(platform: Platform): Promise<INestApplication> {
    const x = { clientId: 'sub-app', clientSecret: 'sub-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid', redirectUri: `${APP}/auth/mine` };
    @Module({ imports: [configModule({ OAUTH_CLIENTS: { x } }), OAuthModule.forRoot({ stateSecret: secret })], controllers: [MineController] })
    class AppModule {}
    return httpApp(AppModule, platform);
  }

  it.each(PLATFORMS)('answers what handleError returns for a callback with a bad state (%s)', async (platform) => {
    const app = await appFor(platform);
    try {
      const res = await request(app.getHttpServer()).get('/auth/mine?code=c&state=forged');
      expect(res.status).toBe(418);
      expect(res.body).toEqual({ mine: true, error: 'mismatching_state' });
    } finally {
      await app.close();
    }
  });

  it.each(PLATFORMS)('puts what toResult returns on req.oauth after a real login (%s)', async (platform) => {
    const app = await appFor(platform);
    try {
      const login = await request(app.getHttpServer()).get('/auth/mine');
      expect(login.status).toBe(302);
      const callback = new URL(await loginForCallbackUrl(new Browser(), login.headers.location as string, APP));
      const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
      const res = await request(app.getHttpServer())
        .get(callback.pathname + callback.search)
        .set('cookie', cookies.join('; '));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ client: 'mine:x', sub: ALICE.sub });
    } finally {
      await app.close();
    }
  });
});

describe('registry.get typing', () => {
  it('get<OAuth2Client>(name) is typed as that client; untyped it is the union', async () => {
    const app = await compile([configModule({ OAUTH_CLIENTS: { google: { ...client, scope: 'openid' } } }), OAuthModule.forRoot({ stateSecret: secret })]);
    const registry = app.get(OAuthRegistry);
    const google = registry.get<OAuth2Client>('google');
    expectTypeOf(google).toEqualTypeOf<OAuth2Client>();
    expectTypeOf(registry.get('google')).toEqualTypeOf<OAuthClient>();
    // OAuth 2 only members are reachable without a cast once typed.
    expect(typeof google.loadServerMetadata).toBe('function');
    expect(google).toBeInstanceOf(OAuth2Client);
    const takesOAuth1 = (c: OAuth1Client): string => c.kind;
    // @ts-expect-error: an OAuth2Client is not an OAuth1Client.
    expect(takesOAuth1(registry.get<OAuth2Client>('google'))).toBe('oauth2');
    // @ts-expect-error: only client types may be asked for.
    registry.get<string>('google');
    // @ts-expect-error: untyped, OAuth 2 only members need narrowing first.
    const untyped = () => registry.get('google').loadServerMetadata();
    expect(typeof untyped).toBe('function');
  });
});
