import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { ClientContext } from './clients/client-context.js';
import { OAuth1Client } from './clients/oauth1/oauth1.client.js';
import { OAuth2Client } from './clients/oauth2/oauth2.client.js';
import { loadClientConfigs, resolveClientConfig } from './config/load-client-configs.js';
import type { ResolvedModuleOptions } from './config/resolve-module-options.js';
import type { ResolvedClientConfig } from './config/resolved-client.js';
import { OAuthConfigError, OAuthError, OAuthUsageError } from './errors/oauth.error.js';
import { ResolvedClients } from './registry/resolved-clients.js';
import type { OAuthClientConfig } from './interfaces/oauth-client-config.interface.js';
import type { OAuthModuleOptions } from './interfaces/oauth-module-options.interface.js';
import type { LogoutEvent } from './interfaces/logout-event.interface.js';
import type { TokenUpdateEvent } from './interfaces/oauth-token.interface.js';
import { safeText } from './errors/safe-text.js';
import { IsolatedObservable } from './events/isolated-observable.js';
import { OAuthLoginService } from './login/oauth-login.service.js';
import { OAUTH_MODULE_OPTIONS, OAUTH_RESOLVED_OPTIONS } from './oauth.constants.js';

/** Either kind of client. */
export type OAuthClient = OAuth1Client | OAuth2Client;

/**
 * The named clients of the application, built from `ConfigService` settings and
 * the module options and validated at bootstrap, and the event streams.
 */
