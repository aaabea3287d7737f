/**
 * Store and forward (issue "Plant deployment"), measured on this machine in one run:
 *
 *   - journaling: the `journal` stage of an inspection at 256 px with the shipped default models (the complete
 *     result written durably — fsync — to LINEDECK_HOME/outbox before the verdict is answered); goal: p50 ≤ 5 ms;
 *   - the forwarder alone: a backlog of journaled inspections (left while it was stopped, as after an outage)
 *     written to PostgreSQL; goal: ≥ 5 inspections/s;
 *   - keeping up: inspections paced at 5/s for 10 s while the forwarder runs beside them on the same 2 cores;
 *     goal: the outbox never holds more than 3 and is empty within 2 s of the last inspection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stationPaths } from '../../main/config';
import { migrateAll } from '../../main/migrations';
import { Outbox } from '../../main/inspection/outbox';
import { InspectionPipeline } from '../../main/inspection/pipeline';
import { InspectionService } from '../../main/inspection/service';
import { generateImage } from '../../main/inspection/synth/generate';
import type { Bench, Goal } from '../goal';
import { createScratchDatabase } from '../scratch';

const JOURNAL_P50_MS = 5;
const RATE_GOAL = 5;
const BACKLOG = 40;
const PACED = 50;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

async function bench(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]> {
  const scratch = await createScratchDatabase(baseUrl, `bench_outbox_${process.pid}`);
  const home = fs.mkdtempSync(path.join(tmpDir, 'outbox-home-'));
  const pipeline = new InspectionPipeline(new InspectionService({ dbs: scratch.dbs, paths: stationPaths(home) }));
  const outbox = new Outbox(Outbox.dirOf(home));
  outbox.handle('inspection', (e) => pipeline.forwardInspection(e));
  try {
    await migrateAll(scratch.dbs);
    await pipeline.svc.createProduct({ productCode: 'BENCH-OUT', productName: 'outbox bench', description: null, category: null } as never);
    const normals = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'bench-outbox', index: i, size: 256 })));
    await pipeline.buildBank('BENCH-OUT', { images: normals.map((n) => ({ bytes: n.png, fileName: n.name })) });
    const frames = await Promise.all(Array.from({ length: 20 }, (_, i) => generateImage({ surface: 'cast', level: 'plain', label: i % 4 === 3 ? 'hole' : 'normal', seed: 'bench-outbox-frames', index: i, size: 256 })));
    const inspect = (i: number) => pipeline.inspect('BENCH-OUT', { bytes: frames[i % frames.length].png, fileName: `f${i}.png` }, { outbox, waitMs: 0, stationId: null });
    // warm the engine and the snapshot (forwarded as they come), then hold the queue
    for (let i = 0; i < 3; i++) await inspect(i);
    await outbox.stop();

    // 1. journaling, with the forwarder stopped (nothing else runs): the backlog of step 2 builds up meanwhile
    const journalMs: number[] = [];
    const entryKb: number[] = [];
    const verdictMs: number[] = [];
    for (let i = 0; i < BACKLOG; i++) {
      const r = await inspect(i);
      journalMs.push(r.stages_ms.journal);
      verdictMs.push(r.processing_ms);
      const file = fs.readdirSync(Outbox.dirOf(home)).find((f) => f.includes(r.client_uuid));
      if (file) entryKb.push(Math.round(fs.statSync(path.join(Outbox.dirOf(home), file)).size / 1024));
    }
    const j50 = pct(journalMs, 0.5);
    log(
      `journal stage: p50 ${j50} ms, p95 ${pct(journalMs, 0.95)} ms (entries p50 ${pct(entryKb, 0.5)} KB: picture, verdict, map); whole answer p50 ${pct(verdictMs, 0.5)} ms (${BACKLOG} inspections, 256 px, default models; the artifacts are drawn after the answer)`,
    );

    // 2. the forwarder alone drains the backlog
    const backlog = outbox.depth();
    const t0 = performance.now();
    const drained = await outbox.forwardAll();
    const s = (performance.now() - t0) / 1000;
    const rate = drained.forwarded / s;
    log(`forwarder: ${drained.forwarded} of ${backlog} journaled inspections in ${s.toFixed(2)} s = ${rate.toFixed(1)}/s`);

    // 3. paced at 5/s with the forwarder running beside the inspections
    outbox.start();
    let maxDepth = 0;
    const tStart = performance.now();
    for (let i = 0; i < PACED; i++) {
      const due = tStart + (i * 1000) / RATE_GOAL;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await inspect(i);
      maxDepth = Math.max(maxDepth, outbox.depth());
    }
    const tLast = performance.now();
    const pacedRate = PACED / ((tLast - tStart) / 1000);
    while (outbox.depth() > 0 && performance.now() - tLast < 30_000) await new Promise((r) => setTimeout(r, 20));
    const lag = performance.now() - tLast;
    log(`paced: ${PACED} inspections at ${pacedRate.toFixed(2)}/s, outbox at most ${maxDepth}, empty ${Math.round(lag)} ms after the last`);
    await outbox.stop();

    return [
      { goal: `journaling adds ≤ ${JOURNAL_P50_MS} ms (p50) to the time to verdict at 256 px`, ok: j50 <= JOURNAL_P50_MS, detail: `journal stage p50 ${j50} ms, p95 ${pct(journalMs, 0.95)} ms of an answer p50 ${pct(verdictMs, 0.5)} ms` },
      { goal: `the forwarder writes ≥ ${RATE_GOAL} inspections/s`, ok: rate >= RATE_GOAL, detail: `${drained.forwarded} in ${s.toFixed(2)} s = ${rate.toFixed(1)}/s` },
      {
        goal: `the forwarder keeps up with ${RATE_GOAL} inspections/s on this machine`,
        ok: pacedRate >= RATE_GOAL * 0.95 && maxDepth <= 3 && lag <= 2000,
        detail: `${PACED} inspections at ${pacedRate.toFixed(2)}/s: outbox at most ${maxDepth}, empty ${Math.round(lag)} ms after the last`,
      },
    ];
  } finally {
    await outbox.stop();
    await pipeline.dispose();
    await scratch.drop();
  }
}

export const inspectionOutboxBench: Bench = { name: 'inspection-outbox', run: (url, log, tmp) => bench(url, log, tmp) };
