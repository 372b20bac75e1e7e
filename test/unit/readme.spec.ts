/**
 * The README keeps up with the code: its errors table lists every library code with
 * the status the guard answers, and "Coming from Authlib" names every Authlib
 * setting the loader reads or refuses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTHLIB_ALIASES, AUTHLIB_KWARGS, AUTHLIB_WITHOUT_MEANING } from '../../lib/config/client-fields.js';
import { statusOfCode } from '../../lib/errors/error-codes.js';
import type { OAuthLibraryErrorCode } from '../../lib/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The text of one `## ` section of the README. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

// Complete by type: a code added to the library without a row here fails to compile.
const CODES: Record<OAuthLibraryErrorCode, true> = {
  invalid_config: true,
  invalid_url: true,
  missing_token: true,
  token_expired: true,
  unknown_client: true,
  logout_not_supported: true,
  invalid_request: true,
  mismatching_state: true,
  invalid_issuer: true,
  missing_verifier: true,
  invalid_userinfo: true,
  invalid_id_token: true,
  invalid_logout_token: true,
  invalid_response: true,
  invalid_server_metadata: true,
  invalid_token_response: true,
  response_too_large: true,
  invalid_dpop_nonce: true,
  provider_unavailable: true,
  timeout: true,
  state_store_unavailable: true,
  token_update_failed: true,
  hook_failed: true,
  server_error: true,
  refresh_failed: true,
};

describe('README', () => {
  const rows = new Map<string, number>();
  for (const m of section('Errors').matchAll(/^\| `([a-z_]+)` \| (?:[a-z ]+ \| )?(\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));

  it.each(Object.keys(CODES))('the errors table lists %s with the status the guard answers', (code) => {
    expect(rows.get(code)).toBe(statusOfCode(code));
  });

  it('the errors table lists no code the library does not have', () => {
    expect([...rows.keys()].filter((code) => !(code in CODES))).toEqual([]);
  });

  it("'Coming from Authlib' names every Authlib setting the loader reads under another name or unit, and every one it refuses", () => {
    const text = section('Coming from Authlib');
    const named = [...Object.keys(AUTHLIB_ALIASES), ...Object.keys(AUTHLIB_KWARGS), ...Object.keys(AUTHLIB_WITHOUT_MEANING)];
    expect(named.filter((key) => !text.includes(`\`${key}\``) && !text.includes(`.${key}\``) && !text.includes(`.${key}\`:`))).toEqual([]);
  });
});
