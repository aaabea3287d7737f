/** Handlers of the stations procedures (main/stations/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import { stationsProcedures } from './contract';
import type { StationsService } from './service';

export function createStationsHandlers(svc: StationsService): HandlerTable<typeof stationsProcedures> {
  return {
    'stations.list': async () => svc.list(),
    'stations.rename': async (input, ctx) => svc.rename(ctx.user, input.stationId.toLowerCase(), input.name),
  };
}
