/** Procedures of the cylinders workspace. Names are `cylinders.<noun>[.<verb>]`; see main/api/kit.ts for proc(). */
import type { ProcedureTable } from '../api/kit';

export const cylindersProcedures = {} satisfies ProcedureTable;
