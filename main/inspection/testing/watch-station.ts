/**
 * A station that only watches folders, in its own process: `tsx main/inspection/testing/watch-station.ts --database-url URL
 * --home DIR [--poll-ms N] [--stable-ms N]`. Prints `ready` once watching. watch.test.ts kills it with SIGKILL
 * midway to prove that a file and its inspection commit together (exactly once across a hard stop).
 */
import { parseArgs } from 'node:util';
import { stationPaths } from '../../config';
import { Databases } from '../../db/pools';
import { EventBus } from '../../events';
import { initLogging } from '../../log';
import { InspectionPipeline } from '../pipeline';
import { InspectionService } from '../service';
import { FolderWatcher } from '../watch';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, home: { type: 'string' }, 'poll-ms': { type: 'string' }, 'stable-ms': { type: 'string' } } });
if (!values['database-url'] || !values.home) {
  process.stderr.write('usage: watch-station --database-url URL --home DIR [--poll-ms N] [--stable-ms N]\n');
  process.exit(2);
}
initLogging({ stderr: true, level: process.env.LINEDECK_LOG_LEVEL ?? 'warn' });
const url = values['database-url'];
const dbs = new Databases({ cylinders: url, telemetry: url, inspection: url });
const svc = new InspectionService({ dbs, paths: stationPaths(values.home), bus: new EventBus() });
const pipeline = new InspectionPipeline(svc);
const watcher = new FolderWatcher(svc, pipeline, { pollMs: Number(values['poll-ms'] ?? 500), stableMs: Number(values['stable-ms'] ?? 500) });
await watcher.start();
process.stdout.write('ready\n');
const stop = async () => {
  await watcher.stop({ abort: true });
  await pipeline.dispose();
  await dbs.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
