import { OAuthConfigError, OAuthValidationError } from '../errors/oauth.error.js';
import { DEFAULTS } from '../oauth.constants.js';
import { headerValue, requestForm, type PlatformRequest } from './http-platform.js';

const FORM_TYPE = 'application/x-www-form-urlencoded';

function refuse(message: string): never {
  throw new OAuthValidationError('invalid_request', message);
}

/**
 * The `logout_token` of a back-channel logout request (OpenID Back-Channel Logout
 * 1.0 section 2.5): a POST with an `application/x-www-form-urlencoded` body holding
 * exactly one `logout_token`. Anything else (a JSON or empty body, another content
 * type, a body over `DEFAULTS.maxLogoutBodyBytes`) is refused before any token
 * check runs. The body is the one the platform's parser read (Nest parses forms by
 * default on Express and Fastify).
 * @throws OAuthValidationError `invalid_request`; OAuthConfigError when a form
 * body arrived but no parser read it.
 */
export function readLogoutToken(req: PlatformRequest): string {
  if (req.method !== 'POST') refuse('A back-channel logout request is a POST.');
  const type = headerValue(req.headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) refuse(`A back-channel logout request has an ${FORM_TYPE} body.`);

  const max = DEFAULTS.maxLogoutBodyBytes;
  const declared = headerValue(req.headers['content-length']);
  if (declared !== undefined && !(Number(declared) <= max)) refuse(`The back-channel logout request body is over ${max} bytes.`);

  const body = req.body;
  if (body === undefined || body === null) {
    const hasBody = (declared !== undefined && Number(declared) > 0) || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) refuse('The back-channel logout request has an empty body.');
    throw new OAuthConfigError(
      `A back-channel logout request arrived with a form body that no body parser read; keep Nest's body parser on (the default) or register one for ${FORM_TYPE}.`,
    );
  }
  const form = requestForm(Buffer.isBuffer(body) ? { method: 'POST', headers: req.headers, body: body.toString('utf8') } : req);
  let size = 0;
  for (const [k, values] of form) for (const v of values) size += k.length + v.length + 2;
  if (size > max) refuse(`The back-channel logout request body is over ${max} bytes.`);

  const tokens = form.get('logout_token');
  if (tokens === undefined || tokens.length === 0) refuse('The back-channel logout request has no logout_token.');
  if (tokens.length > 1) refuse('The back-channel logout request has more than one logout_token.');
  const token = tokens[0]!;
  // requestForm marks a nested value (an "extended" parser's object) with U+0000.
  if (token.includes('\u0000')) refuse('The logout_token of the back-channel logout request is not a string.');
  if (token === '') refuse('The logout_token of the back-channel logout request is empty.');
  return token;
}
