/** Handlers of the telemetry procedures (main/telemetry/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../app';
import { telemetryProcedures } from './contract';

export function createTelemetryHandlers(_s: AppServices): HandlerTable<typeof telemetryProcedures> {
  return {};
}
