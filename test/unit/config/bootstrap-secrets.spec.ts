/**
 * Audit item 9: a malformed OAUTH_CLIENTS (or a flat JSON key) failed bootstrap with
 * a `cause` whose V8 message quoted the text around the error, part of a secret
 * included. The error now says where (character, client) and quotes nothing; a
 * malformed clientKey fails at bootstrap, not at the first token request.
 */
import { describe, expect, it } from 'vitest';
import { loadClientConfigs } from '../../../lib/config/load-client-configs.js';
import { OAuthConfigError } from '../../../lib/index.js';

const SECRET = 'ghs_S3CR3T_do_not_print';

function chain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e instanceof Error && i < 10; e = e.cause, i++) parts.push(`${e.message} ${e.stack ?? ''}`);
  return parts.join('\n');
}

function bootError(values: Record<string, unknown>, code: Record<string, Record<string, unknown>> = {}): OAuthConfigError {
  try {
    loadClientConfigs({ get: (k) => values[k] }, code);
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthConfigError);
    return err as OAuthConfigError;
  }
  throw new Error('bootstrap did not fail');
}

describe('bootstrap errors never quote configuration text', () => {
  it('malformed OAUTH_CLIENTS: the character and the client, no text, no cause', () => {
    const text = `{"github":{"clientId":"id","clientSecret":${SECRET},"authorizeUrl":"https://a.example/a"}}`;
    const err = bootError({ OAUTH_CLIENTS: text });
    expect(err.message).toBe(
      `OAUTH_CLIENTS is not valid JSON (at character ${text.indexOf(SECRET) + 1}, in client "github"); it must be an object keyed by client name.`,
    );
    expect(err.cause).toBeUndefined();
    expect(chain(err).includes('S3CR3T')).toBe(false);
  });

  it('a malformed flat JSON key: where, not what', () => {
    const err = bootError(
      { OAUTH_CLIENTS: { op: { clientId: 'id', accessTokenUrl: 'https://a.example/t', authorizeUrl: 'https://a.example/a' } }, OAUTH_OP_AUTHORIZE_PARAMS: `{"x":${SECRET}}` },
    );
    expect(err.message).toBe('OAuth client "op": OAUTH_OP_AUTHORIZE_PARAMS is not valid JSON (at character 6).');
    expect(chain(err).includes('S3CR3T')).toBe(false);
  });

  it('a malformed clientKey fails at bootstrap, quoting nothing', () => {
    const base = { clientId: 'id', accessTokenUrl: 'https://a.example/t', authorizeUrl: 'https://a.example/a', tokenEndpointAuthMethod: 'private_key_jwt' };
    for (const clientKey of [`{"kty":"EC","d":${SECRET}}`, `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----`, { kty: 'EC', d: SECRET }]) {
      const err = bootError({}, { op: { ...base, clientKey } });
      expect(err.field).toBe('clientKey');
      expect(chain(err).includes('S3CR3T')).toBe(false);
    }
  });
});
