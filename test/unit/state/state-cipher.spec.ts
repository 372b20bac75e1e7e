import { compactDecrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { decryptState, deriveStateKey, encryptState } from '../../../lib/state/state-cipher.js';

describe('the state cookie format', () => {
  it('is a standard compact JWE (dir, A256GCM) that jose decrypts with the derived key', async () => {
    const key = deriveStateKey('s'.repeat(32));
    const jwe = encryptState('{"hello":"world"}', key);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, new Uint8Array(key));
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM' });
    expect(new TextDecoder().decode(plaintext)).toBe('{"hello":"world"}');
    expect(decryptState(jwe, key)).toBe('{"hello":"world"}');
    expect(decryptState(jwe, deriveStateKey('t'.repeat(32)))).toBeUndefined();
    // Every encryption uses a fresh IV.
    expect(encryptState('x', key).split('.')[2]).not.toBe(encryptState('x', key).split('.')[2]);
  });
});
