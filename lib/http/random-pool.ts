import { randomFillSync } from 'node:crypto';

// Fresh CSPRNG bytes handed out from a pool refilled in 4 KB blocks: each login
// needs state, nonce, verifier and an IV, and one kernel call for many logins is
// far cheaper than four small ones per login. Every byte is used once.
const POOL_SIZE = 4096;
let pool = Buffer.allocUnsafe(0);
let offset = 0;

export function randomBytesFromPool(size: number): Buffer {
  if (size > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  // A copy, so a caller cannot see or change bytes handed to anyone else.
  const out = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
