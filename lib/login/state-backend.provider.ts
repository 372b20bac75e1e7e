import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isStateStore, type ResolvedModuleOptions } from '../config/resolve-module-options.js';
import { OAUTH_RESOLVED_OPTIONS } from '../oauth.constants.js';
import { MemoryStateStore } from '../state/memory-state.store.js';
import { OAuthStateStore } from '../state/oauth-state.store.js';
import { BoundStoreBackend } from './bound-store.backend.js';
import { CookieStateBackend } from './cookie-state.backend.js';
import type { PlatformRequest, PlatformResponse } from './http-platform.js';
import type { LoginStateBackend, PendingLogin, SaveOptions, TakeOptions } from './login-state.backend.js';
import { SessionStateBackend } from './session-state.backend.js';

/**
 * Where pending logins live, decided here and nowhere else: the store the options
 * name; else an `OAuthStateStore` provider declared anywhere in the app (a store
 * meant for a fleet must not be ignored without a word because this module could
 * not see it, which would quietly fall back to per-process cookies); else the
 * encrypted cookie. The app-wide look-up waits for module init, when every
 * provider of the app exists.
 */
@Injectable()
export class OAuthStateBackend implements LoginStateBackend, OnModuleInit {
  private readonly logger = new Logger('OAuthModule');
  private backend: LoginStateBackend;

  constructor(
    @Inject(OAUTH_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {
    this.backend = backendFor(options.stateStore ?? 'cookie', options.stateSecrets);
  }

  onModuleInit(): void {
    if (this.options.stateStore !== undefined) return;
    let store: unknown;
    try {
      store = this.moduleRef.get(OAuthStateStore, { strict: false });
    } catch {
      return;
    }
    if (isStateStore(store)) {
      this.backend = new BoundStoreBackend(store);
      this.logger.log(`Login state is kept in the OAuthStateStore provider (${store.constructor.name}).`);
    }
  }

  save(req: PlatformRequest, res: PlatformResponse, key: string, data: PendingLogin, ttl: number, opts?: SaveOptions): Promise<void> {
    return this.backend.save(req, res, key, data, ttl, opts);
  }

  take(req: PlatformRequest, res: PlatformResponse, key: string, opts?: TakeOptions): Promise<PendingLogin | undefined> {
    return this.backend.take(req, res, key, opts);
  }
}

function backendFor(choice: NonNullable<ResolvedModuleOptions['stateStore']>, secrets: readonly string[]): LoginStateBackend {
  if (choice === 'cookie') return new CookieStateBackend(secrets);
  if (choice === 'session') return new SessionStateBackend();
  if (choice === 'memory') return new BoundStoreBackend(new MemoryStateStore());
  return new BoundStoreBackend(choice);
}
