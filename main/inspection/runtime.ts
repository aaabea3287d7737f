/**
 * One inspection runtime per running station: the service, the pipeline (one engine worker thread) and the
 * watch-folder watcher, shared by the procedures (handlers.ts) and the background start (background.ts), so a
 * watched folder and the station screen inspect with the same engine.
 */
import type { StationPaths } from '../config';
import type { Databases } from '../db/pools';
import type { EventBus } from '../events';
import { InspectionPipeline } from './pipeline';
import { InspectionService } from './service';
import { FolderWatcher, type WatchOptions } from './watch';

export interface InspectionRuntime {
  svc: InspectionService;
  pipeline: InspectionPipeline;
  watcher: FolderWatcher;
}

interface RuntimeHost {
  dbs: Databases;
  paths: StationPaths;
  bus: EventBus;
  disposers: (() => Promise<void> | void)[];
}

const runtimes = new WeakMap<RuntimeHost, InspectionRuntime>();

export function inspectionRuntime(s: RuntimeHost, watch: WatchOptions = {}): InspectionRuntime {
  let rt = runtimes.get(s);
  if (!rt) {
    const svc = new InspectionService({ dbs: s.dbs, paths: s.paths, bus: s.bus });
    const pipeline = new InspectionPipeline(svc);
    const watcher = new FolderWatcher(svc, pipeline, watch);
    rt = { svc, pipeline, watcher };
    runtimes.set(s, rt);
    s.disposers.push(async () => {
      await watcher.stop();
      await pipeline.dispose();
    });
  }
  return rt;
}

/** Starts the station's watch folders and warms the engine (main/background.ts); the runtime's disposer stops them. */
export function startInspectionWatch(s: RuntimeHost): void {
  const rt = inspectionRuntime(s);
  void rt.watcher.start();
  // the engine worker too, in the background: the first inspection at the station then skips its start-up
  const t = setTimeout(() => void rt.pipeline.warm().catch(() => undefined), 1000);
  t.unref?.();
}
