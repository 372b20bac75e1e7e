import { OAuthError, OAuthHookError } from '../errors/oauth.error.js';
import { safeText } from '../errors/safe-text.js';

/** Extension points that only check and hand nothing back (a preset's extra ID-token checks). */
const CHECK_ONLY = new Set(['idTokenClaims']);

/**
 * Runs one compliance hook. A hook that throws fails the call with `hook_failed`
 * (502), its message kept (escaped and cut: it may echo provider text) and the
 * error attached as cause; an `OAuthError` it throws on purpose (a preset refusing
 * a tenant, say) is kept as it is.
 */
export async function runHook<T>(client: string, name: string, call: () => T | Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await call();
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new OAuthHookError('hook_failed', `The ${name} hook of OAuth client "${client}" failed: ${safeText(message, 300)}`, { cause: err });
  }
  // A hook in plain JavaScript that changes its argument and forgets to return it
  // would otherwise end in a TypeError far from the hook (a 500 that names nothing).
  if ((result === undefined || result === null) && !CHECK_ONLY.has(name)) {
    throw new OAuthHookError('hook_failed', `The ${name} hook of OAuth client "${client}" returned nothing; a hook returns what it was given, changed.`);
  }
  return result;
}
