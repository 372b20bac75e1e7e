/**
 * `npm run bench`: every contender against one fast local provider, interleaved
 * rounds, medians and ratios; writes bench/RESULTS.md. BENCH_QUICK=1 for a smoke run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { OAuthRegistry, type OAuth1Client, type OAuth2Client, type OAuth2Token } from '../lib/index.js';
import { signRequest } from '../lib/clients/oauth1/oauth1-signature.js';
import { CONTENDERS, type ContenderName } from './contenders.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 2 : 5;
const SECONDS = QUICK ? 1 : 3;
const ABANDONED = QUICK ? 5_000 : 50_000;
const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Child {
  proc: ChildProcess;
  port: number;
  url: string;
}

async function spawnChild(script: string, args: string[]): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--expose-gc', join(here, script), String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => {
    const text = String(d);
    if (!text.includes('WARNING')) process.stderr.write(text);
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => String(d).includes('READY') && resolve());
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { proc, port, url: `http://127.0.0.1:${port}` };
}

async function startContender(name: ContenderName, issuer: string): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--expose-gc', join(here, 'contender.js'), name, String(port), issuer], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => {
    const text = String(d);
    if (!text.includes('WARNING')) process.stderr.write(text);
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => String(d).includes('READY') && resolve());
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { proc, port, url: `http://127.0.0.1:${port}` };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A browser of its own per login: cookies kept per host. */
async function fullLogin(origin: string): Promise<boolean> {
  const jar = new Map<string, Map<string, string>>();
  const get = async (url: string) => {
    const host = new URL(url).host;
    const cookies = jar.get(host) ?? new Map<string, string>();
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    jar.set(host, cookies);
    await res.arrayBuffer();
    return { status: res.status, location: res.headers.get('location') };
  };
  const login = await get(`${origin}/login`);
  if (login.status !== 302 || !login.location) return false;
  const back = await get(login.location);
  if (back.status !== 302 || !back.location) return false;
  return (await get(back.location)).status === 200;
}

async function loginsPerSecond(origin: string, seconds: number, workers = 16): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        if (await fullLogin(origin)) done++;
        else failed++;
      }
    }),
  );
  if (failed) log(`  ${failed} logins failed at ${origin}`);
  return done / seconds;
}

