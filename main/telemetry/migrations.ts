/** Migrations of the telemetry data source (see main/db/migrate.ts for the rules). */
import type { EnsureHook, Migration } from '../db/migrate';

export const telemetryMigrations: Migration[] = [];
export const telemetryHooks: EnsureHook[] = [];
