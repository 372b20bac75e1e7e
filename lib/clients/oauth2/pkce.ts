import { createHash } from 'node:crypto';
import { randomBytesFromPool } from '../../http/random-pool.js';

/** 256 random bits, base64url: state, nonce and PKCE verifier (43 characters). */
export function randomToken(): string {
  return randomBytesFromPool(32).toString('base64url');
}

/** RFC 7636 section 4.2: S256 challenge of a verifier. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
