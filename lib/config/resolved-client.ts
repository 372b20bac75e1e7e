import type { OAuthPresetHooks } from '../interfaces/oauth-preset-hooks.interface.js';
import type {
  OAuth1SignatureMethod,
  OAuth1SignatureType,
  OAuthClientConfig,
  TokenEndpointAuthMethod,
} from '../interfaces/oauth-client-config.interface.js';

/** A validated, frozen client configuration with every default applied. */
export interface ResolvedClientConfig
  extends Readonly<
    Omit<
      OAuthClientConfig,
      | 'scope'
      | 'tokenEndpointAuthMethod'
      | 'codeChallengeMethod'
      | 'signatureMethod'
      | 'signatureType'
      | 'leeway'
      | 'refreshLeeway'
      | 'clientId'
      | 'hooks'
    >
  > {
  readonly name: string;
  readonly kind: 'oauth1' | 'oauth2';
  readonly clientId: string;
  /** Space-separated, as sent. */
  readonly scope?: string;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly codeChallengeMethod: 'S256' | false;
  readonly signatureMethod: OAuth1SignatureMethod;
  readonly signatureType: OAuth1SignatureType;
  readonly leeway: number;
  readonly refreshLeeway: number;
  /** The client's hooks, a preset's already bound to this configuration. */
  readonly hooks?: OAuthPresetHooks;
}
