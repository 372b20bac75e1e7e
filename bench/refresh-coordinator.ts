/**
 * What RedisRefreshCoordinator adds to one refresh: sequential refreshes, each with
 * a new refresh token, against a local token endpoint, once through a per-instance
 * single flight only and once through the same single flight wrapping
 * `RedisRefreshCoordinator.run()` on a local redis-server (one look that takes the
 * lock, one write of the sealed handoff that frees it).
 *
 *   npx tsc -p bench/tsconfig.json && node dist-bench/bench/refresh-coordinator.js
 *
 * The two ways run in pairs, one after the other, the order alternating; prints one
 * number: the median over pairs of (coordinated refresh - local refresh), in µs.
 * `DETAIL=1` also prints both medians on stderr.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { RedisRefreshCoordinator, type OAuth2Token } from '../lib/index.js';
import { startRedis } from '../test/support/redis-server.js';

const PAIRS = Number(process.env.PAIRS ?? 3000);
const WARMUP = 300;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A token endpoint that rotates: every refresh answers a new pair. */
async function startTokenEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token')) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
        JSON.stringify({
          access_token: randomBytes(32).toString('base64url'),
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: randomBytes(32).toString('base64url'),
          scope: 'openid profile',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Microseconds of one refresh with a new refresh token. */
async function once(way: (rt: string) => Promise<OAuth2Token>): Promise<number> {
  const rt = randomBytes(32).toString('base64url');
  const start = process.hrtime.bigint();
  const token = await way(rt);
  const micros = Number(process.hrtime.bigint() - start) / 1000;
  if (typeof token.access_token !== 'string') throw new Error('the token endpoint answered no access_token');
  return micros;
}

async function main(): Promise<void> {
  const endpoint = await startTokenEndpoint();
  const redisServer = await startRedis();
  const client = await createClient({ url: redisServer.url }).connect();
  const coordinator = new RedisRefreshCoordinator(client, { secret: randomBytes(32).toString('base64url') });

  const refresh = async (refreshToken: string): Promise<OAuth2Token> => {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    const token = (await res.json()) as OAuth2Token;
    token.expires_at = Math.floor(Date.now() / 1000) + (token.expires_in ?? 0);
    return token;
  };

  // The refresher's own keyed single flight, as in front of the coordinator.
  const flights = new Map<string, Promise<OAuth2Token>>();
  const singleFlight = (refreshToken: string, run: () => Promise<OAuth2Token>): Promise<OAuth2Token> => {
    let p = flights.get(refreshToken);
    if (!p) {
      p = run().finally(() => flights.delete(refreshToken));
      flights.set(refreshToken, p);
    }
    return p;
  };
  const local = (rt: string) => singleFlight(rt, () => refresh(rt));
  const coordinated = (rt: string) =>
    singleFlight(rt, async () => (await coordinator.run(rt, () => refresh(rt), { client: 'bench', timeoutMs: 10_000 })).token);

  for (let i = 0; i < WARMUP; i++) {
    await once(local);
    await once(coordinated);
  }
  // Pairs, the order alternating: a burst of other work on the machine lands on both
  // halves of a pair, and the median of the differences ignores the pairs it hit.
  const added: number[] = [];
  const localTimes: number[] = [];
  const redisTimes: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const localFirst = i % 2 === 0;
    const x = await once(localFirst ? local : coordinated);
    const y = await once(localFirst ? coordinated : local);
    const [l, r] = localFirst ? [x, y] : [y, x];
    localTimes.push(l);
    redisTimes.push(r);
    added.push(r - l);
  }
  if (process.env.DETAIL) {
    console.error(`local median ${Math.round(median(localTimes))} µs, coordinated median ${Math.round(median(redisTimes))} µs, ${PAIRS} pairs`);
  }
  process.stdout.write(`${Math.round(median(added))}\n`);

  await client.close();
  await redisServer.stop();
  await endpoint.close();
}

await main();
