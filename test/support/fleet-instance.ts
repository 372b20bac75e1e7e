/**
 * One instance of a fleet, run as its own process by `startFleetProcess()` (see
 * fleet-process.ts): a Nest app with one OAuth 2 client `op`, the guarded login route
 * `/auth/op`, and a small API standing for the application around the library:
 *
 * - `POST /fleet/token` `{ token }`: the token row this instance holds (its "database");
 * - `GET /fleet/call`: one API call, `client.get('me', { token: <row> })`, answered as
 *   `{ status, sub }` or `{ error, message }`;
 * - `GET /fleet/stats`: `{ updateToken, tokenUpdate, token }`, what `updateToken` and
 *   `tokenUpdate$` saw on this instance and the row as it is now.
 *
 * Configuration comes as JSON in FLEET_INSTANCE; with `redisUrl` the module gets
 * `refreshCoordinator: new RedisRefreshCoordinator(client)` on its own node-redis
 * client. The process prints `{"ready":"<origin>"}` once listening and exits when
 * its stdin closes or on SIGTERM.
 */
import { Body, Controller, Get, Inject, Module, Post, type OnModuleInit } from '@nestjs/common';
import { createClient } from 'redis';
import { OAuthRegistry, RedisRefreshCoordinator, type OAuth2Client, type OAuth2Token, type OAuthModuleOptions } from '../../lib/index.js';
import { startTestApp, type Platform } from './nest-app.js';

export interface FleetInstanceConfig {
  platform: Platform;
  discoveryUrl: string;
  apiBaseUrl: string;
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  /** With it, the instance coordinates its refreshes through this Redis. */
  redisUrl?: string;
}

const config = JSON.parse(process.env.FLEET_INSTANCE ?? '{}') as FleetInstanceConfig;

let row: OAuth2Token | undefined;
let updateToken = 0;
let tokenUpdate = 0;

@Controller('fleet')
class FleetController implements OnModuleInit {
  constructor(@Inject(OAuthRegistry) private readonly registry: OAuthRegistry) {}

  onModuleInit(): void {
    this.registry.tokenUpdate$.subscribe(() => tokenUpdate++);
  }

  @Post('token')
  seed(@Body() body: { token: OAuth2Token }): { ok: true } {
    row = body.token;
    return { ok: true };
  }

  @Get('call')
  async call(): Promise<Record<string, unknown>> {
    const client = this.registry.get('op') as OAuth2Client;
    try {
      const res = await client.get('me', { token: row! });
      const body = (await res.json()) as { sub?: string };
      return { status: res.status, sub: body.sub };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { error: e.code ?? 'unexpected', message: e.message ?? String(err) };
    }
  }

  @Get('stats')
  stats(): Record<string, unknown> {
    return { updateToken, tokenUpdate, token: row };
  }
}

@Module({ controllers: [FleetController] })
class FleetModule {}

const redis = config.redisUrl ? await createClient({ url: config.redisUrl }).connect() : undefined;
const oauth: OAuthModuleOptions = {
  stateSecret: config.stateSecret,
  clients: {
    op: {
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      serverMetadataUrl: config.discoveryUrl,
      scope: 'openid offline_access profile',
      // oidc-provider drops offline_access without a consent prompt.
      authorizeParams: { prompt: 'consent' },
      apiBaseUrl: config.apiBaseUrl,
    },
  },
  updateToken: (event) => {
    updateToken++;
    row = event.token;
  },
  ...(redis ? { refreshCoordinator: new RedisRefreshCoordinator(redis) } : {}),
};
const app = await startTestApp({ platform: config.platform, routes: [{ path: '/auth/op', client: 'op' }], oauth, imports: [FleetModule] });

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await app.close().catch(() => undefined);
  if (redis?.isOpen) redis.destroy();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ ready: app.origin })}\n`);
