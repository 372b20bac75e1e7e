import { describe, expect, it } from 'vitest';
import { tokenHash } from '../../../../lib/clients/oidc/id-token.validator.js';

describe('tokenHash', () => {
  it('at_hash is the left half of the hash of the token (OIDC Core 3.1.3.6)', () => {
    // OIDC Core appendix A.3's access token and at_hash.
    expect(tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });
});
