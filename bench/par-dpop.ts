/**
 * What DPoP and PAR cost the client.
 *
 *   tsc -p bench/tsconfig.json && node dist-bench/bench/par-dpop.js      (BENCH_QUICK=1 for a smoke run)
 *
 * 1. A DPoP proof alone (`DpopSigner.proof`: a compact JWS signed by node:crypto),
 *    ES256 and EdDSA, with and without `ath`: CPU µs per proof in this process,
 *    against the same proof made with jose's SignJWT and a bare `node:crypto.sign` of
 *    a same-sized input (the floor).
 * 2. What PAR adds to starting a login: building the authorization URL locally vs
 *    pushing it first (one POST over loopback keep-alive) with client_secret_basic,
 *    with private_key_jwt (an ES256 assertion per push), and with a DPoP proof on the
 *    push (nonce already known). Wall µs per login start (one at a time) and caller
 *    CPU µs.
 * 3. API calls, 8 concurrent callers: Bearer vs DPoP (a proof with `ath` per call,
 *    the resource server's nonce already known): calls/s and caller CPU µs per call.
 *
 * The provider is a child process (own core time, not counted as the caller's):
 * `/par` and `/api/me`, demanding a DPoP nonce the way RFC 9449
 * section 8/9 says, without verifying signatures (the client is what is measured).
 * Interleaved rounds, medians. Timings are never asserted anywhere.
 */
import { sign as nodeSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWK } from 'jose';
import { ClientAuthenticator } from '../lib/clients/oauth2/client-auth.js';
import { createDpopSigner, isDpopNonceChallenge, sendWithDpop, type DpopSigner } from '../lib/clients/oauth2/dpop.js';
import { randomToken, s256Challenge } from '../lib/clients/oauth2/pkce.js';
import { pushAuthorizationRequest, pushedAuthorizationUrl, type AuthenticatedFormPost } from '../lib/clients/oauth2/pushed-authorization.js';
import { validateClientConfig } from '../lib/config/validate-client.js';
import { providerRequest } from '../lib/http/provider-http.js';
import { log, median, spawnChild, stopChild } from './harness.js';

const QUICK = process.env.BENCH_QUICK === '1';

// ---------------------------------------------------------------- provider child

function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function runProvider(port: number): void {
  const nonce = randomBytes(24).toString('base64url');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const proof = req.headers.dpop;
      const proofNonce = typeof proof === 'string' ? (JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString()) as { nonce?: string }).nonce : undefined;
      switch (url.pathname) {
        case '/__cpu': {
          const { user, system } = process.cpuUsage();
          return answerJson(res, 200, { cpu: user + system });
        }
        case '/par':
          if (typeof proof === 'string' && proofNonce !== nonce) return answerJson(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': nonce });
          return answerJson(res, 201, { request_uri: `urn:ietf:params:oauth:request_uri:${randomBytes(16).toString('base64url')}`, expires_in: 60 });
        case '/api/me':
          if (typeof proof === 'string' && proofNonce !== nonce) {
            return answerJson(res, 401, { error: 'use_dpop_nonce' }, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce });
          }
          return answerJson(res, 200, { sub: 'bench-user' });
        default:
          return answerJson(res, 404, { error: 'not_found' });
      }
    });
  });
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
  });
}

// ---------------------------------------------------------------- runner

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Runs `op` `n` times one after another; returns [wall µs, CPU µs] per op. */
async function sequential(n: number, op: () => Promise<unknown>): Promise<[number, number]> {
  const cpu0 = cpuNow();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  return [wall / n, (cpuNow() - cpu0) / n];
}

/** `callers` concurrent loops for `ms`; returns [ops/s, CPU µs per op]. */
async function concurrent(callers: number, ms: number, op: () => Promise<unknown>): Promise<[number, number]> {
  let count = 0;
  const end = Date.now() + ms;
  const cpu0 = cpuNow();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (Date.now() < end) {
        await op();
        count++;
      }
    }),
  );
  return [(count * 1000) / (Date.now() - t0), (cpuNow() - cpu0) / count];
}

/** The parameters of one authorization request, fresh random values each time. */
function params(): Record<string, string> {
  return {
    response_type: 'code',
    client_id: 'bench',
    redirect_uri: 'https://app.example/callback',
    scope: 'openid profile email',
    state: randomToken(),
    nonce: randomToken(),
    code_challenge: s256Challenge(randomToken()),
    code_challenge_method: 'S256',
  };
}

