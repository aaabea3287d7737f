/**
 * The inspection domain's services for one running station: the service, the pipeline (the engine's worker
 * threads), the outbox (journaled results and their forwarder) and the watch-folder watcher, built once by the
 * module (main/inspection/module.ts) and shared by the procedures, the watch folders, the demo seeder and the CLI,
 * so they all inspect with the same engine.
 */
import type { AppServices } from '../domain';
import { loadStationIdentity } from '../stations/identity';
import { FollowUps } from './follow-ups';
import { Outbox } from './outbox';
import { InspectionPipeline } from './pipeline';
import { InspectionService } from './service';
import { FolderWatcher, type WatchOptions } from './watch';

export interface InspectionRuntime {
  svc: InspectionService;
  pipeline: InspectionPipeline;
  watcher: FolderWatcher;
  /** results journaled on this station and not yet in the database (the station screen's inspections) */
  outbox: Outbox;
  /** actions and feedback, queued behind an inspection still in the outbox */
  followUps: FollowUps;
  /** this console's station id (LINEDECK_HOME/station.json) */
  stationId(): string;
  /** starts the watch folders and warms the engine (a running station's background work) */
  start(): void;
}

export function createInspectionRuntime(s: Pick<AppServices, 'dbs' | 'paths' | 'bus' | 'disposers' | 'reports'>, watch: WatchOptions = {}): InspectionRuntime {
  const svc = new InspectionService({ dbs: s.dbs, paths: s.paths, bus: s.bus });
  const pipeline = new InspectionPipeline(svc);
  const watcher = new FolderWatcher(svc, pipeline, watch);
  const outbox = new Outbox(Outbox.dirOf(s.paths.home), { bus: s.bus });
  outbox.handle('inspection', (e) => pipeline.forwardInspection(e));
  const followUps = new FollowUps(svc, outbox);
  let stationId: string | undefined;
  if (s.reports) {
    s.reports.outboxDepth = () => outbox.depth();
    s.reports.modelsInUse = () => {
      const f = pipeline.findModels();
      return f.ok ? { backbone: f.backbone.manifest.name, ...(f.embedding ? { embedding: f.embedding.manifest.name } : {}) } : null;
    };
  }
  s.disposers.push(async () => {
    await watcher.stop();
    await outbox.stop();
    await pipeline.dispose();
  });
  return {
    svc,
    pipeline,
    watcher,
    outbox,
    followUps,
    stationId: () => (stationId ??= loadStationIdentity(s.paths).stationId),
    start() {
      outbox.start();
      void watcher.start();
      // the engine worker too, in the background: the first inspection at the station then skips its start-up
      const t = setTimeout(() => void pipeline.warm().catch(() => undefined), 1000);
      t.unref?.();
    },
  };
}
