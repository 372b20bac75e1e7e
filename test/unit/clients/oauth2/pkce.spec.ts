import { describe, expect, it } from 'vitest';
import { randomToken, s256Challenge } from '../../../../lib/clients/oauth2/pkce.js';

describe('PKCE', () => {
  it('RFC 7636 appendix B: the S256 challenge of the example verifier', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('verifiers, states and nonces are 43 characters of fresh randomness', () => {
    const seen = new Set(Array.from({ length: 1000 }, randomToken));
    expect(seen.size).toBe(1000);
    for (const v of seen) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
