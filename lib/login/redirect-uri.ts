import { requestOrigin, requestUrlWithoutQuery, type PlatformRequest } from './http-platform.js';

/**
 * The redirect URI of a login: an absolute one as given; a path resolved against
 * the request's origin (which honours the platform's trust-proxy setting); none
 * configured, the guarded route's own URL without its query.
 */
export function resolveRedirectUri(req: PlatformRequest, configured: string | undefined): string {
  if (configured !== undefined && /^https?:\/\//i.test(configured)) return configured;
  if (configured !== undefined) return new URL(configured, requestOrigin(req)).toString();
  return requestUrlWithoutQuery(req);
}
