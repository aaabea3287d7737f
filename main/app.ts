/**
 * Composition root: wires the services of one station by hand and builds the handler table that every transport
 * (Electron IPC, browser host, CLI) serves. No DI framework: "go to definition" finds everything.
 */
import { contract } from './api/contract';
import { createDispatcher, type Dispatcher, type HandlerTable } from './api/dispatch';
import { AuthService } from './auth/auth';
import type { StationPaths } from './config';
import type { EmbeddedHandle } from './db/embedded';
import type { Databases } from './db/pools';
import { EventBus } from './events';
import { JobRunner } from './jobs/jobs';
import { createSystemHandlers } from './system/handlers';
import { createCylindersHandlers } from './cylinders/handlers';
import { createTelemetryHandlers } from './telemetry/handlers';
import { createInspectionHandlers } from './inspection/handlers';

export interface AppServices {
  dbs: Databases;
  paths: StationPaths;
  bus: EventBus;
  jobs: JobRunner;
  auth: AuthService;
  embedded?: EmbeddedHandle;
  /** stoppers registered by services with background work (simulator, schedulers, workers) */
  disposers: (() => Promise<void> | void)[];
}

export interface App {
  services: AppServices;
  call: Dispatcher;
  dispose(): Promise<void>;
}

export function createApp(opts: { dbs: Databases; paths: StationPaths; embedded?: EmbeddedHandle; bus?: EventBus }): App {
  const bus = opts.bus ?? new EventBus();
  const services: AppServices = {
    dbs: opts.dbs,
    paths: opts.paths,
    bus,
    jobs: new JobRunner(bus),
    auth: new AuthService(opts.dbs.pool('inspection')),
    embedded: opts.embedded,
    disposers: [],
  };
  const handlers: HandlerTable<typeof contract> = {
    ...createSystemHandlers(services),
    ...createCylindersHandlers(services),
    ...createTelemetryHandlers(services),
    ...createInspectionHandlers(services),
  };
  const call = createDispatcher(contract, handlers, services.auth.sessions);
  return {
    services,
    call,
    dispose: async () => {
      for (const d of services.disposers.splice(0).reverse()) await d();
    },
  };
}
