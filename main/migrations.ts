/**
 * Every migration and ensure-hook the console owns: the core's (users, roles, audit) and each module's, so
 * `linedeck migrate`, the app's start and the tests apply the same set.
 */
import { coreMigrations } from './db/migrations/core';
import { migrateDatabase, type MigrateResult, type MigrationGroup, type EnsureHook, type Migration } from './db/migrate';
import type { Databases } from './db/pools';
import { modules } from './modules';

export const allMigrations: Migration[] = [...coreMigrations, ...modules.flatMap((m): Migration[] => m.migrations ?? [])];
export const allHooks: EnsureHook[] = modules.flatMap((m): EnsureHook[] => m.hooks ?? []);

/** Migrates every distinct database: `core` everywhere, each source's group where that source lives. */
export async function migrateAll(dbs: Databases, opts: { dryRun?: boolean } = {}): Promise<MigrateResult> {
  const out: MigrateResult = { applied: [], pending: 0, notes: [] };
  for (const { url, sources } of dbs.distinct()) {
    const groups: MigrationGroup[] = ['core', ...sources];
    const r = await migrateDatabase(url, groups, allMigrations, allHooks, opts);
    out.applied.push(...r.applied);
    out.pending += r.pending;
    out.notes.push(...r.notes);
  }
  return out;
}
