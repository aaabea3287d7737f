/**
 * Every migration and ensure-hook the console owns, by group. Each domain keeps its own list next to its code
 * and is registered here, so `linedeck migrate`, the app's first start and the tests apply the same set.
 */
import type { EnsureHook, Migration } from '../migrate';
import { coreMigrations } from './core';
import { cylinderMigrations, cylinderHooks } from '../../cylinders/migrations';
import { telemetryMigrations, telemetryHooks } from '../../telemetry/migrations';
import { inspectionMigrations, inspectionHooks } from '../../inspection/migrations';

export const allMigrations: Migration[] = [...coreMigrations, ...cylinderMigrations, ...telemetryMigrations, ...inspectionMigrations];
export const allHooks: EnsureHook[] = [...cylinderHooks, ...telemetryHooks, ...inspectionHooks];
