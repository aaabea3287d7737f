/** Handlers of the telemetry procedures (main/telemetry/contract.ts): thin, over the station's TelemetryService. */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../domain';
import { telemetryProcedures } from './contract';
import type { TelemetryService } from './service';

export function createTelemetryHandlers(s: AppServices, service: TelemetryService): HandlerTable<typeof telemetryProcedures> {
  const svc = () => service;
  return {
    'telemetry.tags': async () => svc().tags(),
    'telemetry.kpi': async (i) => svc().kpi(i),
    'telemetry.latest': async (i) => svc().latest(i),
    'telemetry.trend': async (i) => svc().trend(i),
    'telemetry.tech': async (i) => svc().tech(i),
    'telemetry.features': async (i) => svc().features(i),
    'telemetry.predictions': async (i) => svc().overlays(i),
    'telemetry.comm': async (i) => svc().comm(i),
    'telemetry.status': async () => svc().status(),
    'telemetry.qc.list': async () => ({ rules: await svc().listQc() }),
    'telemetry.qc.save': async (i, ctx) => svc().saveQc(i, ctx.user),
    'telemetry.qc.delete': async (i, ctx) => svc().deleteQc(i.tag_name, ctx.user),
    'telemetry.expectations.list': async () => ({ expectations: await svc().listExpectations() }),
    'telemetry.expectations.save': async (i, ctx) => svc().saveExpectation(i, ctx.user),
    'telemetry.expectations.delete': async (i, ctx) => svc().deleteExpectation(i.tag_name, ctx.user),
    'telemetry.refresh': async (i) => {
      const { jobId } = s.jobs.start('telemetry.refresh', (c) => svc().refresh(i, { signal: c.signal, progress: c.progress }));
      return { jobId };
    },
  };
}
