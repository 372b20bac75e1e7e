/**
 * A fast OpenID provider for the benchmarks: nothing but what a login needs, so the
 * contenders, not the provider, are what is measured. Counts requests per endpoint.
 * Run as a child process: prints `READY <port>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
const counts: Record<string, number> = {};
const codes = new Map<string, { nonce?: string; challenge?: string; redirectUri: string; clientId: string }>();
const refreshTokens = new Set<string>();
const reusableRefreshTokens = new Set<string>();
let issuer = '';

async function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  if (!url.pathname.startsWith('/__')) counts[url.pathname] = (counts[url.pathname] ?? 0) + 1;
  switch (url.pathname) {
    case '/.well-known/openid-configuration':
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        authorization_response_iss_parameter_supported: true,
      });
    case '/jwks':
      return json(res, 200, { keys: [jwk] });
    case '/authorize': {
      const p = url.searchParams;
      const code = randomBytes(16).toString('base64url');
      codes.set(code, {
        ...(p.get('nonce') ? { nonce: p.get('nonce')! } : {}),
        ...(p.get('code_challenge') ? { challenge: p.get('code_challenge')! } : {}),
        redirectUri: p.get('redirect_uri') ?? '',
        clientId: p.get('client_id') ?? '',
      });
      const back = new URLSearchParams({ code, iss: issuer });
      if (p.has('state')) back.set('state', p.get('state')!);
      res.writeHead(302, { location: `${p.get('redirect_uri')}?${back}` });
      return res.end();
    }
    case '/token': {
      const form = new URLSearchParams(await readBody(req));
      const now = Math.floor(Date.now() / 1000);
      if (form.get('grant_type') === 'refresh_token') {
        const rt = form.get('refresh_token') ?? '';
        const accessToken = randomBytes(16).toString('base64url');
        // A reusable refresh token (no rotation) answers every use the same way.
        if (reusableRefreshTokens.has(rt)) return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 });
        // Rotation: each refresh token works once (RFC 9700 4.14.2).
        if (!refreshTokens.delete(rt)) return json(res, 400, { error: 'invalid_grant' });
        const next = randomBytes(16).toString('base64url');
        refreshTokens.add(next);
        return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: next });
      }
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!grant) return json(res, 400, { error: 'invalid_grant' });
      if (grant.challenge && createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') !== grant.challenge) {
        return json(res, 400, { error: 'invalid_grant' });
      }
      const accessToken = randomBytes(16).toString('base64url');
      const refreshToken = randomBytes(16).toString('base64url');
      refreshTokens.add(refreshToken);
      const idToken = await new SignJWT({ ...(grant.nonce ? { nonce: grant.nonce } : {}), name: 'Bench User' })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
        .setIssuer(issuer)
        .setSubject('bench-user')
        .setAudience(grant.clientId || 'bench-client')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);
      return json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, id_token: idToken, scope: 'openid profile' });
    }
    case '/userinfo':
    case '/api/me':
      return json(res, 200, { sub: 'bench-user', name: 'Bench User' });
    case '/__stats':
      return json(res, 200, counts);
    case '/__reset':
      for (const k of Object.keys(counts)) delete counts[k];
      return json(res, 200, {});
    case '/__cpu': {
      const { user, system } = process.cpuUsage();
      return json(res, 200, { cpu: user + system });
    }
    case '/__refresh-token': {
      const rt = randomBytes(16).toString('base64url');
      (url.searchParams.has('reusable') ? reusableRefreshTokens : refreshTokens).add(rt);
      return json(res, 200, { refresh_token: rt });
    }
    default:
      return json(res, 404, { error: 'not_found' });
  }
});
server.keepAliveTimeout = 30_000;
// New TCP connections count too: a client that does not reuse them costs the provider more.
server.on('connection', () => {
  counts['connections'] = (counts['connections'] ?? 0) + 1;
});
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`READY ${(server.address() as AddressInfo).port}`);
});
