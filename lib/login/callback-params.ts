import { OAuthValidationError } from '../errors/oauth.error.js';
import { safeName } from '../errors/safe-text.js';
import type { CallbackParams } from '../clients/protocol-client.js';
import { DEFAULTS } from '../oauth.constants.js';
import { requestForm, requestQuery, type PlatformRequest } from './http-platform.js';

const parsed = new WeakMap<object, CallbackParams>();

/**
 * The parameters of a callback: the query plus a `form_post` body, every value
 * per name. Parsed once per request (the guard asks "is it a callback?" and then
 * completes it), and an oversized value is refused before anything acts on it.
 */
export function callbackParams(req: PlatformRequest): CallbackParams {
  let params = parsed.get(req);
  if (!params) {
    params = parse(req);
    parsed.set(req, params);
  }
  return params;
}

/** Parameters given by the caller of `authorizeAccessToken` instead of the request's. */
export function givenParams(params: Record<string, string>): CallbackParams {
  return new Map(Object.entries(params).map(([k, v]) => [k, [v]]));
}

function parse(req: PlatformRequest): CallbackParams {
  const params = requestQuery(req);
  for (const [k, v] of requestForm(req)) {
    const list = params.get(k);
    if (list) list.push(...v);
    else params.set(k, [...v]);
  }
  for (const [k, values] of params) {
    for (const v of values) {
      if (v.length > DEFAULTS.maxParamLength) {
        throw new OAuthValidationError('invalid_request', `The callback parameter "${safeName(k, 40)}" is too long.`);
      }
    }
  }
  return params;
}
