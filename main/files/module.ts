/**
 * The plant's shared files (issue 15; decisions.md, Plant rule 4 and 5): content-addressed blobs in the plant
 * database, each console's cache by hash, retention. The inspection domain stores and resolves its files through
 * FileStore (./store.ts); this module brings the tables, the Admin procedures, the upload of a station's existing
 * files at start, and `linedeck files …`. See ./README.md.
 */
import { defineModule, type AppServices } from '../domain';
import { log } from '../log';
import { registerFilesCommands } from './cli';
import { filesProcedures } from './contract';
import { createFilesHandlers } from './handlers';
import { filesMigrations } from './migrations';
import { FilesService } from './service';

export const filesModule = defineModule({
  name: 'files',
  procedures: filesProcedures,
  migrations: filesMigrations,
  create: (s: AppServices) => {
    const svc = new FilesService(s.dbs, s.paths);
    return {
      svc,
      handlers: createFilesHandlers(svc, s.jobs),
      // a running console uploads the files its rows name and the database lacks (stations from before issue 15)
      start: () => {
        const t = setTimeout(() => {
          void svc.uploadMissing().then(
            (r) => r.uploaded && log('files').info(r, 'local files uploaded to the plant database'),
            (e) => log('files').warn({ err: (e as Error).message }, 'upload of local files failed; tried again at the next start'),
          );
        }, 5000);
        t.unref?.();
        s.disposers.push(() => clearTimeout(t));
      },
    };
  },
  commands: registerFilesCommands,
});
