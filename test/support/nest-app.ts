import 'reflect-metadata';
import {
  Controller,
  Get,
  Logger,
  Module,
  Post,
  Req,
  UseGuards,
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  type Provider,
  type Type,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { OAuthGuard, OAuthModule, type OAuthClientConfig, type OAuthGuardOptions, type OAuthModuleOptions } from '../../lib/index.js';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface TestRoute {
  /** Path of the guarded route, e.g. `/auth/op`. Served by GET and POST (form_post). */
  path: string;
  client: string;
  options?: OAuthGuardOptions;
}

/** The route and client name the `client` shorthand sets up. */
export const OP_ROUTE: TestRoute = { path: '/auth/op', client: 'op' };

export interface TestAppOptions {
  platform: Platform;
  /** Guarded routes; `client` adds `OP_ROUTE` to them. */
  routes?: TestRoute[];
  /**
   * Shorthand for the common app: this config as client `op` (merged into
   * `oauth.clients`), guarded at `/auth/op`.
   */
  client?: OAuthClientConfig;
  /**
   * Passed to `OAuthModule.forRoot()`. `false`: the app does not import the module
   * itself, because `imports` bring it (e.g. `OAuthModule.forRootAsync(…)`) as an
   * application's own module would.
   */
  oauth?: OAuthModuleOptions | false;
  /** Values `ConfigService` serves (`OAUTH_CLIENTS`, `OAUTH_<NAME>_<FIELD>`, …). */
  config?: Record<string, unknown>;
  /**
   * Install a session middleware: express-session (server-side) on Express and
   * @fastify/secure-session (cookie-backed) on Fastify; `'cookie'` asks for a
   * cookie-backed session on both (test/support/cookie-session.ts on Express).
   */
  session?: boolean | 'cookie';
  /** Trust X-Forwarded-* headers. */
  trustProxy?: boolean;
  /** More modules for the app. */
  imports?: Array<Type | DynamicModule>;
  /** Providers of the app's root module. */
  providers?: Provider[];
  /**
   * Receives every Nest log line (e.g. to check no secret is logged). Installed with
   * `Logger.overrideLogger` once the app exists: creating an app with `logger: false`
   * resets any earlier override.
   */
  logger?: LoggerService;
  /**
   * The listen queue length (Node's default is 511). A burst of a thousand
   * loopback connections on a loaded machine overflows the default, and the
   * kernel then resets some of them: a fault of the test rig, not of the app.
   */
  backlog?: number;
}

export interface TestApp {
  app: INestApplication;
  /** Origin the app listens on, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  close(): Promise<void>;
}

interface RequestWithOAuth {
  oauth?: unknown;
}

/**
 * Builds and starts a Nest app whose guarded routes answer `req.oauth` as JSON, on
 * Express or Fastify, listening on a free loopback port.
 */
export async function startTestApp(opts: TestAppOptions): Promise<TestApp> {
  const routes = [...(opts.routes ?? []), ...(opts.client ? [OP_ROUTE] : [])];
  let oauth: OAuthModuleOptions | false = opts.oauth ?? {};
  if (opts.client) {
    if (oauth === false) throw new Error('startTestApp: `client` needs the module options (`oauth` is false)');
    oauth = { ...oauth, clients: { ...(oauth.clients ?? {}), [OP_ROUTE.client]: opts.client } };
  }
  class RoutesController {}
  routes.forEach((route, i) => {
    // One handler per HTTP method: route metadata lives on the function itself.
    for (const [verb, decorate] of [
      ['get', Get],
      ['post', Post],
    ] as const) {
      const key = `${verb}${i}`;
      const handler = function (req: RequestWithOAuth): unknown {
        return { oauth: req.oauth ?? null };
      };
      Object.defineProperty(RoutesController.prototype, key, { value: handler, writable: true, configurable: true });
      const descriptor = Object.getOwnPropertyDescriptor(RoutesController.prototype, key)!;
      Req()(RoutesController.prototype, key, 0);
      Reflect.defineMetadata('design:paramtypes', [Object], RoutesController.prototype, key);
      UseGuards(OAuthGuard(route.client, route.options))(RoutesController.prototype, key, descriptor);
      decorate(route.path)(RoutesController.prototype, key, descriptor);
    }
  });
  Controller()(RoutesController);

  // An unguarded route, to show the app keeps serving when logins cannot.
  @Controller()
  class HealthController {
    @Get('health')
    health(): { ok: true } {
      return { ok: true };
    }
  }

  const config = opts.config ?? {};
  @Module({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
      ...(oauth === false ? [] : [OAuthModule.forRoot(oauth)]),
      ...(opts.imports ?? []),
    ],
    controllers: [RoutesController, HealthController],
    providers: opts.providers ?? [],
  })
  class TestAppModule {}

  let app: INestApplication;
  if (opts.platform === 'fastify') {
    const adapter = new FastifyAdapter({ trustProxy: opts.trustProxy ?? false });
    app = await NestFactory.create(TestAppModule, adapter, { logger: false, abortOnError: false });
    if (opts.session) {
      const { default: secureSession } = await import('@fastify/secure-session');
      const fastify = adapter.getInstance();
      await fastify.register(secureSession as never, {
        key: Buffer.alloc(32, 7),
        cookie: { path: '/', httpOnly: true },
      } as never);
    }
  } else {
    app = await NestFactory.create(TestAppModule, { logger: false, abortOnError: false });
    const express = app.getHttpAdapter().getInstance() as { set(k: string, v: unknown): void };
    if (opts.trustProxy) express.set('trust proxy', true);
    if (opts.session === 'cookie') {
      const { cookieSession } = await import('./cookie-session.js');
      app.use(cookieSession('test-session-secret-0123456789abcdef'));
    } else if (opts.session) {
      const { default: session } = await import('express-session');
      app.use(session({ secret: 'test-session-secret-0123456789abcdef', resave: false, saveUninitialized: false }));
    }
  }
  if (opts.logger) Logger.overrideLogger(opts.logger);
  // Both adapters pass an options object on to `server.listen()` / `fastify.listen()`.
  await app.listen({ port: 0, host: '127.0.0.1', ...(opts.backlog ? { backlog: opts.backlog } : {}) } as unknown as number);
  const server = app.getHttpServer() as { address(): { port: number } };
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { app, origin, close: () => app.close() };
}
