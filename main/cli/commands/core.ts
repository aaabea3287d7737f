/** `migrate`, `doctor`, `demo seed`, `setup-code`: what each runs is imported when it runs (parsing and --help load none of it). */
import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerCore(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('create or upgrade every object the console owns (idempotent, safe to run concurrently)')
    .option('--dry-run', 'only count pending migrations')
    .action(async (o: { dryRun?: boolean }) => {
      const [st, { migrateAll }] = await Promise.all([ctx.station(), import('../../migrations')]);
      const r = await migrateAll(st.dbs, { dryRun: o.dryRun });
      for (const n of r.notes) ctx.progress(`note: ${n}`);
      ctx.output({ applied: r.applied, pending: r.pending, notes: r.notes }, () =>
        [`applied ${r.applied.length} migration(s)${r.applied.length ? `: ${r.applied.join(', ')}` : ''}`, `pending: ${r.pending}`, ...r.notes.map((n) => `note: ${n}`)].join('\n'),
      );
    });

  program
    .command('doctor')
    .description('check the databases, extensions, migrations, folders and models of this station')
    .action(async () => {
      const [st, { runDoctor }] = await Promise.all([ctx.station(), import('../../doctor')]);
      const checks = await runDoctor(st.dbs, st.paths, Boolean(st.embedded));
      ctx.output({ checks }, () => checks.map((c) => `${!c.ok ? 'FAIL' : c.warn ? 'WARN' : 'ok  '} ${c.name}: ${c.detail}`).join('\n'));
      const failed = checks.filter((c) => !c.ok);
      if (failed.length) ctx.fail(`${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
    });

  program
    .command('setup-code')
    .description('the one-time code the first administrator’s setup asks for on this station (none once an administrator exists)')
    .action(async () => {
      await ctx.migrate();
      const st = await ctx.station();
      const [{ AuthService }, { ensureSetupCode }] = await Promise.all([import('../../auth/auth'), import('../../system/setup-code')]);
      const admins = await new AuthService(st.dbs.pool('inspection')).activeAdminCount();
      const code = admins > 0 ? null : ensureSetupCode(st.paths);
      ctx.output({ code }, () => (code ? `setup code: ${code}\n(enter it with the first administrator's name and password on this station)` : 'this station already has an administrator; no setup code is needed'));
    });

  const demo = program.command('demo').description('demo data');
  demo
    .command('seed')
    .description('fill the database with demo data for every screen (idempotent)')
    .option('--no-admin', 'leave the admin to the first-run setup')
    .option('--only <domains>', 'comma-separated: cylinders,telemetry,inspection (default: all)')
    .action(async (o: { admin: boolean; only?: string }) => {
      const m = await ctx.migrate();
      const [{ seedAsOwner }, { seedDemo }] = await Promise.all([import('../../boot'), import('../../demo/seed')]);
      // as the owner: the seed creates the FCMS copy and bulk-loads with triggers off (db/roles.ts)
      const seeded = await seedAsOwner(await ctx.station(), false, (app) => seedDemo(app, { withAdmin: o.admin, only: o.only?.split(',').map((x) => x.trim()).filter(Boolean), onProgress: (s) => ctx.progress(s) }));
      ctx.output({ seeded, migrated: m.applied.length }, () => `seeded: ${Object.entries(seeded).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    });
}
