/**
 * Every domain of the console, in start order. A new domain is one folder (main/<domain>/ with its module.ts) and
 * one line here: its procedures join the contract, its migrations `linedeck migrate`, its seeder `demo seed`, its
 * checks `linedeck doctor`, its background work a running station and its commands the CLI.
 */
import type { UnionToIntersection } from './api/kit';
import { cylindersModule } from './cylinders/module';
import { filesModule } from './files/module';
import { inspectionModule } from './inspection/module';
import { stationsModule } from './stations/module';
import { systemModule } from './system/module';
import { telemetryModule } from './telemetry/module';

export const modules = [systemModule, cylindersModule, telemetryModule, inspectionModule, stationsModule, filesModule] as const;

export type Modules = typeof modules;
export type AnyModule = Modules[number];
/** Every procedure of every module, by name (the type of main/api/contract.ts's `contract`). */
export type ModuleProcedures = UnionToIntersection<AnyModule['procedures']>;
