import { createPrivateKey } from 'node:crypto';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { ProviderRequest } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset, bindableHooks } from './preset-config.js';
import { formBody } from './provider-answer.js';
import type { OAuthPresetHooks, PresetClientConfig, PresetClientInfo, PresetDefinition, PresetOptions } from './preset.types.js';
import { flag, joinNames, normaliseUser, objectAt, text } from './user-claims.js';

/** Sign in with Apple's own options: the key Apple issued for the client secret. */
export interface ApplePresetOptions {
  /** The Apple Developer team ID (the client secret's `iss`). */
  teamId: string;
  /** The ID of the Sign in with Apple key (the client secret's `kid`). */
  keyId: string;
  /** The key's `.p8` file: a PKCS#8 PEM of a P-256 private key. */
  privateKey: string;
  /** Lifetime of each minted client secret in seconds; default 300, at most 15777000 (Apple's limit). */
  clientSecretTtl?: number;
}

/** The audience Apple requires in a client secret, whatever host the endpoints are on. */
export const APPLE_AUDIENCE = 'https://appleid.apple.com';
const MAX_SECRET_TTL = 15_777_000;
const RENEW_BEFORE = 60;

/**
 * Sign in with Apple. The client secret is an ES256 JWT (iss team ID, sub client ID,
 * aud `https://appleid.apple.com`, kid key ID), minted when needed and renewed before
 * it expires, sent in the body (Apple takes no Basic auth). Apple answers with
 * `response_mode=form_post` when name or email is asked for, sends the user's name
 * only in the first callback's `user` field, and has no userinfo endpoint.
 */
export const applePreset: PresetDefinition<ApplePresetOptions> = {
  name: 'apple',
  options: { teamId: 'string', keyId: 'string', privateKey: 'pem', clientSecretTtl: 'number' },
  required: ['teamId', 'keyId', 'privateKey'],
  check({ privateKey, clientSecretTtl }) {
    try {
      const key = createPrivateKey(privateKey);
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        return { field: 'privateKey', message: 'needs privateKey as a P-256 (ES256) key, as Apple issues them.' };
      }
    } catch {
      return { field: 'privateKey', message: 'needs privateKey as a readable PKCS#8 PEM (the .p8 file Apple gives).' };
    }
    if (clientSecretTtl !== undefined && clientSecretTtl > MAX_SECRET_TTL) {
      return { field: 'clientSecretTtl', message: `needs clientSecretTtl of at most ${MAX_SECRET_TTL} seconds (Apple refuses longer).` };
    }
    return undefined;
  },
  build(own): PresetClientConfig {
    const minter = new AppleClientSecret(own);
    return {
      serverMetadataUrl: 'https://appleid.apple.com/.well-known/openid-configuration',
      scope: 'openid name email',
      authorizeParams: { response_mode: 'form_post' },
      // The client secret is added by the hooks below: on the wire this is
      // client_secret_post with a secret that changes as it is renewed.
      tokenEndpointAuthMethod: 'none',
      codeChallengeMethod: false,
      fetchUserinfo: true,
      hooks: bindableHooks((client) => appleHooks(client, minter)),
    };
  },
};

/** `providers.apple(options)`: `teamId`, `keyId` and `privateKey` are required. */
export function apple(options: PresetOptions<ApplePresetOptions>): PresetClientConfig {
  return applyPreset(applePreset, options);
}

/** Mints the client-secret JWT and reuses it until shortly before it expires. */
export class AppleClientSecret {
  private key?: Promise<CryptoKey>;
  private current?: { clientId: string; expiresAt: number; jwt: Promise<string> };

  constructor(private readonly own: ApplePresetOptions) {}

  /** A client secret for `clientId`, valid for at least another minute. */
  get(clientId: string, now = Math.floor(Date.now() / 1000)): Promise<string> {
    const c = this.current;
    if (c && c.clientId === clientId && c.expiresAt - RENEW_BEFORE > now) return c.jwt;
    const ttl = this.own.clientSecretTtl ?? 300;
    const jwt = this.mint(clientId, now, ttl);
    this.current = { clientId, expiresAt: now + ttl, jwt };
    // A failed mint is not kept: the next request tries again.
    jwt.catch(() => {
      if (this.current?.jwt === jwt) this.current = undefined;
    });
    return jwt;
  }

  private async mint(clientId: string, now: number, ttl: number): Promise<string> {
    this.key ??= importPKCS8(this.own.privateKey, 'ES256');
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.own.keyId })
      .setIssuer(this.own.teamId)
      .setSubject(clientId)
      .setAudience(APPLE_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(await this.key);
  }
}

function appleHooks(client: Partial<PresetClientInfo>, minter: AppleClientSecret): OAuthPresetHooks {
  const withSecret = async (req: ProviderRequest): Promise<ProviderRequest> => {
    const body = formBody(req);
    const clientId = client.clientId ?? body.get('client_id') ?? '';
    body.set('client_id', clientId);
    body.set('client_secret', await minter.get(clientId));
    req.body = body;
    return req;
  };
  return {
    accessTokenRequest: withSecret,
    refreshTokenRequest: withSecret,
    revokeTokenRequest: withSecret,
    async profile(ctx) {
      const raw: Record<string, unknown> = { ...(ctx.claims ?? {}) };
      const posted = ctx.callbackParams?.get('user');
      if (posted?.length === 1) {
        // The `user` field is not signed; the callback's state binds it to this
        // browser's own login, so at worst a user misnames themself. Only the name is
        // taken from it; the email comes from the signed ID token.
        try {
          const user = objectAt(JSON.parse(posted[0]!) as unknown);
          if (user) raw.user = user;
        } catch {
          // A malformed field is ignored: the ID token still identifies the user.
        }
      }
      return raw;
    },
    userinfo(raw) {
      const name = objectAt(objectAt(raw.user)?.name);
      return normaliseUser(raw, {
        sub: raw.sub,
        name: joinNames(name?.firstName, name?.lastName),
        given_name: text(name?.firstName),
        family_name: text(name?.lastName),
        email: raw.email,
        email_verified: flag(raw.email_verified),
      });
    },
  };
}
