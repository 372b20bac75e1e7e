/**
 * One benchmark contender, as its own process: `node contender.js <name> <port> <issuer>`.
 * Every contender serves the same routes: GET /login (302 to the provider), GET
 * /callback (completes the login, answers the user's sub), GET /__rss.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Controller, Get, Injectable, Module, Redirect, Req, UseGuards, type DynamicModule, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import session from 'express-session';
import * as oidc from 'openid-client';
import { Strategy as OidcStrategy } from 'openid-client/passport';
import passport from 'passport';
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import { OAuthGuard, OAuthModule, type OAuthResult } from '../lib/index.js';
import type { ContenderName } from './contenders.js';


const [name, portArg, issuer] = process.argv.slice(2) as [ContenderName, string, string];
const port = Number(portArg);
const origin = `http://127.0.0.1:${port}`;
const clientId = 'bench-client';
const clientSecret = 'bench-secret';
const callbackURL = `${origin}/callback`;

interface Req {
  oauth?: OAuthResult;
  user?: { sub: string };
}

@Controller()
class RssController {
  @Get('__rss')
  rss(): { rss: number; heap: number } {
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed };
  }
}

function routes(guard: Type | undefined, user: (req: Req) => string): Type {
  @Controller()
  class LoginController {
    @Get('login')
    @UseGuards(...(guard ? [guard] : []))
    @Redirect()
    login(): { url: string } {
      // Only reached by the bare contender: the same 302 with no OAuth work.
      const state = 'bare-state';
      return { url: `${issuer}/authorize?response_type=code&client_id=${clientId}&redirect_uri=${encodeURIComponent(callbackURL)}&scope=openid&state=${state}` };
    }

    @Get('callback')
    @UseGuards(...(guard ? [guard] : []))
    callback(@Req() req: Req): { sub: string } {
      return { sub: user(req) };
    }
  }
  return LoginController;
}

async function moduleFor(contender: ContenderName): Promise<DynamicModule> {
  @Module({})
  class BenchModule {}
  const base = { module: BenchModule, imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true })] as DynamicModule['imports'] };
  const oauthClient = { clientId, clientSecret, serverMetadataUrl: `${issuer}/.well-known/openid-configuration`, scope: 'openid profile', redirectUri: callbackURL };
  switch (contender) {
    case 'bare':
      return { ...base, controllers: [routes(undefined, () => 'bench-user'), RssController] };
    case 'ours-cookie':
    case 'ours-session':
      return {
        ...base,
        imports: [
          ...(base.imports ?? []),
          OAuthModule.forRoot({
            clients: { op: oauthClient },
            stateSecret: randomBytes(32).toString('base64url'),
            ...(contender === 'ours-session' ? { stateStore: 'session' as const } : {}),
          }),
        ],
        controllers: [routes(OAuthGuard('op'), (req) => req.oauth!.userinfo!.sub), RssController],
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
        validate(_accessToken: string, _refreshToken: string, _profile: unknown): { sub: string } {
          // passport-oauth2 reads no ID token: nothing to validate, no sub but the one we know.
          return { sub: 'bench-user' };
        }
      }
      return { ...base, imports: [...(base.imports ?? []), PassportModule], providers: [OAuth2], controllers: [routes(AuthGuard('oauth2'), (req) => req.user!.sub), RssController] };
    }
    case 'openid-client': {
      const config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
      passport.use(
        'oidc',
        new OidcStrategy({ config, scope: 'openid profile', callbackURL, name: 'oidc' }, (tokens, verified) => {
          verified(null, { sub: String(tokens.claims()?.sub) });
        }),
      );
      return { ...base, imports: [...(base.imports ?? []), PassportModule], controllers: [routes(AuthGuard('oidc'), (req) => req.user!.sub), RssController] };
    }
  }
}

const app = await NestFactory.create(await moduleFor(name), { logger: ['error'] });
if (name === 'ours-session' || name === 'passport-oauth2' || name === 'openid-client') {
  app.use(session({ secret: randomBytes(32).toString('base64url'), resave: false, saveUninitialized: false }));
}
await app.listen(port, '127.0.0.1');
console.log(`READY ${port}`);
process.once('SIGINT', () => process.exit(0));
