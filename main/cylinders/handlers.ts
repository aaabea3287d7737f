/** Handlers of the cylinders procedures (main/cylinders/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../domain';
import { cylindersProcedures } from './contract';
import { LIST_COLUMNS, SUMMARY_COLUMNS, toCsv, toXlsx } from './export';
import { CylinderService } from './service';
import type { SyncResult } from './types';

export function createCylindersHandlers(s: AppServices, svc: CylinderService): HandlerTable<typeof cylindersProcedures> {
  return {
    'cylinders.summary': async (input) => svc.summary(input),
    'cylinders.list': async (input) => svc.list(input),
    'cylinders.detail': async (input) => svc.detail(input.cylinderNo),
    'cylinders.freshness': async () => svc.freshness(),
    'cylinders.filters': async () => svc.filters(),
    'cylinders.sync': async (input) => {
      // One resync at a time: a second request joins the running one.
      const running = s.jobs.list().find((j) => j.kind === 'cylinders.sync' && j.state === 'running');
      if (running && !input.wait) return { jobId: running.jobId };
      const { jobId, done } = s.jobs.start<SyncResult>('cylinders.sync', (ctl) => svc.fullSync({ signal: ctl.signal, onProgress: ctl.progress }));
      if (!input.wait) return { jobId };
      return { jobId, result: await done };
    },
    'cylinders.export': async (input) => {
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
      const base = `cylinders-${input.what}-${stamp}`;
      if (input.what === 'summary') {
        const { rows } = await svc.summary({ ...input.filters, sort: input.summarySort?.key, dir: input.summarySort?.dir }, { long: true });
        if (input.format === 'csv') return { filename: `${base}.csv`, mimeType: 'text/csv;charset=utf-8', encoding: 'utf8', data: toCsv(SUMMARY_COLUMNS, rows), rows: rows.length };
        const buf = await toXlsx('Summary', SUMMARY_COLUMNS, rows);
        return { filename: `${base}.xlsx`, mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', encoding: 'base64', data: buf.toString('base64'), rows: rows.length };
      }
      const { rows } = await svc.list({ ...input.filters, offset: 0, limit: input.maxRows }, { long: true });
      if (input.format === 'csv') return { filename: `${base}.csv`, mimeType: 'text/csv;charset=utf-8', encoding: 'utf8', data: toCsv(LIST_COLUMNS, rows), rows: rows.length };
      const buf = await toXlsx('Cylinders', LIST_COLUMNS, rows);
      return { filename: `${base}.xlsx`, mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', encoding: 'base64', data: buf.toString('base64'), rows: rows.length };
    },

    'cylinders.defaults.list': async () => svc.listDefaults(),
    'cylinders.defaults.preview': async (input) => svc.previewDefault(input),
    'cylinders.defaults.save': async (input, ctx) => svc.saveDefault(ctx.user, input),
    'cylinders.defaults.delete': async (input, ctx) => svc.deleteDefault(ctx.user, input.id),

    'cylinders.exceptions.list': async (input) => svc.listExceptions(input),
    'cylinders.exceptions.save': async (input, ctx) => svc.createExceptions(ctx.user, input),
    'cylinders.exceptions.update': async (input, ctx) => svc.updateException(ctx.user, input),
    'cylinders.exceptions.delete': async (input, ctx) => svc.deleteExceptions(ctx.user, input.ids),

    'cylinders.valveGroups.list': async () => svc.listValveGroups(),
    'cylinders.valveGroups.save': async (input, ctx) => svc.saveValveGroup(ctx.user, input),
    'cylinders.valveGroups.delete': async (input, ctx) => svc.deleteValveGroup(ctx.user, input.id),
    'cylinders.mappings.save': async (input, ctx) => svc.saveMapping(ctx.user, input),
    'cylinders.mappings.delete': async (input, ctx) => svc.deleteMapping(ctx.user, input.id),
  };
}
