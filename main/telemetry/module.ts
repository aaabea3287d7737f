/** Telemetry (KPI, Trend, Tech, communication, QC): procedures, migrations, the refresh scheduler, the demo feed. */
import { defineModule, type AppServices } from '../domain';
import { registerTelemetryCommands } from './cli';
import { telemetryProcedures } from './contract';
import { backfillTelemetryDemo, pendingTelemetryBackfill, telemetryDemoSeeder } from './demo';
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
      seed: (o) => telemetryDemoSeeder(s.dbs, svc, { now: o.now, onProgress: o.onProgress, defer: o.defer }),
      // the older demo days a first start left for later (demo.ts)
      backfill: {
        pending: async () => (await pendingTelemetryBackfill(s.dbs.pool('telemetry', 'read'))) !== null,
        run: async (ctl) => {
          const r = await backfillTelemetryDemo(s.dbs.pool('telemetry', 'job'), ctl);
          const out: Record<string, number> = r ? { telemetry_rows: r.telemetry_rows, telemetry_anomalies: r.anomalies, telemetry_days: r.days } : {};
          return out;
        },
        // each day done is on the station's screens at their next read (boot calls this on the station's instance
        // after every day: the owner's instance that runs the backfill serves no screen)
        changed: () => svc.clearCaches(),
      },
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
