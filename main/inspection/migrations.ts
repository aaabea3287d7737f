/** Migrations of the inspection data source (see main/db/migrate.ts for the rules). */
import type { EnsureHook, Migration } from '../db/migrate';

export const inspectionMigrations: Migration[] = [];
export const inspectionHooks: EnsureHook[] = [];
