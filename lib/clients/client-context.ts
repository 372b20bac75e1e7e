import type { Logger } from '@nestjs/common';
import type { ResolvedClientConfig } from '../config/resolved-client.js';
import type { HttpSettings } from '../http/provider-http.js';
import type { OAuthRefreshCoordinator } from '../refresh/oauth-refresh-coordinator.js';
import type { LogoutEvent } from '../interfaces/logout-event.interface.js';
import type { OAuthToken, TokenUpdateEvent } from '../interfaces/oauth-token.interface.js';
import type { AuthorizeOptions, CallbackOptions, ProtocolClient } from './protocol-client.js';

/**
 * The HTTP side of a login, owned by the login layer. Clients hold it only so the
 * seed's `authorizeRedirect(req, res)` / `authorizeAccessToken(req, res)` work on
 * a client; they hand the request through without looking at it.
 * @internal
 */
export interface HttpLoginPort {
  authorizeRedirect(client: ProtocolClient, req: unknown, res: unknown, opts?: AuthorizeOptions): Promise<void>;
  authorizeAccessToken(client: ProtocolClient, req: unknown, res: unknown, opts?: CallbackOptions): Promise<OAuthToken>;
}

/**
 * What every client gets from the registry: its configuration, shared settings
 * and hooks. Built by the registry only.
 * @internal
 */
export interface ClientContext {
  config: ResolvedClientConfig;
  http: HttpSettings;
  login: HttpLoginPort;
  fetchToken?: (name: string, req: unknown) => Promise<OAuthToken | null | undefined>;
  updateToken?: (event: TokenUpdateEvent) => unknown;
  /** Announces a refresh on `tokenUpdate$`, after `updateToken` resolved. */
  emitTokenUpdate: (event: TokenUpdateEvent) => void;
  /** Announces a valid back-channel logout on `logout$`. */
  emitLogout: (event: LogoutEvent) => void;
  /** Makes a fleet send one refresh per refresh token. */
  refreshCoordinator?: OAuthRefreshCoordinator;
  logger: Logger;
}
