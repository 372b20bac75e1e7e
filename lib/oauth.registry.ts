import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ConfigService } from '@nestjs/config';
import { Subject, type Observable } from 'rxjs';
import { OAuth1Client } from './clients/oauth1/oauth1.client.js';
import { OAuth2Client } from './clients/oauth2/oauth2.client.js';
import type { ClientContext } from './clients/client-context.js';
import { loadClientConfigs, resolveClientConfig, type ConfigReader } from './config/load-client-configs.js';
import { resolveModuleOptions, type ResolvedModuleOptions } from './config/resolve-module-options.js';
import type { ResolvedClientConfig } from './config/resolved-client.js';
import type { OAuthClientConfig } from './interfaces/oauth-client-config.interface.js';
import type { OAuthModuleOptions } from './interfaces/oauth-module-options.interface.js';
import type { TokenUpdateEvent } from './interfaces/oauth-token.interface.js';
import { OAUTH_MODULE_OPTIONS } from './oauth.constants.js';
import { OAuthConfigError } from './oauth.errors.js';
import { BoundStoreBackend } from './state/bound-store.backend.js';
import type { LoginStateBackend } from './state/login-state.backend.js';
import { OAuthStateStore } from './state/oauth-state.store.js';

export type OAuthClient = OAuth1Client | OAuth2Client;

/** Reads process.env when the app has no ConfigService. */
const envReader: ConfigReader = { get: (key) => process.env[key] };

/**
 * The named clients of the application, built from `ConfigService` settings and
 * the module options, validated at bootstrap.
 */
@Injectable()
export class OAuthRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('OAuthModule');
  private readonly clients = new Map<string, OAuthClient>();
  private readonly updates = new Subject<TokenUpdateEvent>();
  private readonly shared: ResolvedModuleOptions;
  private readonly config: ConfigReader;
  /** The state backend in use; replaced once at init when a store provider is found. */
  private state: LoginStateBackend;
  /** What clients hold: forwards to the backend in use. */
  private readonly stateRef: LoginStateBackend = {
    save: (...args) => this.state.save(...args),
    take: (...args) => this.state.take(...args),
  };
  private readonly storeChosen: boolean;

  /**
   * Emits once per refresh (automatic or explicit, and per client-credentials
   * re-fetch), after `updateToken` resolved.
   */
  readonly tokenUpdate$: Observable<TokenUpdateEvent> = this.updates.asObservable();

  constructor(
    @Inject(OAUTH_MODULE_OPTIONS) options: OAuthModuleOptions,
    @Optional() @Inject(ConfigService) configService?: ConfigService,
    @Optional() @Inject(OAuthStateStore) providedStore?: OAuthStateStore,
    @Optional() @Inject(ModuleRef) private readonly moduleRef?: ModuleRef,
  ) {
    this.config = configService ? { get: (key) => configService.get(key) } : envReader;
    this.storeChosen = options?.stateStore !== undefined || providedStore != null;
    this.shared = resolveModuleOptions(options ?? {}, this.config, this.logger, providedStore ?? undefined);
    this.state = this.shared.state;
    for (const [name, config] of loadClientConfigs(this.config, options?.clients ?? {})) {
      this.clients.set(name, this.create(config));
    }
  }

  /** The client `name`; an unknown name throws `OAuthConfigError`. */
  get(name: string): OAuthClient {
    const client = this.clients.get(name);
    if (!client) {
      const known = [...this.clients.keys()];
      throw new OAuthConfigError(
        `No OAuth client named "${name}"; configured: ${known.length ? known.join(', ') : 'none'} (see OAUTH_CLIENTS).`,
        { client: name },
      );
    }
    return client;
  }

  has(name: string): boolean {
    return this.clients.has(name);
  }

  names(): string[] {
    return [...this.clients.keys()];
  }

  /** Adds a client at run time; a duplicate name throws unless `replace: true`. */
  register(name: string, config: OAuthClientConfig, opts: { replace?: boolean } = {}): OAuthClient {
    if (this.clients.has(name) && !opts.replace) {
      throw new OAuthConfigError(`An OAuth client named "${name}" exists; pass { replace: true } to replace it.`, { client: name });
    }
    const client = this.create(resolveClientConfig(name, config, this.config));
    this.clients.set(name, client);
    return client;
  }

  unregister(name: string): boolean {
    return this.clients.delete(name);
  }

  /**
   * An `OAuthStateStore` provider declared anywhere in the app (not only where this
   * module can see it) is used when the options name no store: otherwise a store
   * meant for a fleet would be ignored without a word, and logins would quietly
   * fall back to per-process cookies.
   */
  onModuleInit(): void {
    if (this.storeChosen || !this.moduleRef) return;
    let store: unknown;
    try {
      store = this.moduleRef.get(OAuthStateStore, { strict: false });
    } catch {
      return;
    }
    if (store instanceof OAuthStateStore || (store && typeof (store as OAuthStateStore).take === 'function')) {
      this.state = new BoundStoreBackend(store as OAuthStateStore);
      this.logger.log(`Login state is kept in the OAuthStateStore provider (${(store as object).constructor.name}).`);
    }
  }

  onApplicationShutdown(): void {
    this.updates.complete();
  }

  private create(config: ResolvedClientConfig): OAuthClient {
    const ctx: ClientContext = {
      config,
      http: this.shared.http,
      state: this.stateRef,
      stateTtl: this.shared.stateTtl,
      ...(this.shared.fetchToken ? { fetchToken: this.shared.fetchToken } : {}),
      ...(this.shared.updateToken ? { updateToken: this.shared.updateToken } : {}),
      emitTokenUpdate: (event) => this.updates.next(event),
      logger: this.logger,
    };
    return config.kind === 'oauth1' ? new OAuth1Client(ctx) : new OAuth2Client(ctx);
  }
}
