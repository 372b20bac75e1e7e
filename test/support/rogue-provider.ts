/**
 * An OpenID provider that misbehaves on request, for what no real provider does:
 * forged or malformed ID tokens, wrong issuers, broken token bodies. Each test sets
 * `scenario` hooks; everything else answers like a correct provider (discovery,
 * JWKS, authorize with PKCE, token, userinfo), and every request is logged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface RogueRequest {
  method: string;
  path: string;
  at: number;
}

export interface IssuedToken {
  header: Record<string, unknown>;
  claims: JWTPayload & Record<string, unknown>;
}

/** How an endpoint fails: no answer, a reset connection, a 503, or a 200 MB body. */
export type RogueFault = 'hang' | 'reset' | '5xx' | 'huge';

export interface RogueScenario {
  /** Faults by path (see ROGUE_PATHS). */
  faults?: Partial<Record<string, RogueFault>>;
  /** Change a refreshed ID token (grant_type=refresh_token) before signing. */
  refreshIdToken?(token: IssuedToken): void;
  /** Change the discovery document. */
  discovery?(doc: Record<string, unknown>): Record<string, unknown>;
  /** Change the published keys. */
  jwks?(keys: JWK[]): JWK[];
  /** Change the callback parameters sent back to the client. */
  callback?(params: URLSearchParams): void;
  /** Change the ID token header and claims before signing. */
  idToken?(token: IssuedToken): void;
  /** Replace the signed ID token (after signing), e.g. to alter bytes. */
  idTokenJwt?(jwt: string, keys: RogueKeys): Promise<string> | string;
  /** Replace the token response entirely. */
  tokenResponse?(body: Record<string, unknown>): { status: number; body: string; headers?: Record<string, string> };
  /** Change the userinfo answer. */
  userinfo?(claims: Record<string, unknown>): Record<string, unknown>;
  /** Sign with this algorithm (RS256 default, ES256). */
  alg?: 'RS256' | 'ES256';
}

export interface RogueKeys {
  rsa: { privateKey: CryptoKey; publicJwk: JWK; publicPem: string };
  ec: { privateKey: CryptoKey; publicJwk: JWK };
}

export interface RogueProvider {
  issuer: string;
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  keys: RogueKeys;
  scenario: RogueScenario;
  requests: RogueRequest[];
  /** Requests to `path` since `since` (an index into `requests`). */
  count(path: string, since?: number): number;
  /** Rotate the RSA signing key to a new key id. */
  rotateKey(): Promise<void>;
  close(): Promise<void>;
}

interface PendingCode {
  redirectUri: string;
  nonce?: string;
  codeChallenge?: string;
  scope: string;
}

/** Streams up to 200 MB of JSON-ish filler until the client goes away. */
function streamHuge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < 200 * 1024 * 1024) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('error', () => undefined);
  pump();
}

export const ROGUE_PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  authorize: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
} as const;

async function rsaKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

