/**
 * `linedeck files …`:
 *   files upload-missing → {"checked","uploaded","bytes","missing_locally"}: this console's files that rows name
 *                          and the plant database lacks (also run in the background when a console starts)
 *   files space          → blobs and bytes by kind, retention days, this console's cache
 *   files retention [--days N] → runs retention now (the setting, or N days once) and prints what it removed
 */
import type { Command } from 'commander';
import { CLI_USER, type DomainCli } from '../domain';
import type { FilesService } from './service';

export function registerFilesCommands(program: Command, cli: DomainCli<{ svc: FilesService }>): void {
  const files = program.command('files').description('the plant’s shared files: blobs in the database, this console’s cache, retention');
  files
    .command('upload-missing')
    .description('upload the local files that rows name and the database lacks (pictures, artifacts, banks, manuals)')
    .action(async () => {
      await cli.migrate();
      const svc = (await cli.instance()).svc;
      const r = await svc.uploadMissing({ progress: (_f, m) => m && cli.progress(m) });
      cli.output({ checked: r.checked, uploaded: r.uploaded, bytes: r.bytes, missing_locally: r.missingLocally }, `${r.uploaded} of ${r.checked} files uploaded (${(r.bytes / 1048576).toFixed(1)} MB); ${r.missingLocally} not on this console`);
    });
  files
    .command('space')
    .description('blobs count and bytes by kind, the retention setting, this console’s cache')
    .action(async () => {
      const s = await (await cli.instance()).svc.space();
      cli.output(s, () => [...s.kinds.map((k) => `${k.kind.padEnd(10)} ${String(k.blobs).padStart(8)} ${(k.bytes / 1048576).toFixed(1).padStart(10)} MB`), `retention ${s.retentionDays} days; cache ${(s.cache.bytes / 1048576).toFixed(1)} / ${(s.cache.limitBytes / 1048576).toFixed(0)} MB`].join('\n'));
    });
  files
    .command('retention')
    .description('remove inspection pictures older than the retention setting now (audited)')
    .option('--days <n>', 'this many days instead of the setting (once)')
    .action(async (o: { days?: string }) => {
      await cli.migrate();
      const days = o.days === undefined ? undefined : Number(o.days);
      if (days !== undefined && !(Number.isInteger(days) && days >= 0)) cli.fail('--days is a whole number', 2);
      const r = await (await cli.instance()).svc.runRetention(CLI_USER, { progress: (_f, m) => m && cli.progress(m) }, { days });
      cli.output(r, `${r.files} pictures of ${r.inspections} inspections before ${r.cutoff} removed; ${r.blobs} blobs, ${(r.bytes / 1048576).toFixed(1)} MB`);
    });
}
