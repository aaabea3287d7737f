/** Telemetry (KPI, Trend, Tech, communication, QC): procedures, migrations, the refresh scheduler, the demo feed. */
import { defineModule, type AppServices } from '../domain';
import { registerTelemetryCommands } from './cli';
import { telemetryProcedures } from './contract';
import { telemetryDemoSeeder } from './demo';
import { telemetryDoctorChecks } from './doctor';
import { createTelemetryHandlers } from './handlers';
import { telemetryHooks, telemetryMigrations } from './migrations';
import { startTelemetryScheduler, TelemetryService } from './service';
import { startTelemetrySimulator } from './simulator';

export const telemetryModule = defineModule({
  name: 'telemetry',
  procedures: telemetryProcedures,
  migrations: telemetryMigrations,
  hooks: telemetryHooks,
  create: (s: AppServices) => {
    const svc = new TelemetryService(s.dbs);
    s.disposers.push(() => svc.dispose());
    return {
      svc,
      handlers: createTelemetryHandlers(s, svc),
      seed: (o) => telemetryDemoSeeder(s.dbs, svc, { now: o.now, onProgress: o.onProgress }),
      start: ({ demo }) => {
        // aggregates (plain PostgreSQL) or the console's tables beside TimescaleDB's policies, kept fresh
        s.disposers.push(startTelemetryScheduler(svc));
        // the demo feed, like the plant's Node-RED writer
        if (demo) s.disposers.push(startTelemetrySimulator(s, svc).stop);
      },
    };
  },
  doctor: (dbs) => telemetryDoctorChecks(dbs),
  commands: registerTelemetryCommands,
});