export async function startRogueProvider(): Promise<RogueProvider> {
  let rsa = await rsaKey('rsa-1');
  const ecPair = await generateKeyPair('ES256', { extractable: true });
  const ec = { privateKey: ecPair.privateKey, publicJwk: { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' } };
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Set<string>();
  const requests: RogueRequest[] = [];
  const clientId = 'rogue-client';
  const clientSecret = 'rogue-secret-0123456789';

  const rogue: RogueProvider = {
    issuer: '',
    discoveryUrl: '',
    clientId,
    clientSecret,
    get keys() {
      return { rsa, ec };
    },
    scenario: {},
    requests,
    count: (path, since = 0) => requests.slice(since).filter((r) => r.path === path).length,
    rotateKey: async () => {
      rsa = await rsaKey(`rsa-${randomBytes(4).toString('hex')}`);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });

  const refreshTokens = new Map<string, PendingCode>();

  const issueIdToken = async (code: PendingCode, accessToken: string, refresh = false): Promise<string> => {
    const s = rogue.scenario;
    const alg = s.alg ?? 'RS256';
    const now = Math.floor(Date.now() / 1000);
    const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
    const token: IssuedToken = {
      header: { alg, kid: alg === 'RS256' ? rsa.publicJwk.kid : ec.publicJwk.kid, typ: 'JWT' },
      claims: { iss: rogue.issuer, sub: 'user-1', aud: clientId, exp: now + 300, iat: now, at_hash: atHash, ...(code.nonce ? { nonce: code.nonce } : {}), name: 'Rogue User' },
    };
    if (refresh) {
      delete token.claims.nonce;
      s.refreshIdToken?.(token);
    } else {
      s.idToken?.(token);
    }
    const key = alg === 'RS256' ? rsa.privateKey : ec.privateKey;
    const header = { ...token.header } as { alg: string } & Record<string, unknown>;
    let jwt = await new SignJWT(token.claims).setProtectedHeader(header).sign(key);
    if (s.idTokenJwt) jwt = await s.idTokenJwt(jwt, rogue.keys);
    return jwt;
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', rogue.issuer);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, at: Date.now() });
    const s = rogue.scenario;
    const fault = s.faults?.[url.pathname];
    if (fault === 'hang') return;
    if (fault === 'reset') return req.socket.destroy();
    if (fault === '5xx') return send(res, 503, '<html>Service Unavailable</html>', { 'content-type': 'text/html' });
    if (fault === 'huge') return streamHuge(res);
    try {
      switch (url.pathname) {
        case ROGUE_PATHS.discovery: {
          let doc: Record<string, unknown> = {
            issuer: rogue.issuer,
            authorization_endpoint: rogue.issuer + ROGUE_PATHS.authorize,
            token_endpoint: rogue.issuer + ROGUE_PATHS.token,
            userinfo_endpoint: rogue.issuer + ROGUE_PATHS.userinfo,
            jwks_uri: rogue.issuer + ROGUE_PATHS.jwks,
            id_token_signing_alg_values_supported: ['RS256', 'ES256'],
            authorization_response_iss_parameter_supported: true,
            response_types_supported: ['code'],
          };
          if (s.discovery) doc = s.discovery(doc);
          return send(res, 200, doc);
        }
        case ROGUE_PATHS.jwks: {
          let keys: JWK[] = [rsa.publicJwk, ec.publicJwk];
          if (s.jwks) keys = s.jwks(keys);
          return send(res, 200, { keys });
        }
        case ROGUE_PATHS.authorize: {
          const p = url.searchParams;
          const code = randomBytes(16).toString('base64url');
          codes.set(code, {
            redirectUri: p.get('redirect_uri') ?? '',
            nonce: p.get('nonce') ?? undefined,
            codeChallenge: p.get('code_challenge') ?? undefined,
            scope: p.get('scope') ?? '',
          });
          const back = new URLSearchParams({ code, state: p.get('state') ?? '', iss: rogue.issuer });
          s.callback?.(back);
          res.writeHead(302, { location: `${p.get('redirect_uri')}?${back.toString()}` });
          return res.end();
        }
        case ROGUE_PATHS.token: {
          const form = new URLSearchParams(await readBody(req));
          if (form.get('grant_type') === 'refresh_token') {
            const grant = refreshTokens.get(form.get('refresh_token') ?? '');
            if (!grant) return send(res, 400, { error: 'invalid_grant' });
            const accessToken = randomBytes(24).toString('base64url');
            accessTokens.add(accessToken);
            return send(res, 200, {
              access_token: accessToken,
              token_type: 'Bearer',
              expires_in: 3600,
              ...(grant.scope.split(' ').includes('openid') ? { id_token: await issueIdToken(grant, accessToken, true) } : {}),
            });
          }
          const code = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          if (!code) return send(res, 400, { error: 'invalid_grant' });
          const verifier = form.get('code_verifier') ?? '';
          if (code.codeChallenge && createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
            return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          }
          if (form.get('redirect_uri') !== code.redirectUri) return send(res, 400, { error: 'invalid_grant' });
          const accessToken = randomBytes(24).toString('base64url');
          accessTokens.add(accessToken);
          const refreshToken = randomBytes(24).toString('base64url');
          refreshTokens.set(refreshToken, code);
          const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: code.scope, refresh_token: refreshToken };
          if (code.scope.split(' ').includes('openid')) body.id_token = await issueIdToken(code, accessToken);
          if (s.tokenResponse) {
            const custom = s.tokenResponse(body);
            return send(res, custom.status, custom.body, custom.headers);
          }
          return send(res, 200, body);
        }
        case ROGUE_PATHS.userinfo: {
          const auth = req.headers.authorization ?? '';
          if (!accessTokens.has(auth.replace(/^Bearer /, ''))) return send(res, 401, { error: 'invalid_token' });
          let claims: Record<string, unknown> = { sub: 'user-1', name: 'Rogue User' };
          if (s.userinfo) claims = s.userinfo(claims);
          return send(res, 200, claims);
        }
        default:
          return send(res, 404, { error: 'not_found' });
      }
    } catch (err) {
      return send(res, 500, { error: 'server_error', error_description: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rogue.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rogue.discoveryUrl = rogue.issuer + ROGUE_PATHS.discovery;
  return rogue;
}
