import 'reflect-metadata';
import { Controller, Get, Module, Post, Req, UseGuards, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { OAuthGuard, OAuthModule, type OAuthGuardOptions, type OAuthModuleOptions } from '../../lib/index.js';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface TestRoute {
  /** Path of the guarded route, e.g. `/auth/op`. Served by GET and POST (form_post). */
  path: string;
  client: string;
  options?: OAuthGuardOptions;
}

export interface TestAppOptions {
  platform: Platform;
  routes: TestRoute[];
  /** Passed to `OAuthModule.forRoot()`. */
  oauth?: OAuthModuleOptions;
  /** Values `ConfigService` serves (`OAUTH_CLIENTS`, `OAUTH_<NAME>_<FIELD>`, …). */
  config?: Record<string, unknown>;
  /** Install a session middleware (express-session / @fastify/secure-session). */
  session?: boolean;
  /** Trust X-Forwarded-* headers. */
  trustProxy?: boolean;
  /** More modules for the app. */
  imports?: Array<Type | DynamicModule>;
  /** Providers of the app's root module. */
  providers?: Provider[];
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
  class RoutesController {}
  opts.routes.forEach((route, i) => {
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
      OAuthModule.forRoot(opts.oauth ?? {}),
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
    if (opts.session) {
      const { default: session } = await import('express-session');
      app.use(session({ secret: 'test-session-secret-0123456789abcdef', resave: false, saveUninitialized: false }));
    }
  }
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as { address(): { port: number } };
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { app, origin, close: () => app.close() };
}