async function runBench(): Promise<void> {
  const rounds = QUICK ? 2 : 7;
  const proofsPerRound = QUICK ? 1000 : 5000;
  const pushesPerRound = QUICK ? 200 : 400;
  const apiMs = QUICK ? 500 : 2000;
  const began = Date.now();

  const provider = await spawnChild('par-provider', 'par-dpop.js', ['provider']);
  const origin = provider.url;
  try {
    const http = { fetch: globalThis.fetch, timeout: 5000 };
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    const signers: Record<'ES256' | 'EdDSA', DpopSigner> = {
      ES256: createDpopSigner({ privateKey: ec.export({ format: 'jwk' }) as JWK }, { client: 'bench' })!,
      EdDSA: createDpopSigner({ privateKey: ed.export({ format: 'jwk' }) as JWK }, { client: 'bench' })!,
    };
    const token = randomToken() + randomToken();

    // 1. Proofs.
    const proofCases: Array<[string, () => Promise<unknown>]> = [
      ['DpopSigner.proof ES256', () => signers.ES256.proof({ htm: 'POST', htu: `${origin}/token` })],
      ['DpopSigner.proof ES256 + ath', () => signers.ES256.proof({ htm: 'GET', htu: `${origin}/api/me`, accessToken: token, nonce: 'n' })],
      ['DpopSigner.proof EdDSA', () => signers.EdDSA.proof({ htm: 'POST', htu: `${origin}/token` })],
      ['DpopSigner.proof EdDSA + ath', () => signers.EdDSA.proof({ htm: 'GET', htu: `${origin}/api/me`, accessToken: token, nonce: 'n' })],
    ];
    const input = Buffer.alloc(300, 'a');
    // The same proof made with jose's SignJWT (WebCrypto), which DpopSigner does not
    // use on this hot path: kept here to show why.
    const withJose = (alg: 'ES256' | 'EdDSA') => {
      const header = { alg, typ: 'dpop+jwt', jwk: { ...signers[alg].publicJwk } };
      const key = alg === 'ES256' ? ec : ed;
      return () =>
        new SignJWT({ jti: randomBytes(16).toString('base64url'), htm: 'GET', htu: `${origin}/api/me`, iat: Math.floor(Date.now() / 1000), ath: 'x'.repeat(43) })
          .setProtectedHeader(header)
          .sign(key);
    };
    const rawCases: Array<[string, () => Promise<unknown>]> = [
      ['ES256 proof + ath with jose SignJWT (comparison)', withJose('ES256')],
      ['EdDSA proof + ath with jose SignJWT (comparison)', withJose('EdDSA')],
      ['node:crypto.sign ES256 of 300 bytes (floor)', async () => nodeSign('sha256', input, { key: ec, dsaEncoding: 'ieee-p1363' })],
      ['node:crypto.sign Ed25519 of 300 bytes (floor)', async () => nodeSign(null, input, ed)],
    ];
    const proofUs = new Map<string, number[]>();
    for (const [, op] of [...proofCases, ...rawCases]) await sequential(QUICK ? 200 : 2000, op); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = [...proofCases, ...rawCases];
      for (let i = 0; i < r % order.length; i++) order.push(order.shift()!);
      for (const [name, op] of order) {
        const [, cpu] = await sequential(proofsPerRound, op);
        proofUs.set(name, [...(proofUs.get(name) ?? []), cpu]);
      }
    }

    // 2. PAR.
    const basic = new ClientAuthenticator(
      validateClientConfig('basic', { clientId: 'bench', clientSecret: 'bench-secret', accessTokenUrl: `${origin}/token`, authorizeUrl: `${origin}/authorize` }),
    );
    const pkjwt = new ClientAuthenticator(
      validateClientConfig('pkjwt', {
        clientId: 'bench',
        tokenEndpointAuthMethod: 'private_key_jwt',
        clientKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
        accessTokenUrl: `${origin}/token`,
        authorizeUrl: `${origin}/authorize`,
      }),
    );
    const post = (auth: ClientAuthenticator): AuthenticatedFormPost => async (url, form, headers) => {
      const h: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers };
      await auth.apply(form, h, origin);
      return providerRequest(url, { method: 'POST', headers: h, body: form.toString(), maxBytes: 1 << 20, what: 'par' }, http);
    };
    const parSigner = signers.ES256;
    // Learn the provider's nonce once, as the first push of a process does.
    await pushAuthorizationRequest({ endpoint: `${origin}/par`, params: params(), send: post(basic), dpop: parSigner });
    const parCases: Array<[string, () => Promise<unknown>]> = [
      [
        'authorization URL only (no PAR)',
        async () => {
          const q = new URLSearchParams(params());
          return `${origin}/authorize?${q.toString()}`;
        },
      ],
      [
        'PAR, client_secret_basic',
        async () => {
          const p = params();
          const pushed = await pushAuthorizationRequest({ endpoint: `${origin}/par`, params: p, send: post(basic) });
          return pushedAuthorizationUrl(`${origin}/authorize`, 'bench', pushed.requestUri);
        },
      ],
      [
        'PAR, private_key_jwt (ES256)',
        async () => {
          const pushed = await pushAuthorizationRequest({ endpoint: `${origin}/par`, params: params(), send: post(pkjwt) });
          return pushedAuthorizationUrl(`${origin}/authorize`, 'bench', pushed.requestUri);
        },
      ],
      [
        'PAR, private_key_jwt + DPoP proof (ES256)',
        async () => {
          const pushed = await pushAuthorizationRequest({ endpoint: `${origin}/par`, params: params(), send: post(pkjwt), dpop: parSigner });
          return pushedAuthorizationUrl(`${origin}/authorize`, 'bench', pushed.requestUri);
        },
      ],
    ];
    const parWall = new Map<string, number[]>();
    const parCpu = new Map<string, number[]>();
    for (const [, op] of parCases) await sequential(QUICK ? 50 : 300, op);
    for (let r = 0; r < rounds; r++) {
      const order = [...parCases];
      for (let i = 0; i < r % order.length; i++) order.push(order.shift()!);
      for (const [name, op] of order) {
        const [wall, cpu] = await sequential(pushesPerRound, op);
        parWall.set(name, [...(parWall.get(name) ?? []), wall]);
        parCpu.set(name, [...(parCpu.get(name) ?? []), cpu]);
      }
    }

    // 3. API calls.
    const api = `${origin}/api/me`;
    const first = await sendWithDpop(signers.ES256, { htm: 'GET', htu: api, accessToken: token }, (proof) => fetch(api, { headers: { authorization: `DPoP ${token}`, dpop: proof } }), { what: 'api' });
    await first.text();
    // The first call of a process met the nonce challenge: two requests. Shown, not timed.
    const fresh = createDpopSigner({ privateKey: ec.export({ format: 'jwk' }) as JWK }, { client: 'bench' })!;
    let firstCallRequests = 0;
    const counted = await sendWithDpop(fresh, { htm: 'GET', htu: api, accessToken: token }, async (proof) => {
      firstCallRequests++;
      return fetch(api, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    }, { what: 'api' });
    await counted.text();
    const apiCases: Array<[string, () => Promise<unknown>]> = [
      ['Bearer (plain fetch)', async () => (await fetch(api, { headers: { authorization: `Bearer ${token}` } })).text()],
      ...(['ES256', 'EdDSA'] as const).map((alg): [string, () => Promise<unknown>] => [
        `DPoP ${alg} (proof + ath per call)`,
        async () => {
          const res = await sendWithDpop(signers[alg], { htm: 'GET', htu: api, accessToken: token }, (proof) => fetch(api, { headers: { authorization: `DPoP ${token}`, dpop: proof } }), { what: 'api' });
          if (isDpopNonceChallenge(res)) throw new Error('unexpected challenge');
          return res.text();
        },
      ]),
    ];
    await sendWithDpop(signers.EdDSA, { htm: 'GET', htu: api, accessToken: token }, (proof) => fetch(api, { headers: { authorization: `DPoP ${token}`, dpop: proof } }), { what: 'api' }).then((r) => r.text());
    const apiRate = new Map<string, number[]>();
    const apiCpu = new Map<string, number[]>();
    for (const [, op] of apiCases) await concurrent(8, QUICK ? 200 : 500, op);
    for (let r = 0; r < rounds; r++) {
      const order = [...apiCases];
      for (let i = 0; i < r % order.length; i++) order.push(order.shift()!);
      for (const [name, op] of order) {
        const [rate, cpu] = await concurrent(8, apiMs, op);
        apiRate.set(name, [...(apiRate.get(name) ?? []), rate]);
        apiCpu.set(name, [...(apiCpu.get(name) ?? []), cpu]);
      }
    }

    // Report.
    const lines: string[] = [];
    lines.push(`# PAR and DPoP: client cost`, '');
    lines.push(
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · Node ${process.version} · ${rounds} interleaved rounds, medians · ${fmt((Date.now() - began) / 1000, 0)} s${QUICK ? ' (BENCH_QUICK smoke run)' : ''}.`,
      '',
    );
    lines.push('## 1. One DPoP proof (CPU µs in the caller)', '', '| what | µs per proof |', '|---|---:|');
    for (const [name] of [...proofCases, ...rawCases]) lines.push(`| ${name} | ${fmt(median(proofUs.get(name)!))} |`);
    lines.push('', '## 2. Starting a login: what PAR adds (one push at a time, loopback keep-alive)', '');
    lines.push('| login start | wall µs | caller CPU µs | wall added | CPU added |', '|---|---:|---:|---:|---:|');
    const base = parCases[0]![0];
    for (const [name] of parCases) {
      const w = median(parWall.get(name)!);
      const c = median(parCpu.get(name)!);
      lines.push(`| ${name} | ${fmt(w)} | ${fmt(c)} | ${fmt(w - median(parWall.get(base)!))} | ${fmt(c - median(parCpu.get(base)!))} |`);
    }
    lines.push('', '## 3. API calls (8 concurrent callers, resource server nonce known)', '');
    lines.push('| call | calls/s | caller CPU µs/call | CPU added vs Bearer |', '|---|---:|---:|---:|');
    const bearer = median(apiCpu.get(apiCases[0]![0])!);
    for (const [name] of apiCases) {
      const c = median(apiCpu.get(name)!);
      lines.push(`| ${name} | ${fmt(median(apiRate.get(name)!), 0)} | ${fmt(c)} | ${fmt(c - bearer)} |`);
    }
    lines.push('', `The first DPoP call of a process to a server that demands a nonce made ${firstCallRequests} requests (challenge, then retry); later calls reuse the nonce: one request each.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopChild(provider);
  }
}

if (process.argv[3] === 'provider') runProvider(Number(process.argv[2] ?? 0));
else
  runBench().catch((err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  });
