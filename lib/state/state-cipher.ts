import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { randomBytesFromPool } from '../http/random-pool.js';

// RFC 7516 compact JWE with "dir" key management and A256GCM content encryption,
// done with node:crypto directly: the login redirect is a hot path and WebCrypto's
// async key handling cost more than the cipher itself. The output is a standard
// JWE (any JOSE library decrypts it with the same key).
const HEADER = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM' })).toString('base64url');
const AAD = Buffer.from(HEADER, 'ascii');

/** Derives the 256-bit cookie key of a secret (HKDF-SHA256, bound to this purpose). */
export function deriveStateKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'nestjs-oauth-client', 'login state cookie v1', 32));
}

export function encryptState(plaintext: string, key: Buffer): string {
  const iv = randomBytesFromPool(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${HEADER}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** The plaintext, or `undefined` when the value is not a JWE of `key` (forged, stale, other key). */
export function decryptState(jwe: string, key: Buffer): string | undefined {
  const parts = jwe.split('.');
  if (parts.length !== 5 || parts[0] !== HEADER || parts[1] !== '') return undefined;
  const iv = Buffer.from(parts[2]!, 'base64url');
  const tag = Buffer.from(parts[4]!, 'base64url');
  if (iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(AAD);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
