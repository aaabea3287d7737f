/** Procedures of the inspection workspace. Names are `inspection.<noun>[.<verb>]`; see main/api/kit.ts for proc(). */
import type { ProcedureTable } from '../api/kit';

export const inspectionProcedures = {} satisfies ProcedureTable;
