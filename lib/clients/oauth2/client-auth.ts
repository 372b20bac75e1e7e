import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK, importPKCS8, type JWK, type CryptoKey, type KeyObject } from 'jose';
import { OAuthConfigError } from '../../errors/oauth.error.js';
import type { ResolvedClientConfig } from '../../config/resolved-client.js';

/** RFC 6749 section 2.3.1: id and secret are form-urlencoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

type SigningKey = { key: CryptoKey | KeyObject | Uint8Array; alg: string; kid?: string };

/**
 * Adds the client's authentication to a token-endpoint style request
 * (token, refresh, revocation, introspection).
 */
export class ClientAuthenticator {
  private signingKey?: Promise<SigningKey>;

  constructor(private readonly config: ResolvedClientConfig) {}

  async apply(
    body: URLSearchParams,
    headers: Record<string, string>,
    audience: string,
  ): Promise<void> {
    const c = this.config;
    switch (c.tokenEndpointAuthMethod) {
      case 'client_secret_basic':
        headers.authorization =
          'Basic ' + Buffer.from(`${formEncode(c.clientId)}:${formEncode(c.clientSecret ?? '')}`).toString('base64');
        return;
      case 'client_secret_post':
        body.set('client_id', c.clientId);
        body.set('client_secret', c.clientSecret ?? '');
        return;
      case 'client_secret_jwt':
      case 'private_key_jwt': {
        const { key, alg, kid } = await this.key();
        const now = Math.floor(Date.now() / 1000);
        // RFC 7523 section 3: iss = sub = client_id, aud the authorization server;
        // a unique jti and a short life keep an intercepted assertion from replaying.
        const assertion = await new SignJWT({})
          .setProtectedHeader(kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid })
          .setIssuer(c.clientId)
          .setSubject(c.clientId)
          .setAudience(audience)
          .setJti(randomUUID())
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .sign(key);
        body.set('client_id', c.clientId);
        body.set('client_assertion_type', ASSERTION_TYPE);
        body.set('client_assertion', assertion);
        return;
      }
      case 'none':
        body.set('client_id', c.clientId);
        return;
    }
  }

  private key(): Promise<SigningKey> {
    this.signingKey ??= this.loadKey();
    return this.signingKey;
  }

  private async loadKey(): Promise<SigningKey> {
    const c = this.config;
    if (c.tokenEndpointAuthMethod === 'client_secret_jwt') {
      return { key: new TextEncoder().encode(c.clientSecret ?? ''), alg: 'HS256' };
    }
    try {
      let raw = c.clientKey;
      if (typeof raw === 'string' && raw.trim().startsWith('{')) raw = JSON.parse(raw) as Record<string, unknown>;
      if (typeof raw === 'string') {
        return { key: await importPKCS8(raw, 'RS256'), alg: 'RS256' };
      }
      const jwk = raw as JWK;
      const alg = jwk.alg ?? (jwk.kty === 'EC' ? ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[jwk.crv ?? ''] ?? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256');
      return { key: (await importJWK(jwk, alg)) as CryptoKey | KeyObject, alg, ...(jwk.kid === undefined ? {} : { kid: jwk.kid }) };
    } catch (cause) {
      throw new OAuthConfigError(`OAuth client "${c.name}": clientKey cannot be used as a private signing key.`, {
        client: c.name,
        field: 'clientKey',
        cause,
      });
    }
  }
}
