/** Background services of a running station; each registers its stopper in services.disposers. */
import type { App } from './app';
import { readStationConfig } from './config';
import { startInspectionWatch } from './inspection/runtime';
import { log } from './log';
import { startTelemetryScheduler } from './telemetry/service';
import { startTelemetrySimulator } from './telemetry/simulator';

export function startBackground(app: App): void {
  const logger = log('background');
  const { services } = app;
  let simulator = true;
  try {
    simulator = readStationConfig(services.paths.configFile).simulator;
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'config unreadable; defaults apply');
  }
  // aggregates (plain PostgreSQL) or continuous-aggregate policies (TimescaleDB) kept fresh
  startTelemetryScheduler(services); // registers its own stopper
  // watched folders of the inspection workspace (line cameras); stopped by the inspection runtime's disposer
  startInspectionWatch(services);
  // the demo feed, like the plant's Node-RED writer; on by default for the embedded database only
  if (simulator && (services.embedded || process.env.LINEDECK_SIMULATOR === '1')) {
    startTelemetrySimulator(services); // registers its own stopper
  }
}
