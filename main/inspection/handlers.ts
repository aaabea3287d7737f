/** Handlers of the inspection procedures (main/inspection/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../app';
import { inspectionProcedures } from './contract';

export function createInspectionHandlers(_s: AppServices): HandlerTable<typeof inspectionProcedures> {
  return {};
}
