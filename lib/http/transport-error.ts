import { OAuthTransportError } from '../errors/oauth.error.js';

/**
 * The one mapping of a failed request (fetch threw, or undici reported an error) to a coded error.
 *
 * The original error is never kept as `cause`: fetch quotes an invalid header value
 * in its message, and that value can be a token (a CR/LF in an `access_token` makes
 * the `Authorization` header invalid). Nest's default handler prints the cause
 * chain, so only the system error code (`ECONNRESET`, …) travels on.
 */
export function transportError(err: unknown, timedOut: boolean, what: string, timeoutMs: number): OAuthTransportError {
  if (timedOut) {
    return new OAuthTransportError('timeout', `The ${what} did not answer within ${timeoutMs} ms.`, { cause: redacted(err) });
  }
  if (wasNeverSent(err)) {
    return new OAuthTransportError('provider_unavailable', `The request to the ${what} could not be built (an invalid URL or header value); nothing was sent.`);
  }
  return new OAuthTransportError('provider_unavailable', `The ${what} could not be reached (connection refused, reset or closed).`, {
    cause: redacted(err),
  });
}

/**
 * fetch rejects a request it cannot build with a TypeError that has no network
 * cause; undici with an `InvalidArgumentError` (an invalid header value, method or path).
 */
function wasNeverSent(err: unknown): boolean {
  if (err instanceof Error && (err as { code?: unknown }).code === 'UND_ERR_INVALID_ARG') return true;
  return err instanceof TypeError && !(err.cause instanceof Error) && !/fetch failed/i.test(err.message);
}

function systemCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return undefined;
}

function redacted(err: unknown): Error {
  const code = systemCode(err);
  const out = new Error(code ? `transport failure: ${code}` : 'transport failure');
  if (code) (out as Error & { code?: string }).code = code;
  return out;
}
