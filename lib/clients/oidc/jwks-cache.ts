import { importJWK, type JWK, type CryptoKey, type KeyObject } from 'jose';
import { DEFAULTS } from '../../oauth.constants.js';
import { OAuthResponseError } from '../../errors/oauth.error.js';
import { expectSuccess, parseJsonObject, providerRequest, type HttpSettings } from '../../http/provider-http.js';
import { SingleFlight } from '../../http/single-flight.js';

export type VerifyKey = CryptoKey | KeyObject | Uint8Array;

interface CachedKey {
  jwk: JWK;
  imported: Map<string, Promise<VerifyKey>>;
}

/** Key types each JWS algorithm family verifies with (RFC 7518 section 3.1, RFC 8037). */
function ktyFor(alg: string): string | undefined {
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return 'RSA';
  if (/^ES(256|384|512|256K)$/.test(alg)) return 'EC';
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'OKP';
  return undefined;
}

const CRV_FOR_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', ES256K: 'secp256k1' };

/**
 * The provider's signing keys. Fetched once and shared; an unknown `kid` may force
 * one refetch (key rotation), after which further refetches wait out a cooldown so
 * a stream of tokens with random `kid`s cannot turn us into a request amplifier.
 */
export class JwksCache {
  private keys?: CachedKey[];
  private fetchedAt = 0;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  private readonly flight = new SingleFlight<CachedKey[]>();

  constructor(
    private readonly url: () => Promise<string>,
    private readonly http: () => HttpSettings,
    private readonly cooldownMs: number = DEFAULTS.jwksCooldown,
    private readonly ttlMs: number = DEFAULTS.jwksTtl,
  ) {}

  /** Refetch now (or after the cooldown when `force` is false and keys are fresh). */
  async refresh(force = false): Promise<JWK[]> {
    if (force || !this.keys || Date.now() - this.fetchedAt >= this.ttlMs) {
      await this.load();
    }
    return (this.keys ?? []).map((k) => k.jwk);
  }

  /**
   * Candidate keys for a JWS header. With a `kid`, the keys of that id; without one,
   * every key of the right type (the caller tries each). Keys that cannot be
   * imported (an RSA key without `n`, an EC key without `x`, a value that is not
   * base64url) are left out, not fatal: RFC 7517 section 5 has a JWK Set user ignore
   * what it cannot use, and one broken key must not hide the valid one beside it.
   */
  async candidates(alg: string, kid: string | undefined): Promise<VerifyKey[]> {
    let loadedNow = false;
    if (!this.keys || Date.now() - this.fetchedAt >= this.ttlMs) {
      await this.load();
      loadedNow = true;
    }
    let usable = await this.usable(alg, kid);
    if (usable.length === 0 && !loadedNow && Date.now() - this.lastForcedAt >= this.cooldownMs) {
      this.lastForcedAt = Date.now();
      await this.load();
      usable = await this.usable(alg, kid);
    }
    return usable;
  }

  private async usable(alg: string, kid: string | undefined): Promise<VerifyKey[]> {
    const settled = await Promise.allSettled(this.match(alg, kid).map((k) => this.importKey(k, alg)));
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  private match(alg: string, kid: string | undefined): CachedKey[] {
    const kty = ktyFor(alg);
    if (!kty) return [];
    return (this.keys ?? []).filter(({ jwk }) => {
      if (jwk.kty !== kty) return false;
      if (kid !== undefined && jwk.kid !== kid) return false;
      // RFC 7517 4.2/4.3: a key for encryption only must not verify signatures.
      if (jwk.use !== undefined && jwk.use !== 'sig') return false;
      if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return false;
      if (jwk.alg !== undefined && jwk.alg !== alg) return false;
      if (kty === 'EC' && CRV_FOR_ALG[alg] !== jwk.crv) return false;
      if (kty === 'OKP' && jwk.crv !== 'Ed25519') return false;
      return true;
    });
  }

  private importKey(key: CachedKey, alg: string): Promise<VerifyKey> {
    let imported = key.imported.get(alg);
    if (!imported) {
      // Only the public members: a JWKS that leaks private parts must not make us sign.
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = key.jwk;
      imported = importJWK(pub, alg) as Promise<VerifyKey>;
      imported.catch(() => key.imported.delete(alg));
      key.imported.set(alg, imported);
    }
    return imported;
  }

  private async load(): Promise<void> {
    await this.flight.run(async () => {
      const url = await this.url();
      const what = 'JWKS endpoint';
      const res = await providerRequest(
        url,
        { headers: { accept: 'application/jwk-set+json, application/json' }, maxBytes: DEFAULTS.maxMetadataBytes, what },
        this.http(),
      );
      expectSuccess(res, what);
      const doc = parseJsonObject(res, what);
      if (!Array.isArray(doc.keys)) {
        throw new OAuthResponseError('invalid_response', 'The JWKS endpoint answered JSON without a "keys" list.');
      }
      // Keys of unknown types or shapes are skipped, not fatal (RFC 7517 section 5).
      const keys = doc.keys
        .filter((k): k is JWK => k !== null && typeof k === 'object' && typeof (k as JWK).kty === 'string')
        .map((jwk) => ({ jwk, imported: new Map<string, Promise<VerifyKey>>() }));
      this.keys = keys;
      this.fetchedAt = Date.now();
      return keys;
    });
  }
}
