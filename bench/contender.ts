/**
 * One benchmark contender, as its own process: `node contender.js <port> <name> <issuer>`.
 * Every contender is a Nest app on Express serving the same routes: GET /login
 * (302 to the provider), GET /callback (completes the login, answers
 * `{"sub":"bench-user"}`), and GET /__stats (RSS, heap and CPU time of the process).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Controller, Get, Injectable, Module, Redirect, Req, Res, UseGuards, type DynamicModule, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import session from 'express-session';
import * as oidc from 'openid-client';
import { Strategy as OidcStrategy } from 'openid-client/passport';
import passport from 'passport';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import { OAuthGuard, OAuthModule, type OAuthResult } from '../lib/index.js';
import { isContender, type ContenderName } from './contenders.js';

const [portArg, name, issuer] = process.argv.slice(2) as [string, string, string];
if (!isContender(name) || !issuer) throw new Error(`usage: contender.js <port> <contender> <issuer>; got ${name}`);
const port = Number(portArg);
const origin = `http://127.0.0.1:${port}`;
const clientId = 'bench-client';
const clientSecret = 'bench-secret';
const callbackURL = `${origin}/callback`;

interface BenchRequest {
  oauth?: OAuthResult;
  user?: { sub: string };
}

interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

@Controller()
class StatsController {
  @Get('__stats')
  async stats(): Promise<{ rss: number; heapUsed: number; cpu: number }> {
    // Two full collections a moment apart, so what is measured is what is kept.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const { user, system } = process.cpuUsage();
    return { rss, heapUsed, cpu: user + system };
  }

  @Get('__cpu')
  cpu(): { cpu: number } {
    const { user, system } = process.cpuUsage();
    return { cpu: user + system };
  }
}

// The bare route answers the same 302 as ours, byte for byte in shape: an
// authorization URL with the same parameters and value lengths, a Set-Cookie of
// the size of our encrypted state cookie, and no-store. All constants: no OAuth work.
const fixed = (n: number) => randomBytes(n).toString('base64url');
const BARE_URL =
  `${issuer}/authorize?response_type=code&client_id=${clientId}&redirect_uri=${encodeURIComponent(callbackURL)}` +
  `&state=${fixed(32)}&scope=openid+profile&code_challenge=${fixed(32)}&code_challenge_method=S256&nonce=${fixed(32)}`;
const BARE_COOKIE = `oauth_state_${fixed(12)}=${fixed(320)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`;

function routes(guard: Type | undefined, user: (req: BenchRequest) => string): Type {
  @Controller()
  class LoginController {
    @Get('login')
    @UseGuards(...(guard ? [guard] : []))
    @Redirect()
    login(@Res({ passthrough: true }) res: HeaderSink): { url: string } {
      // Reached by the bare contender only: every guard answers a login itself.
      res.setHeader('set-cookie', BARE_COOKIE);
      res.setHeader('cache-control', 'no-store');
      return { url: BARE_URL };
    }

    @Get('callback')
    @UseGuards(...(guard ? [guard] : []))
    callback(@Req() req: BenchRequest): { sub: string } {
      return { sub: user(req) };
    }
  }
  return LoginController;
}

async function moduleFor(contender: ContenderName): Promise<DynamicModule> {
  @Module({})
  class BenchModule {}
  const config = ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true });
  const oauthClient = {
    clientId,
    clientSecret,
    serverMetadataUrl: `${issuer}/.well-known/openid-configuration`,
    scope: 'openid profile',
    redirectUri: callbackURL,
  };
  switch (contender) {
    case 'bare':
      return { module: BenchModule, imports: [config], controllers: [routes(undefined, () => 'bench-user'), StatsController] };
    case 'ours-cookie':
    case 'ours-session':
      return {
        module: BenchModule,
        imports: [
          config,
          OAuthModule.forRoot({
            clients: { op: oauthClient },
            stateSecret: randomBytes(32).toString('base64url'),
            ...(contender === 'ours-session' ? { stateStore: 'session' as const } : {}),
          }),
        ],
        controllers: [routes(OAuthGuard('op'), (req) => req.oauth!.userinfo!.sub), StatsController],
      };
    case 'passport-oauth2': {
      @Injectable()
      class OAuth2 extends PassportStrategy(OAuth2Strategy, 'oauth2') {
        constructor() {
          super({
            authorizationURL: `${issuer}/authorize`,
            tokenURL: `${issuer}/token`,
            clientID: clientId,
            clientSecret,
            callbackURL,
            scope: ['openid', 'profile'],
            state: true,
            pkce: true,
          });
        }
        validate(): { sub: string } {
          // passport-oauth2 does nothing with an ID token; the app would have to.
          return { sub: 'bench-user' };
        }
      }
      return {
        module: BenchModule,
        imports: [config, PassportModule],
        providers: [OAuth2],
        controllers: [routes(AuthGuard('oauth2'), (req) => req.user!.sub), StatsController],
      };
    }
    case 'openid-client': {
      const configuration = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
      passport.use(
        'oidc',
        new OidcStrategy({ config: configuration, scope: 'openid profile', callbackURL, name: 'oidc' }, (tokens, verified) => {
          // Claims of the ID token as openid-client checked them (claims, not signature).
          verified(null, { sub: String(tokens.claims()?.sub) });
        }),
      );
      return {
        module: BenchModule,
        imports: [config, PassportModule],
        controllers: [routes(AuthGuard('oidc'), (req) => req.user!.sub), StatsController],
      };
    }
  }
}

const app = await NestFactory.create(await moduleFor(name), { logger: ['error'] });
if (name === 'ours-session' || name === 'passport-oauth2' || name === 'openid-client') {
  app.use(session({ secret: randomBytes(32).toString('base64url'), resave: false, saveUninitialized: false }));
}
await app.listen(port, '127.0.0.1');
// A normal exit, so `--cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
console.log(`READY ${port}`);
