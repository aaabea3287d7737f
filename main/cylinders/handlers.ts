/** Handlers of the cylinders procedures (main/cylinders/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../app';
import { cylindersProcedures } from './contract';

export function createCylindersHandlers(_s: AppServices): HandlerTable<typeof cylindersProcedures> {
  return {};
}
