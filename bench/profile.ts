/**
 * `npm run bench -- profile <contender> <redirect|login> [seconds]` runs one
 * contender under `node --cpu-prof` while it serves login redirects or full logins;
 * `npm run bench -- profile api [seconds]` profiles `client.get()` calls in this
 * process. Either way it prints where the CPU went (self time per function and per
 * package, and the inclusive time of our library's functions) and keeps the
 * .cpuprofile for Chrome DevTools.
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { OAuthModule, OAuthRegistry, type OAuth1Client, type OAuth2Client } from '../lib/index.js';
import { isContender } from './contenders.js';
import { fullLogin, log, spawnChild, stopChild } from './harness.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

function where(url: string): string {
  if (url === '') return '';
  const lib = url.indexOf('/dist-bench/lib/');
  if (lib >= 0) return `lib/${url.slice(lib + '/dist-bench/lib/'.length).replace(/\.js$/, '.ts')}`;
  const bench = url.indexOf('/dist-bench/bench/');
  if (bench >= 0) return `bench/${url.slice(bench + '/dist-bench/bench/'.length)}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '');
}

function packageOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  if (url.includes('/dist-bench/lib/')) return 'nestjs-oauth-client (lib/)';
  if (url.includes('/dist-bench/bench/')) return 'bench harness';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  return url;
}

const key = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

/** Prints the profile's hot spots; `(idle)` is left out of every share. */
export function summarise(profile: CpuProfile, top = 25, ops = 0): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalHits = profile.nodes.reduce((n, node) => n + (node.callFrame.functionName === '(idle)' ? 0 : (node.hitCount ?? 0)), 0);
  const msPerHit = profile.samples?.length ? (profile.endTime - profile.startTime) / 1000 / profile.samples.length : 0;
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)' || !node.hitCount) continue;
    self.set(key(node.callFrame), (self.get(key(node.callFrame)) ?? 0) + node.hitCount);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + node.hitCount);
  }
  // Inclusive hits of our functions, each counted once per stack even when recursive.
  const inclusive = new Map<string, number>();
  const subtree = new Map<number, number>();
  const total = (id: number): number => {
    const cached = subtree.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    const sum = (node.callFrame.functionName === '(idle)' ? 0 : (node.hitCount ?? 0)) + (node.children ?? []).reduce((n, c) => n + total(c), 0);
    subtree.set(id, sum);
    return sum;
  };
  const walk = (id: number, onStack: Set<string>) => {
    const node = byId.get(id)!;
    const k = key(node.callFrame);
    const ours = node.callFrame.url.includes('/dist-bench/lib/');
    const fresh = ours && !onStack.has(k);
    if (fresh) {
      inclusive.set(k, (inclusive.get(k) ?? 0) + total(id));
      onStack.add(k);
    }
    for (const c of node.children ?? []) walk(c, onStack);
    if (fresh) onStack.delete(k);
  };
  walk(profile.nodes[0]!.id, new Set());

  const pct = (hits: number) => `${((100 * hits) / totalHits).toFixed(1).padStart(5)}%`;
  const perOp = (hits: number) => (ops > 0 ? `${((hits * msPerHit * 1000) / ops).toFixed(1).padStart(7)} µs/op` : '');
  const lines = [
    `busy CPU (main thread): ${(totalHits * msPerHit).toFixed(0)} ms in ${totalHits} samples${ops > 0 ? `, ${ops} operations measured` : ''}`,
    '',
    'self time by package:',
  ];
  for (const [pkg, hits] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(hits)} ${perOp(hits)}  ${pkg}`);
  lines.push('', `self time, top ${top} functions:`);
  for (const [k, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(hits)} ${perOp(hits)}  ${k}`);
  lines.push('', 'inclusive time of lib/ functions:');
  for (const [k, hits] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`  ${pct(hits)} ${perOp(hits)}  ${k}`);
  return lines.join('\n');
}

export async function profileMain(args: string[]): Promise<void> {
  const [first, second, third] = args;
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-profile-'));
  if (first === 'api' || first === 'api1') {
    const seconds = Number(second ?? 10);
    await profileApi(first === 'api1', seconds, dir);
    return;
  }
  if (!isContender(first) || (second !== 'redirect' && second !== 'login')) {
    throw new Error('usage: npm run bench -- profile <contender> <redirect|login> [seconds] | profile api|api1 [seconds]');
  }
  const seconds = Number(third ?? 10);
  const provider = await spawnChild('provider', 'provider.js', []);
  const child = await spawnChild(first, 'contender.js', [first, provider.url], ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let ops = 0;
  try {
    log(`warm-up, then ${seconds} s of ${second} on ${first}`);
    if (second === 'redirect') {
      ops += (await autocannon({ url: `${child.url}/login`, connections: 32, duration: 2 })).requests.total;
      ops += (await autocannon({ url: `${child.url}/login`, connections: 32, duration: seconds })).requests.total;
    } else {
      for (let i = 0; i < 200; i++) if (await fullLogin(child.url)) ops++;
      const until = Date.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (Date.now() < until) if (await fullLogin(child.url)) ops++;
        }),
      );
    }
  } finally {
    await stopChild(child, 'SIGINT');
    await stopChild(provider);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile was written to ${dir}`);
  console.log(summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 25, ops));
  console.log(`\nprofile (whole run, start-up included, so µs/op slightly overstated): ${join(dir, file)}`);
}

async function profileApi(oauth1: boolean, seconds: number, dir: string): Promise<void> {
  const provider = await spawnChild('provider', 'provider.js', []);
  const issuer = provider.url;
  @Module({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
      OAuthModule.forRoot({
        clients: {
          api: { clientId: 'c', clientSecret: 's', accessTokenUrl: `${issuer}/token`, apiBaseUrl: `${issuer}/api/` },
          x: { clientId: 'ck', clientSecret: 'cs', requestTokenUrl: `${issuer}/rt`, accessTokenUrl: `${issuer}/at`, authorizeUrl: `${issuer}/authorize`, apiBaseUrl: `${issuer}/api/` },
        },
        stateSecret: 'b'.repeat(32),
      }),
    ],
  })
  class ProfileModule {}
  const ctx = await NestFactory.createApplicationContext(ProfileModule, { logger: ['error'] });
  const registry = ctx.get(OAuthRegistry);
  const call = oauth1
    ? () => (registry.get('x') as OAuth1Client).get('me', { token: { oauth_token: 't', oauth_token_secret: 's' } })
    : () => (registry.get('api') as OAuth2Client).get('me', { token: { access_token: 'a', token_type: 'Bearer', expires_at: Date.now() / 1000 + 3600 } });
  let ops = 0;
  const run = async (ms: number) => {
    const until = Date.now() + ms;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          await (await call()).arrayBuffer();
          ops++;
        }
      }),
    );
  };
  await run(2000);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  ops = 0;
  await run(seconds * 1000);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  await ctx.close();
  await stopChild(provider);
  const file = join(dir, `api-${oauth1 ? 'oauth1' : 'oauth2'}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(summarise(profile, 25, ops));
  console.log(`\nprofile: ${file}`);
}
