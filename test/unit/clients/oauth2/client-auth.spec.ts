import { describe, expect, it } from 'vitest';
import { ClientAuthenticator } from '../../../../lib/clients/oauth2/client-auth.js';
import { validateClientConfig } from '../../../../lib/config/validate-client.js';

describe('client authentication', () => {
  it('client_secret_basic form-urlencodes id and secret before Base64 (RFC 6749 2.3.1)', async () => {
    const config = validateClientConfig('c', { clientId: 'my client:1', clientSecret: 'p@ss word/+=', accessTokenUrl: 'https://op.example/token' });
    const headers: Record<string, string> = {};
    const body = new URLSearchParams();
    await new ClientAuthenticator(config).apply(body, headers, 'https://op.example');
    expect(Buffer.from(headers.authorization!.slice('Basic '.length), 'base64').toString()).toBe('my+client%3A1:p%40ss+word%2F%2B%3D');
    expect(body.toString()).toBe('');
  });

  it('client_secret_post and none put credentials in the body', async () => {
    const post = validateClientConfig('c', { clientId: 'id', clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post', accessTokenUrl: 'https://op.example/token' });
    const headers: Record<string, string> = {};
    const body = new URLSearchParams();
    await new ClientAuthenticator(post).apply(body, headers, 'https://op.example');
    expect(headers).toEqual({});
    expect(body.toString()).toBe('client_id=id&client_secret=s');
    const none = validateClientConfig('c', { clientId: 'id', accessTokenUrl: 'https://op.example/token' });
    const b2 = new URLSearchParams();
    await new ClientAuthenticator(none).apply(b2, {}, 'https://op.example');
    expect(b2.toString()).toBe('client_id=id');
  });

  it('client_secret_jwt: iss = sub = client_id, aud the issuer as one string, unique jti, short life', async () => {
    const config = validateClientConfig('c', { clientId: 'id', clientSecret: 'k'.repeat(32), tokenEndpointAuthMethod: 'client_secret_jwt', accessTokenUrl: 'https://op.example/token' });
    const auth = new ClientAuthenticator(config);
    const claims = [];
    for (let i = 0; i < 2; i++) {
      const body = new URLSearchParams();
      await auth.apply(body, {}, 'https://op.example');
      expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      claims.push(JSON.parse(Buffer.from(body.get('client_assertion')!.split('.')[1]!, 'base64url').toString()) as Record<string, number | string>);
    }
    expect(claims[0]).toMatchObject({ iss: 'id', sub: 'id', aud: 'https://op.example' });
    expect(claims[0]!.jti).not.toBe(claims[1]!.jti);
    expect(Number(claims[0]!.exp) - Number(claims[0]!.iat)).toBeLessThanOrEqual(300);
  });
});
