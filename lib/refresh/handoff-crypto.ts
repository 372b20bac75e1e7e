import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { randomBytesFromPool } from '../http/random-pool.js';

/** The two keys one state secret gives the refresh coordinator. */
export interface HandoffKeys {
  /** HMAC-SHA256 key naming entries after refresh tokens. */
  readonly hashKey: Buffer;
  /** AES-256-GCM key of the entries' values. */
  readonly encKey: Buffer;
}

const SALT = 'nestjs-oauth-client';
const VERSION = 'v1';

/**
 * Derives the coordinator's keys from a state secret (HKDF-SHA256). The info
 * strings differ from the state cookie's, so a value from one purpose never opens
 * under the other, and knowing one derived key tells nothing about the others.
 */
export function deriveHandoffKeys(secret: string): HandoffKeys {
  return {
    hashKey: Buffer.from(hkdfSync('sha256', secret, SALT, 'refresh coordinator key hash v1', 32)),
    encKey: Buffer.from(hkdfSync('sha256', secret, SALT, 'refresh coordinator handoff v1', 32)),
  };
}

/**
 * The name of a refresh token in shared storage. Keyed, so whoever reads the
 * storage cannot confirm a guessed or leaked token against it (a plain hash would
 * allow that for providers whose refresh tokens are short or structured).
 */
export function refreshTokenDigest(hashKey: Buffer, client: string, refreshToken: string): string {
  // Length-prefixed, so no (client, token) pair can be shifted into another.
  return createHmac('sha256', hashKey).update(`${client.length}:${client}:${refreshToken}`, 'utf8').digest('base64url');
}

/**
 * AES-256-GCM with a fresh 96-bit IV. `aad` binds the value to the entry it was
 * written for: a value copied to another refresh token's entry (or from a failure
 * record to a token record) fails to open.
 */
export function sealHandoff(plaintext: string, encKey: Buffer, aad: string): string {
  const iv = randomBytesFromPool(12);
  const cipher = createCipheriv('aes-256-gcm', encKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** The plaintext, or `undefined` when `value` was not sealed with this key for this `aad`. */
export function openHandoff(value: string, encKey: Buffer, aad: string): string | undefined {
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
  const iv = Buffer.from(parts[1]!, 'base64url');
  const tag = Buffer.from(parts[3]!, 'base64url');
  if (iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', encKey, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(parts[2]!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