@Injectable()
export class OAuthRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('OAuthModule');
  private readonly clients = new Map<string, OAuthClient>();
  private readonly updates = new Subject<TokenUpdateEvent>();
  private readonly resolved: ResolvedClients<OAuthClient>;

  /**
   * Emits once per refresh (automatic or explicit, and per client-credentials
   * re-fetch), after `updateToken` resolved.
   */
  readonly tokenUpdate$: Observable<TokenUpdateEvent> = IsolatedObservable.of(this.updates.asObservable(), (err) => this.subscriberFailed('tokenUpdate$', err));

  private readonly logouts = new Subject<LogoutEvent>();

  /**
   * Emits each valid back-channel logout (OpenID Back-Channel Logout 1.0), received
   * by `OAuthLogoutGuard` or passed to `verifyLogoutToken`: end the app's sessions
   * of its `sid`, or of its `sub` when it has no `sid`.
   */
  readonly logout$: Observable<LogoutEvent> = IsolatedObservable.of(this.logouts.asObservable(), (err) => this.subscriberFailed('logout$', err));

  constructor(
    @Inject(OAUTH_MODULE_OPTIONS) options: OAuthModuleOptions,
    @Inject(OAUTH_RESOLVED_OPTIONS) private readonly shared: ResolvedModuleOptions,
    @Inject(OAuthLoginService) private readonly login: OAuthLoginService,
  ) {
    this.resolved = new ResolvedClients(shared.maxResolvedClients, shared.resolvedClientTtl * 1000);
    for (const [name, config] of loadClientConfigs(shared.settings, options?.clients ?? {})) {
      this.clients.set(name, this.create(config));
    }
  }

  /**
   * The client `name`; `registry.get<OAuth2Client>('google')` types it.
   * @throws OAuthConfigError for an unknown name.
   */
  get<C extends OAuthClient = OAuthClient>(name: string): C {
    const client = this.clients.get(name);
    if (!client) {
      const known = [...this.clients.keys()];
      throw new OAuthConfigError(
        `No OAuth client named "${safeText(name, 64)}"; configured: ${known.length ? known.join(', ') : 'none'} (see OAUTH_CLIENTS).`,
        { client: name },
      );
    }
    return client as C;
  }

  /**
   * The client `name`: a registered one, else one built from `resolveClient` (cached,
   * LRU-bounded, for `resolvedClientTtl`; concurrent first calls share one resolution).
   * @throws OAuthUsageError `unknown_client` when neither knows the name; OAuthConfigError
   * when the resolver's answer is not a valid configuration.
   */
  async resolve<C extends OAuthClient = OAuthClient>(name: string): Promise<C> {
    const registered = this.clients.get(name);
    if (registered) return registered as C;
    const resolver = this.shared.resolveClient;
    if (!resolver) {
      throw new OAuthUsageError('unknown_client', `No OAuth client named "${safeText(name, 64)}" is registered, and no resolveClient is configured.`);
    }
    return (await this.resolved.get(name, async () => {
      let config: OAuthClientConfig | undefined;
      try {
        config = await resolver(name);
      } catch (cause) {
        // The resolver's own coded error says why (a preset refusing a tenant): kept as it is.
        if (cause instanceof OAuthError) throw cause;
        throw new OAuthConfigError(`resolveClient failed for the OAuth client "${safeText(name, 64)}".`, { client: name, field: 'resolveClient', cause });
      }
      if (config === undefined || config === null) {
        throw new OAuthUsageError('unknown_client', `No OAuth client named "${safeText(name, 64)}".`);
      }
      return this.create(resolveClientConfig(name, config, this.shared.settings));
    })) as C;
  }

  /**
   * @internal The client a guarded request names: registered, else resolved when a
   * `resolveClient` is configured (404 `unknown_client` for a name it does not know);
   * without one an unknown name is a misconfiguration (500 `invalid_config`).
   */
  forRequest(name: string): OAuthClient | Promise<OAuthClient> {
    const registered = this.clients.get(name);
    if (registered) return registered;
    if (this.shared.resolveClient) return this.resolve(name);
    // The name may come from the request (`OAuthGuard((req) => …)`): escaped, and
    // the configured clients are not listed to whoever asks.
    throw new OAuthConfigError(`No OAuth client named "${safeText(name, 64)}" (see OAUTH_CLIENTS).`, { client: name });
  }

  /** Whether a client of that name is registered. */
  has(name: string): boolean {
    return this.clients.has(name);
  }

  /** The registered names. */
  names(): string[] {
    return [...this.clients.keys()];
  }

  /**
   * Adds a client at run time, validated like settings.
   * @throws OAuthConfigError for a bad configuration, or a duplicate name without `replace: true`.
   */
  register(name: string, config: OAuthClientConfig, opts: { replace?: boolean } = {}): OAuthClient {
    if (this.clients.has(name) && !opts.replace) {
      throw new OAuthConfigError(`An OAuth client named "${name}" exists; pass { replace: true } to replace it.`, { client: name });
    }
    const client = this.create(resolveClientConfig(name, config, this.shared.settings));
    this.clients.set(name, client);
    return client;
  }

  /** Removes a client; `false` when there was none. */
  unregister(name: string): boolean {
    return this.clients.delete(name) || this.resolved.delete(name);
  }

  /** A subscriber threw: logged; the call, other subscribers and the process go on. */
  private subscriberFailed(stream: string, err: unknown): void {
    const what = err instanceof Error ? `${err.name}: ${safeText(err.message, 200)}` : typeof err;
    this.logger.error(`A ${stream} subscriber threw (${what}); the call and the other subscribers went on.`);
  }

  onApplicationShutdown(): void {
    this.updates.complete();
    this.logouts.complete();
  }

  private create(config: ResolvedClientConfig): OAuthClient {
    const ctx: ClientContext = {
      config,
      http: this.shared.http,
      login: this.login,
      ...(this.shared.fetchToken ? { fetchToken: this.shared.fetchToken } : {}),
      ...(this.shared.updateToken ? { updateToken: this.shared.updateToken } : {}),
      emitTokenUpdate: (event) => this.updates.next(event),
      emitLogout: (event) => this.logouts.next(event),
      ...(this.shared.refreshCoordinator ? { refreshCoordinator: this.shared.refreshCoordinator } : {}),
      logger: this.logger,
    };
    return config.kind === 'oauth1' ? new OAuth1Client(ctx) : new OAuth2Client(ctx);
  }
}
