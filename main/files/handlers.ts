/** Handlers of the files procedures (main/files/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { JobRunner } from '../jobs/jobs';
import { filesProcedures } from './contract';
import type { FilesService } from './service';

export function createFilesHandlers(svc: FilesService, jobs: JobRunner): HandlerTable<typeof filesProcedures> {
  return {
    'files.space': async () => svc.space(),
    'files.retention.set': async (i, c) => svc.setRetention(i.retentionDays, c.user),
    'files.retention.run': async (_i, c) => {
      const { jobId } = jobs.start('files.retention', (jc) => svc.runRetention(c.user, jc));
      return { jobId };
    },
    'files.removals': async (i) => svc.removals(i.paths),
  };
}
