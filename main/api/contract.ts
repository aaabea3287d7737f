/**
 * The whole API: every procedure the console offers, by domain. The renderer imports this file's *types* only
 * (`import type`); main dispatches through it (main/api/dispatch.ts); the CLI and the browser host serve it too.
 */
import { systemProcedures } from '../system/contract';
import { cylindersProcedures } from '../cylinders/contract';
import { telemetryProcedures } from '../telemetry/contract';
import { inspectionProcedures } from '../inspection/contract';

export const contract = {
  ...systemProcedures,
  ...cylindersProcedures,
  ...telemetryProcedures,
  ...inspectionProcedures,
};
export type Contract = typeof contract;
export type ProcedureName = keyof Contract;
