/**
 * A protected resource server that accepts DPoP-bound tokens only (RFC 9449
 * section 7), on a free loopback port. Written from the RFC, it imports nothing from
 * lib/. For every request it checks, in this order:
 *
 * 1. `Authorization: DPoP <token>` (a `Bearer` presentation is refused: section 7.2,
 *    a bound token must not be downgraded) and exactly one `DPoP` header;
 * 2. the proof: `typ` `dpop+jwt`, ES256 or EdDSA, signature by its embedded public
 *    `jwk` (no private members), `htm` equal to the method, `htu` equal to this
 *    server's URL of the path without query (section 4.3), `ath` equal to the token's
 *    hash, a `jti` never seen before (replay, section 11.1), `iat` within the window
 *    (section 11.1) unless a nonce vouches for freshness;
 * 3. the nonce, when demanded: the current one, else 401 with
 *    `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` (section 9);
 * 4. the token, by introspection at the provider (RFC 7662): active, and its
 *    `cnf.jkt` equal to the thumbprint of the proof's key (section 6).
 *
 * Failures answer 401 with a DPoP challenge (`invalid_dpop_proof`, `invalid_token`);
 * success answers 200 with what was checked. Every request and its outcome is kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK, type JWTPayload } from 'jose';

export interface DpopResourceServerOptions {
  /** The provider's introspection endpoint. */
  introspectionUrl: string;
  /** The resource server's own client at the provider (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** Demand a nonce in every proof (default true). */
  requireNonce?: boolean;
  /** Accepted distance of `iat` from now, in seconds (default 60). */
  iatWindow?: number;
}

/** What happened to one request. */
export type DpopOutcome =
  | 'ok'
  | 'use_dpop_nonce'
  | `invalid_dpop_proof: ${string}`
  | `invalid_token: ${string}`;

export interface DpopResourceRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  outcome: DpopOutcome;
  /** The proof's claims, once its signature was verified. */
  proof?: JWTPayload;
}

/** The 200 answer. */
export interface DpopResourceAnswer {
  method: string;
  url: string;
  sub?: string;
  client_id?: string;
  jkt: string;
  nonce?: string;
}

export interface DpopResourceServer {
  origin: string;
  readonly received: DpopResourceRequest[];
  /** The nonce proofs must carry now. */
  readonly nonce: string;
  /** Demand a nonce (may be switched at run time). */
  requireNonce: boolean;
  /** Challenge every request with a fresh nonce, whatever it carries (a broken server). */
  alwaysChallenge: boolean;
  /** Hand out the next nonce in each 200 answer's `DPoP-Nonce` (section 8.2 rotation). */
  rotateOnSuccess: boolean;
  /** Replaces the nonce: proofs with the old one are challenged. */
  rotateNonce(): string;
  /** Outcomes since `from` (an index into `received`). */
  outcomesSince(from: number): DpopOutcome[];
  close(): Promise<void>;
}

const ALGS = ['ES256', 'EdDSA'];
const freshNonce = () => randomBytes(24).toString('base64url');

