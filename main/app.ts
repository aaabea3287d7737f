/**
 * Composition root: builds the station's shared services, then each module's instance once (main/modules.ts), and
 * the one handler table that every transport (Electron IPC through the backend process, browser host, CLI) serves.
 * No DI framework: "go to definition" finds everything.
 */
import { contract, type Contract } from './api/contract';
import { createDispatcher, type Dispatcher, type HandlerTable } from './api/dispatch';
import path from 'node:path';
import { AuthService, CredentialCache, type AuthOptions } from './auth/auth';
import type { StationPaths } from './config';
import type { EmbeddedHandle } from './db/embedded';
import type { Databases } from './db/pools';
import type { AppServices, DomainInstance } from './domain';
import { EventBus } from './events';
import { JobRunner } from './jobs/jobs';
import { modules, type AnyModule } from './modules';

export type { AppServices } from './domain';

/** The instance a module's `create` returns, by module. */
export type InstanceOf<M extends AnyModule> = ReturnType<M['create']>;

export interface App {
  services: AppServices;
  call: Dispatcher;
  /** the instance of one module (its services), e.g. `app.instance(inspectionModule).pipeline` */
  instance<M extends AnyModule>(module: M): InstanceOf<M>;
  /** every module's instance, in the modules' order */
  instances(): { module: AnyModule; instance: DomainInstance }[];
  /** starts each module's background work (schedulers, watchers; the demo feed when `demo`) */
  start(opts: { demo: boolean }): void;
  dispose(): Promise<void>;
}

export function createApp(opts: { dbs: Databases; paths: StationPaths; embedded?: EmbeddedHandle; bus?: EventBus; demo?: boolean; auth?: AuthOptions }): App {
  const bus = opts.bus ?? new EventBus();
  const services: AppServices = {
    dbs: opts.dbs,
    paths: opts.paths,
    bus,
    jobs: new JobRunner(bus),
    auth: new AuthService(opts.dbs.pool('inspection'), undefined, new CredentialCache(path.join(opts.paths.home, 'cache', 'credentials.json')), opts.auth),
    embedded: opts.embedded,
    demo: opts.demo ?? false,
    reports: {},
    disposers: [],
  };
  const built = modules.map((module) => ({ module: module as AnyModule, instance: module.create(services) as DomainInstance }));
  const handlers = Object.assign({}, ...built.map((b) => b.instance.handlers)) as HandlerTable<Contract>;
  const call = createDispatcher(contract, handlers, services.auth.sessions);
  return {
    services,
    call,
    instance: <M extends AnyModule>(module: M) => built.find((b) => b.module === module)!.instance as InstanceOf<M>,
    instances: () => built,
    start: (o) => {
      for (const b of built) b.instance.start?.(o);
    },
    dispose: async () => {
      for (const d of services.disposers.splice(0).reverse()) await d();
    },
  };
}