async function redirectRun(origin: string, seconds: number) {
  const r = await autocannon({ url: `${origin}/login`, connections: 32, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non3xx: r.statusCodeStats ? Object.entries(r.statusCodeStats).filter(([k]) => k !== '302').reduce((n, [, v]) => n + (v as { count: number }).count, 0) : 0 };
}

async function stats(provider: string): Promise<Record<string, number>> {
  return (await fetch(`${provider}/__stats`)).json() as Promise<Record<string, number>>;
}

async function memory(origin: string): Promise<{ rss: number; heap: number }> {
  return (await (await fetch(`${origin}/__rss`)).json()) as { rss: number; heap: number };
}

/** Rounds of `fns` in rotating order (A B C, B C A, …), medians per key. */
async function interleave<T extends Record<string, number>>(keys: string[], rounds: number, fn: (key: string) => Promise<T>): Promise<Record<string, Record<keyof T, number>>> {
  const samples: Record<string, T[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    const order = keys.map((_, i) => keys[(i + r) % keys.length]!);
    for (const key of order) samples[key]!.push(await fn(key));
    log(`  round ${r + 1}/${rounds} done`);
  }
  const out: Record<string, Record<keyof T, number>> = {};
  for (const key of keys) {
    const first = samples[key]![0]!;
    out[key] = Object.fromEntries(Object.keys(first).map((f) => [f, median(samples[key]!.map((s) => s[f]!))])) as Record<keyof T, number>;
  }
  return out;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

async function main(): Promise<void> {
  const lines: string[] = [];
  const out = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  const provider = await spawnChild('provider.js', []);
  const issuer = provider.url;
  const contenders = new Map<ContenderName, Child>();
  for (const name of CONTENDERS) contenders.set(name, await startContender(name, issuer));
  const targets: Array<[string, boolean, string]> = [];

  log('warm-up');
  for (const [name, c] of contenders) {
    await autocannon({ url: `${c.url}/login`, connections: 16, duration: 1 });
    if (name !== 'bare') for (let i = 0; i < 50; i++) await fullLogin(c.url);
  }

  out(`# Benchmarks`);
  out();
  out(`${new Date().toISOString().slice(0, 10)} · ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), parallelism ${availableParallelism()} · Node ${process.version} · ${ROUNDS} interleaved rounds${QUICK ? ' (BENCH_QUICK smoke run)' : ''}, medians.`);
  out();

  // 1. Login redirect.
  log('1. login redirect');
  const redirect = await interleave([...CONTENDERS], ROUNDS, (k) => redirectRun(contenders.get(k as ContenderName)!.url, SECONDS));
  out('## 1. Login redirect (autocannon, 32 connections)');
  out();
  out('| contender | req/s | p50 ms | p99 ms | vs bare | errors |');
  out('|---|---:|---:|---:|---:|---:|');
  for (const k of CONTENDERS) {
    const r = redirect[k]!;
    out(`| ${k} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${ratio(r.rps, redirect.bare!.rps)} | ${r.errors + r.non3xx} |`);
  }
  out();
  const ours = redirect['ours-cookie']!.rps;
  targets.push(['Login redirect ≥ 0.9x bare', ours / redirect.bare!.rps >= 0.9, ratio(ours, redirect.bare!.rps)]);
  targets.push(['Login redirect ≥ 1.5x passport-oauth2', ours / redirect['passport-oauth2']!.rps >= 1.5, ratio(ours, redirect['passport-oauth2']!.rps)]);
  targets.push(['Login redirect ≥ 1.5x openid-client', ours / redirect['openid-client']!.rps >= 1.5, ratio(ours, redirect['openid-client']!.rps)]);

  // 2. Full login.
  log('2. full login');
  const loginKeys = CONTENDERS.filter((k) => k !== 'bare');
  const full = await interleave(loginKeys, ROUNDS, async (k) => ({ lps: await loginsPerSecond(contenders.get(k as ContenderName)!.url, SECONDS) }));
  out('## 2. Full login (16 scripted browsers: login → provider → callback)');
  out();
  out('| contender | logins/s | vs openid-client | provider requests per login (after warm-up) | verifies ID token signature |');
  out('|---|---:|---:|---|---|');
  for (const k of loginKeys) {
    await fetch(`${issuer}/__reset`);
    for (let i = 0; i < 50; i++) await fullLogin(contenders.get(k)!.url);
    const s = await stats(issuer);
    const per = ['/.well-known/openid-configuration', '/jwks', '/token', '/userinfo']
      .filter((p) => s[p])
      .map((p) => `${p.replace('/.well-known/openid-configuration', 'discovery')} ${fmt(s[p]! / 50, 2)}`)
      .join(', ');
    const verifies = k.startsWith('ours') ? 'yes (jose, JWKS)' : k === 'openid-client' ? 'no (claims only)' : 'no ID token handling';
    out(`| ${k} | ${fmt(full[k]!.lps)} | ${ratio(full[k]!.lps, full['openid-client']!.lps)} | ${per} | ${verifies} |`);
  }
  out();
  targets.push(['Full login ≥ 1.3x openid-client', full['ours-cookie']!.lps / full['openid-client']!.lps >= 1.3, ratio(full['ours-cookie']!.lps, full['openid-client']!.lps)]);

  // 3. API calls, in this process.
  log('3. API calls');
  const registry = new OAuthRegistry(
    {
      clients: {
        api: { clientId: 'bench-client', clientSecret: 'bench-secret', accessTokenUrl: `${issuer}/token`, apiBaseUrl: `${issuer}/api/` },
        x: { clientId: 'ck', clientSecret: 'cs', requestTokenUrl: `${issuer}/rt`, accessTokenUrl: `${issuer}/at`, authorizeUrl: `${issuer}/authorize`, apiBaseUrl: `${issuer}/api/` },
      },
      stateSecret: 'b'.repeat(32),
    },
    undefined,
    undefined,
  );
  const api = registry.get('api') as OAuth2Client;
  const x = registry.get('x') as OAuth1Client;
  const token: OAuth2Token = { access_token: 'bench-access-token', token_type: 'Bearer', expires_at: Math.floor(Date.now() / 1000) + 3600 };
  const o1token = { oauth_token: 'tok', oauth_token_secret: 'sec' };
  const callsPerSecond = async (call: () => Promise<Response>) => {
    const until = Date.now() + SECONDS * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const r = await call();
          await r.arrayBuffer();
          n++;
        }
      }),
    );
    return n / SECONDS;
  };
  const plainUrl = `${issuer}/api/me`;
  const apiRuns = await interleave(['client.get (OAuth 2)', 'plain fetch', 'client.get (OAuth 1 signed)'], ROUNDS, async (k) => ({
    cps:
      k === 'plain fetch'
        ? await callsPerSecond(() => fetch(plainUrl, { headers: { authorization: 'Bearer bench-access-token' } }))
        : k.includes('OAuth 1')
          ? await callsPerSecond(() => x.get('me', { token: o1token }))
          : await callsPerSecond(() => api.get('me', { token })),
  }));
  const N = 20_000;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) signRequest({ method: 'GET', url: `${issuer}/api/me?q=${i}`, consumerKey: 'ck', consumerSecret: 'cs', token: 'tok', tokenSecret: 'sec', signatureMethod: 'HMAC-SHA1', signatureType: 'header' });
  const signUs = Number(process.hrtime.bigint() - t0) / 1000 / N;
  out('## 3. API calls (8 concurrent callers, local resource server)');
  out();
  out('| caller | calls/s | vs plain fetch |');
  out('|---|---:|---:|');
  for (const k of Object.keys(apiRuns)) out(`| ${k} | ${fmt(apiRuns[k]!.cps)} | ${ratio(apiRuns[k]!.cps, apiRuns['plain fetch']!.cps)} |`);
  out();
  out(`OAuth 1 HMAC-SHA1 signing: ${fmt(signUs, 1)} µs per request (${fmt(N)} signatures).`);
  out();
  targets.push(['API calls ≥ 0.9x plain fetch', apiRuns['client.get (OAuth 2)']!.cps / apiRuns['plain fetch']!.cps >= 0.9, ratio(apiRuns['client.get (OAuth 2)']!.cps, apiRuns['plain fetch']!.cps)]);
  targets.push(['OAuth 1 signing < 50 µs a call', signUs < 50, `${fmt(signUs, 1)} µs`]);

  // 4. One expired token, 100 concurrent calls.
  log('4. expired token');
  const expiredRuns: Array<{ refreshes: number; ms: number; ok: number }> = [];
  const naiveRuns: Array<{ refreshes: number; ms: number; ok: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const rt = ((await (await fetch(`${issuer}/__refresh-token`)).json()) as { refresh_token: string }).refresh_token;
    const stale: OAuth2Token = { access_token: 'old', token_type: 'Bearer', expires_at: 1, refresh_token: rt };
    await fetch(`${issuer}/__reset`);
    t0 = process.hrtime.bigint();
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => api.get('me', { token: stale }).then((res) => res.arrayBuffer().then(() => res.status))));
    expiredRuns.push({ refreshes: (await stats(issuer))['/token'] ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: results.filter((x) => x.status === 'fulfilled' && x.value === 200).length });
    // The naive way: every caller refreshes on its own (rotation then refuses all but one).
    const rt2 = ((await (await fetch(`${issuer}/__refresh-token`)).json()) as { refresh_token: string }).refresh_token;
    await fetch(`${issuer}/__reset`);
    t0 = process.hrtime.bigint();
    const naive = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt2 }) });
        const body = (await res.json()) as { access_token?: string };
        if (!body.access_token) return 0;
        const api2 = await fetch(plainUrl, { headers: { authorization: `Bearer ${body.access_token}` } });
        await api2.arrayBuffer();
        return api2.status === 200 ? 1 : 0;
      }),
    );
    naiveRuns.push({ refreshes: (await stats(issuer))['/token'] ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, ok: naive.reduce((a: number, b) => a + b, 0) });
  }
  out('## 4. 100 concurrent API calls holding one expired token');
  out();
  out('| approach | refresh requests | calls that succeeded | wall time ms |');
  out('|---|---:|---:|---:|');
  out(`| ours (single-flight refresh) | ${median(expiredRuns.map((r) => r.refreshes))} | ${median(expiredRuns.map((r) => r.ok))} | ${fmt(median(expiredRuns.map((r) => r.ms)), 1)} |`);
  out(`| naive: each caller refreshes | ${median(naiveRuns.map((r) => r.refreshes))} | ${median(naiveRuns.map((r) => r.ok))} | ${fmt(median(naiveRuns.map((r) => r.ms)), 1)} |`);
  out();
  targets.push(['One refresh for 100 callers', median(expiredRuns.map((r) => r.refreshes)) === 1, `${median(expiredRuns.map((r) => r.refreshes))} refresh`]);

  // 5. Memory after abandoned logins, each contender fresh.
  log('5. memory');
  out(`## 5. Memory after ${fmt(ABANDONED)} abandoned logins (fresh process each, after GC)`);
  out();
  out('RSS rarely shrinks once the allocator has grown it, so the bare route shows the noise floor; the JS heap after GC shows what is kept.');
  out();
  out('| contender | RSS before MB | RSS after MB | RSS growth MB | heap growth MB |');
  out('|---|---:|---:|---:|---:|');
  const growth: Partial<Record<ContenderName, { rss: number; heap: number }>> = {};
  for (const name of CONTENDERS) {
    contenders.get(name)!.proc.kill();
    const c = await startContender(name, issuer);
    contenders.set(name, c);
    await autocannon({ url: `${c.url}/login`, connections: 16, amount: 2_000 });
    const before = await memory(c.url);
    await autocannon({ url: `${c.url}/login`, connections: 32, amount: ABANDONED });
    const after = await memory(c.url);
    const mb = (n: number) => n / 1024 / 1024;
    growth[name] = { rss: mb(after.rss - before.rss), heap: mb(after.heap - before.heap) };
    out(`| ${name} | ${fmt(mb(before.rss), 1)} | ${fmt(mb(after.rss), 1)} | ${fmt(growth[name]!.rss, 1)} | ${fmt(growth[name]!.heap, 1)} |`);
  }
  out();
  const oursMem = growth['ours-cookie']!;
  const floor = growth.bare!;
  targets.push([
    'Memory flat with the cookie store (no growth beyond the bare route\'s)',
    oursMem.rss <= floor.rss + 5 && oursMem.heap <= floor.heap + 2,
    `RSS +${fmt(oursMem.rss, 1)} MB (bare +${fmt(floor.rss, 1)}), heap +${fmt(oursMem.heap, 1)} MB (bare +${fmt(floor.heap, 1)})`,
  ]);

  out('## Targets');
  out();
  out('| target | met | measured |');
  out('|---|---|---|');
  for (const [what, met, measured] of targets) out(`| ${what} | ${met ? 'yes' : '**no**'} | ${measured} |`);
  out();

  for (const c of contenders.values()) c.proc.kill();
  provider.proc.kill();
  out('What the misses come from, and what was fixed after profiling: see bench/README.md.');
  if (!QUICK) writeFileSync(join(here, '..', '..', 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`);
  else log('BENCH_QUICK: bench/RESULTS.md not written');
}

await main();
