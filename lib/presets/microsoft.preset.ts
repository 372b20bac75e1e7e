import { OAuthValidationError } from '../errors/oauth.error.js';
import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { flag, normaliseOpenIdClaims } from './user-claims.js';

/** Microsoft Entra ID's own options. */
export interface MicrosoftPresetOptions {
  /**
   * `common` (work, school and personal accounts; default), `organizations`,
   * `consumers`, or a tenant ID (a GUID).
   */
  tenant?: string;
  /** Tenant IDs whose users may log in; others are refused even if Microsoft signs them in. */
  allowedTenants?: readonly string[];
}

const LOGIN = 'https://login.microsoftonline.com';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The tenant of personal Microsoft accounts; the `consumers` discovery document names it. */
export const MICROSOFT_CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

/**
 * Microsoft Entra ID (v2.0 endpoints). The multi-tenant discovery documents name the
 * issuer `…/{tenantid}/v2.0`: each ID token's issuer is that template filled with
 * its own `tid`, and `allowedTenants` limits which `tid` may log in. Its `email`
 * claim is not verified by Microsoft, so `email_verified` is set only from
 * `xms_edov` (the domain owner verified it).
 */
export const microsoftPreset: PresetDefinition<MicrosoftPresetOptions> = {
  name: 'microsoft',
  options: { tenant: 'string', allowedTenants: 'strings' },
  required: [],
  check({ tenant, allowedTenants }) {
    if (tenant !== undefined && !['common', 'organizations', 'consumers'].includes(tenant) && !GUID.test(tenant)) {
      return {
        field: 'tenant',
        message: 'needs tenant as common, organizations, consumers or a tenant ID (a GUID, not a domain name: discovery names the issuer by ID).',
      };
    }
    if (allowedTenants?.some((t) => !GUID.test(t))) {
      return { field: 'allowedTenants', message: 'needs allowedTenants as tenant IDs (GUIDs).' };
    }
    return undefined;
  },
  build({ tenant = 'common', allowedTenants }): PresetClientConfig {
    const multi = tenant === 'common' || tenant === 'organizations';
    const issuer = multi
      ? `${LOGIN}/{tenantid}/v2.0`
      : `${LOGIN}/${tenant === 'consumers' ? MICROSOFT_CONSUMERS_TENANT : tenant.toLowerCase()}/v2.0`;
    const allowed = allowedTenants?.map((t) => t.toLowerCase());
    return {
      serverMetadataUrl: `${LOGIN}/${tenant}/v2.0/.well-known/openid-configuration`,
      issuer,
      scope: 'openid profile email offline_access',
      apiBaseUrl: 'https://graph.microsoft.com/v1.0/',
      hooks: {
        idTokenIssuer(claims, configured) {
          const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
          if (tid === undefined || !GUID.test(tid)) {
            throw new OAuthValidationError('invalid_id_token', 'The Microsoft ID token has no tenant ID (tid).');
          }
          if (allowed && !allowed.includes(tid)) {
            throw new OAuthValidationError('invalid_id_token', 'The Microsoft account belongs to a tenant that is not in allowedTenants.');
          }
          if (tenant === 'organizations' && tid === MICROSOFT_CONSUMERS_TENANT) {
            throw new OAuthValidationError('invalid_id_token', 'A personal Microsoft account cannot log in to an "organizations" client.');
          }
          // The template stands for every tenant; this token answers for its own.
          return configured.includes('{tenantid}') ? configured.replace('{tenantid}', tid) : configured;
        },
        userinfo: (raw) =>
          normaliseOpenIdClaims(raw, {
            email_verified: flag(raw.xms_edov) === true ? true : undefined,
          }),
      },
    };
  },
};

/** `providers.microsoft(options)`. */
export function microsoft(options: PresetOptions<MicrosoftPresetOptions> = {}): PresetClientConfig {
  return applyPreset(microsoftPreset, options);
}
