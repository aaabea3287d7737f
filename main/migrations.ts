/**
 * Every migration and ensure-hook the console owns: the core's (users, roles, audit) and each module's, so
 * `linedeck migrate`, the app's start and the tests apply the same set.
 */
import { coreMigrations } from './db/migrations/core';
import { migrateDatabase, type MigrateResult, type MigrationGroup, type EnsureHook, type Migration } from './db/migrate';
import type { Databases } from './db/pools';
import { modules } from './modules';
import { rolesHook } from './db/roles';

export const allMigrations: Migration[] = [...coreMigrations, ...modules.flatMap((m): Migration[] => m.migrations ?? [])];
/** the roles' grants last: they cover every table the migrations and the other hooks made */
export const allHooks: EnsureHook[] = [...modules.flatMap((m): EnsureHook[] => m.hooks ?? []), rolesHook];

/** Migrates every distinct database: `core` everywhere, each source's group where that source lives. */
export async function migrateAll(dbs: Databases, opts: { dryRun?: boolean } = {}): Promise<MigrateResult> {
  const out: MigrateResult = { applied: [], pending: 0, notes: [] };
  // as the owner: the console's own role (linedeck_app) may not create or alter anything
  for (const { ownerUrl, sources } of dbs.distinct()) {
    const groups: MigrationGroup[] = ['core', ...sources];
    const r = await migrateDatabase(ownerUrl, groups, allMigrations, allHooks, opts);
    out.applied.push(...r.applied);
    out.pending += r.pending;
    out.notes.push(...r.notes);
  }
  return out;
}
