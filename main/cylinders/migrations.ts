/** Migrations of the cylinders data source (see main/db/migrate.ts for the rules). */
import type { EnsureHook, Migration } from '../db/migrate';

export const cylinderMigrations: Migration[] = [];
export const cylinderHooks: EnsureHook[] = [];
