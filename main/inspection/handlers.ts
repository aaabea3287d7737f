/** Handlers of the inspection procedures (main/inspection/contract.ts). */
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../domain';
import { inspectionProcedures } from './contract';
import { thresholdPreview } from './preview';
import type { InspectionRuntime } from './runtime';
import type { ImageInput } from './store';
import { listWatchFolders, removeWatchFolder, setWatchFolder } from './watch';
import { log } from '../log';
import { ApiError } from '../api/kit';
import { because } from '../api/reasons';
import { assertLocalPath, assertPathInputAllowed } from '../lib/paths';

/**
 * How long `linedeck inspect` waits for its row before printing the result as waiting to upload (ms). A screen does
 * not wait: it gets the verdict at once, its pictures at `inspection.drawn` and its code at `inspection.stored`.
 */
export const INSPECT_WAIT_MS = 1500;

export function createInspectionHandlers(s: AppServices, rt: InspectionRuntime): HandlerTable<typeof inspectionProcedures> {
  // the service, the pipeline (engine workers) and the watch folders: the module's one runtime
  const { svc, pipeline, watcher } = rt;

  return {
    'inspection.products.list': async (i) => svc.listProducts(i),
    'inspection.products.get': async (i) => svc.getProduct(i),
    'inspection.products.create': async (i, c) => svc.createProduct(i, c.user),
    'inspection.products.update': async (i, c) => svc.updateProduct(i, c.user),
    'inspection.defectTypes.list': async (i) => svc.listDefectTypes(i.productId, i),
    'inspection.defectTypes.create': async (i, c) => svc.createDefectType(i, c.user),
    'inspection.defectTypes.update': async (i, c) => svc.updateDefectType(i, c.user),

    'inspection.manuals.list': async (i) => svc.listManuals(i.productId, i),
    'inspection.manuals.get': async (i) => svc.getManual(i.manualId),
    'inspection.manuals.create': async (i, c) => {
      assertPathInputAllowed(i.file, c, 'manual file');
      return svc.createManual(i, c.user);
    },
    'inspection.manuals.update': async (i, c) => svc.updateManual(i, c.user),
    'inspection.manuals.delete': async (i, c) => svc.deleteManual(i.manualId, c.user),
    'inspection.sections.create': async (i, c) => svc.createSection(i, c.user),
    'inspection.sections.update': async (i, c) => svc.updateSection(i, c.user),
    'inspection.sections.delete': async (i, c) => svc.deleteSection(i.sectionId, c.user),
    'inspection.guide.get': async (i) => {
      await svc.getDefectType(i.defectTypeId);
      return svc.guideFor(i.defectTypeId);
    },

    'inspection.images.list': async (i) => svc.listImages(i),
    'inspection.images.add': async (i, c) => {
      assertPathInputAllowed(i.image, c, 'picture');
      const row = await svc.addReferenceImage(i, c.user);
      // embed it now when the station has an embedding model; a failure here only delays it to the next bank build
      if (!row.existed || !row.hasEmbedding)
        await pipeline
          .embedReference(row.imageId)
          .then((ok) => (row.hasEmbedding = row.hasEmbedding || ok))
          .catch((e) => log('inspection').warn({ imageId: row.imageId, err: (e as Error).message }, 'reference embedding failed'));
      return row;
    },
    'inspection.images.setActive': async (i, c) => svc.setImageActive(i.imageId, i.isActive, c.user),
    'inspection.file.get': async (i) => svc.readStoredFile(i.path),

    // journaled on the station before the verdict is answered (store and forward); the screen gets the verdict
    // first, then inspection.drawn and inspection.stored; the command line waits up to INSPECT_WAIT_MS for the code
    'inspection.inspect': async (i, c) => {
      // a path only from the command line; the transport, not the caller, says where an inspection came from
      assertPathInputAllowed(i.image, c, 'picture');
      if (c.transport !== 'cli' && (i.source === 'watch' || i.source === 'cli'))
        throw new ApiError('validation', `source ${i.source} is set by the station itself; send upload or camera`, because('source_refused', { source: i.source }));
      return pipeline.inspect('productId' in i ? { productId: i.productId } : { productCode: i.productCode }, i.image as ImageInput, {
        source: c.transport === 'cli' ? 'cli' : i.source,
        actor: c.user,
        signal: c.signal,
        outbox: rt.outbox,
        waitMs: c.transport === 'cli' || i.wait ? INSPECT_WAIT_MS : 0,
        stationId: rt.stationId(),
      });
    },
    'inspection.outbox.get': async () => ({ depth: rt.outbox.depth(), databaseAway: rt.outbox.databaseAway(), items: rt.outbox.list(200) }),
    'inspection.inspections.list': async (i) => svc.listInspections(i),
    'inspection.inspectors.list': async () => svc.listInspectors(),
    'inspection.inspections.export': async (i) => svc.exportInspectionsCsv(i),
    'inspection.inspections.get': async (i) => svc.getInspection(i),
    'inspection.actions.create': async (i, c) => rt.followUps.action(i, c.user),
    'inspection.actions.pending': async (i) => svc.pendingActions(i),
    'inspection.feedbacks.create': async (i, c) => rt.followUps.feedback(i, c.user),

    'inspection.dashboard.stats': async (i) => svc.dashboardStats(i),
    'inspection.dashboard.defectRate': async (i) => svc.defectRateByDay(i),
    'inspection.dashboard.defectTypes': async (i) => svc.defectsByType(i),

    'inspection.config.get': async (i) => svc.getModelConfig(i.productId),
    'inspection.config.setThresholds': async (i, c) => svc.setThresholds(i, c.user),
    'inspection.config.preview': async (i, c) => thresholdPreview(svc, pipeline, i.productId, i.imageThreshold, c.signal),

    'inspection.watch.list': async () => listWatchFolders(svc),
    'inspection.watch.set': async (i, c) => {
      // a watch folder is a folder on this station: never a share the station would authenticate to, nor a device
      assertLocalPath(i.folderPath, 'watch folder');
      const row = await setWatchFolder(svc, i, c.user);
      await watcher.reload();
      return row;
    },
    'inspection.watch.remove': async (i, c) => {
      const r = await removeWatchFolder(svc, i.productId, c.user);
      await watcher.reload();
      return r;
    },
    'inspection.queue.get': async () => watcher.state(),
    'inspection.deployments.list': async (i) => svc.listDeployments(i),
    'inspection.models.status': async () => {
      const f = pipeline.findModels();
      if (!f.ok) return { ok: false, backbone: null, embedding: null, problem: f.problem };
      const brief = (m: { manifest: { name: string }; dir: string } | null) => (m ? { name: m.manifest.name, dir: m.dir } : null);
      return { ok: true, backbone: brief(f.backbone), embedding: brief(f.embedding), problem: f.embedding ? null : 'no embedding model: no reference images or defect types' };
    },
    'inspection.bank.build': async (i, c) => {
      // the lock and the deployment row are taken before the job starts, so a second build is refused at once
      const build = await pipeline.beginBankBuild('productId' in i ? { productId: i.productId } : { productCode: i.productCode }, { coresetRatio: i.coresetRatio, actor: c.user });
      const { jobId } = s.jobs.start('inspection.bank.build', (jc) => build.run({ signal: jc.signal, progress: jc.progress }));
      return { jobId, deploymentId: build.deploymentId };
    },
  };
}