export async function startDpopResourceServer(opts: DpopResourceServerOptions): Promise<DpopResourceServer> {
  const received: DpopResourceRequest[] = [];
  const seenJti = new Map<string, number>();
  const window = opts.iatWindow ?? 60;
  const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64');
  let origin = '';

  const introspect = async (token: string): Promise<Record<string, unknown>> => {
    const res = await fetch(opts.introspectionUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (res.status !== 200) throw new Error(`introspection answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  const state: DpopResourceServer = {
    origin: '',
    received,
    nonce: freshNonce(),
    requireNonce: opts.requireNonce ?? true,
    alwaysChallenge: false,
    rotateOnSuccess: false,
    rotateNonce() {
      (state as { nonce: string }).nonce = freshNonce();
      return state.nonce;
    },
    outcomesSince(from) {
      return received.slice(from).map((r) => r.outcome);
    },
    close: async () => undefined,
  };

  type Verdict = { status: 200; body: DpopResourceAnswer; proof: JWTPayload } | { status: 401; outcome: DpopOutcome; proof?: JWTPayload };

  const check = async (method: string, url: string, headers: IncomingHttpHeaders): Promise<Verdict> => {
    const authorization = headers.authorization ?? '';
    const scheme = /^(\S+) (\S+)$/.exec(authorization);
    if (!scheme) return { status: 401, outcome: 'invalid_token: no credentials' };
    if (scheme[1]!.toLowerCase() !== 'dpop') return { status: 401, outcome: `invalid_token: ${scheme[1]} scheme, DPoP required` };
    const token = scheme[2]!;
    const raw = headers.dpop;
    if (typeof raw !== 'string' || raw === '' || raw.includes(',')) return { status: 401, outcome: 'invalid_dpop_proof: not exactly one DPoP header' };

    let payload: JWTPayload;
    let jwk: JWK;
    try {
      const verified = await jwtVerify(raw, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ALGS });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as JWK;
    } catch (err) {
      return { status: 401, outcome: `invalid_dpop_proof: ${err instanceof Error ? err.message : String(err)}` };
    }
    const fail = (why: string): Verdict => ({ status: 401, outcome: `invalid_dpop_proof: ${why}`, proof: payload });
    if ('d' in jwk) return fail('private key in header');
    if (payload.htm !== method) return fail('htm');
    const path = url.split('?')[0]!;
    if (payload.htu !== `${origin}${path}`) return fail('htu');
    if (payload.ath !== createHash('sha256').update(token, 'ascii').digest('base64url')) return fail('ath');
    if (typeof payload.jti !== 'string' || payload.jti === '') return fail('jti');
    if (seenJti.has(payload.jti)) return fail('jti replay');
    seenJti.set(payload.jti, Date.now());
    if (typeof payload.iat !== 'number') return fail('iat');
    const now = Math.floor(Date.now() / 1000);
    if (payload.nonce === undefined && Math.abs(now - payload.iat) > window) return fail('iat outside the window');

    if (state.alwaysChallenge) {
      state.rotateNonce();
      return { status: 401, outcome: 'use_dpop_nonce', proof: payload };
    }
    if (state.requireNonce && payload.nonce !== state.nonce) return { status: 401, outcome: 'use_dpop_nonce', proof: payload };

    const introspected = await introspect(token);
    if (introspected.active !== true) return { status: 401, outcome: 'invalid_token: inactive', proof: payload };
    const cnf = introspected.cnf as { jkt?: unknown } | undefined;
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    if (cnf?.jkt !== thumbprint) return { status: 401, outcome: 'invalid_token: cnf.jkt differs from the proof key', proof: payload };
    return {
      status: 200,
      proof: payload,
      body: {
        method,
        url,
        jkt: thumbprint,
        ...(typeof introspected.sub === 'string' ? { sub: introspected.sub } : {}),
        ...(typeof introspected.client_id === 'string' ? { client_id: introspected.client_id } : {}),
        ...(typeof payload.nonce === 'string' ? { nonce: payload.nonce } : {}),
      },
    };
  };

  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const record: DpopResourceRequest = { method, url, headers: req.headers, outcome: 'ok' };
      received.push(record);
      check(method, url, req.headers).then(
        (verdict) => {
          if (verdict.proof) record.proof = verdict.proof;
          if (verdict.status === 200) {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (state.rotateOnSuccess) headers['dpop-nonce'] = state.rotateNonce();
            res.writeHead(200, headers);
            res.end(JSON.stringify(verdict.body));
            return;
          }
          record.outcome = verdict.outcome;
          const error = verdict.outcome.split(':')[0]!;
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'www-authenticate': `DPoP error="${error}", algs="${ALGS.join(' ')}"`,
          };
          if (error === 'use_dpop_nonce') headers['dpop-nonce'] = state.nonce;
          res.writeHead(401, headers);
          res.end(JSON.stringify({ error }));
        },
        (err: unknown) => {
          record.outcome = `invalid_token: ${err instanceof Error ? err.message : String(err)}`;
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'server_error' }));
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.origin = origin;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
