import { OAuthConfigError } from '../errors/oauth.error.js';

/** The one error for an endpoint a call needs and the client does not know. */
export function missingEndpoint(client: string, what: string, field: string): OAuthConfigError {
  return new OAuthConfigError(`OAuth client "${client}" has no ${what}: set ${field} or serverMetadataUrl.`, { client, field });
}
