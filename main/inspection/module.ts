/** Inspection (stations, products, banks, models): procedures, migrations, the engine, watch folders, demo, CLI. */
import { defineModule, type AppServices } from '../domain';
import { registerInspectionCommands } from './cli';
import { inspectionProcedures } from './contract';
import { seedInspectionDemo } from './demo';
import { createInspectionHandlers } from './handlers';
import { inspectionHooks, inspectionMigrations } from './migrations';
import { createInspectionRuntime } from './runtime';

export const inspectionModule = defineModule({
  name: 'inspection',
  procedures: inspectionProcedures,
  migrations: inspectionMigrations,
  hooks: inspectionHooks,
  create: (s: AppServices) => {
    const rt = createInspectionRuntime(s);
    return {
      svc: rt.svc,
      pipeline: rt.pipeline,
      outbox: rt.outbox,
      handlers: createInspectionHandlers(s, rt),
      seed: (o) => seedInspectionDemo({ services: s, runtime: rt }, { now: o.now, onProgress: o.onProgress }),
      start: () => rt.start(),
    };
  },
  // also `ml …` (./cli-ml.ts)
  commands: (program, cli) => registerInspectionCommands(program, cli),
});
