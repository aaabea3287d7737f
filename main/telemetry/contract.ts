/** Procedures of the telemetry workspace. Names are `telemetry.<noun>[.<verb>]`; see main/api/kit.ts for proc(). */
import type { ProcedureTable } from '../api/kit';

export const telemetryProcedures = {} satisfies ProcedureTable;
