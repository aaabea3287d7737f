/**
 * The consoles of a plant (decisions.md, Plant): every running console registers in the shared inspection database
 * and heartbeats; Admin → Stations and `linedeck stations` list them with online/late/offline. See ./README.md.
 */
import { defineModule, type AppServices } from '../domain';
import { registerStationsCommands } from './cli';
import { stationsProcedures } from './contract';
import { createStationsHandlers } from './handlers';
import { stationsMigrations } from './migrations';
import { StationsService, startStationHeartbeat } from './service';

export const stationsModule = defineModule({
  name: 'stations',
  procedures: stationsProcedures,
  migrations: stationsMigrations,
  create: (s: AppServices) => {
    const svc = new StationsService(s.dbs, s.paths);
    // what the inspection module reports (the outbox, the models), asked at each heartbeat
    svc.setOutboxDepthProvider(() => s.reports?.outboxDepth?.() ?? 0);
    svc.setModelsProvider(() => s.reports?.modelsInUse?.() ?? null);
    return {
      /** setModelsProvider / setOutboxDepthProvider let the inspection runtime and the journal report through it */
      svc,
      handlers: createStationsHandlers(svc),
      // a running console registers and heartbeats (the CLI builds the module too, but never starts it)
      start: () => {
        s.disposers.push(startStationHeartbeat(svc));
      },
    };
  },
  commands: registerStationsCommands,
});
