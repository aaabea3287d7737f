/**
 * Shared files (main/files): a large memory bank through the plant database, measured in one run on a scratch
 * database (bench/index.ts runs it as `files`):
 *   - the upload of a bank of LINEDECK_BENCH_BANK_MB (default 100 MB, a WideResNet-50 bank's size) in 1 MiB chunks;
 *   - its first fetch at a second console (streamed into a temp file, verified, renamed into the cache);
 *   - a cached bank's load after that: resolve() on the second console, with a new FileStore each time (as a new
 *     process finds it: the index read from disk, size and mtime compared, no hash, no database) — median of 9,
 *     goal ≤ 50 ms; and the same followed by reading the whole file (what the engine's worker then does), logged.
 * The bank's bytes are random: the blob store never looks inside a file, so a real bank moves at the same speed.
 * Also logged: what the blobs add to an inspection's transaction (persist with its six blobs, ~1.8 MB, against the
 * same record written by a store without the blob store), interleaved rounds, medians.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stationPaths } from '../../main/config';
import { FileStore, sha256Of } from '../../main/files/store';
import { InspectionService } from '../../main/inspection/service';
import { ARTIFACT_NAMES, type ArtifactName, type StoredFile } from '../../main/inspection/stages/artifacts';
import { persist, type InspectionRecord } from '../../main/inspection/stages/persist';
import { ImageStore } from '../../main/inspection/store';
import { migrateAll } from '../../main/migrations';
import type { Goal } from '../goal';
import { createScratchDatabase } from '../scratch';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFiles(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]> {
  const scratch = await createScratchDatabase(baseUrl, `bench_files_${process.pid}`);
  const mb = Number(process.env.LINEDECK_BENCH_BANK_MB ?? 100);
  const home = fs.mkdtempSync(path.join(tmpDir, 'files-'));
  try {
    await migrateAll(scratch.dbs);
    const pool = () => scratch.dbs.pool('inspection', 'job');
    const a = new FileStore(pool, path.join(home, 'a', 'images'));
    const bank = path.join(home, 'bank.ldb');
    const fd = fs.openSync(bank, 'w');
    for (let i = 0; i < mb; i++) fs.writeSync(fd, crypto.randomBytes(1024 * 1024));
    fs.closeSync(fd);

    let t0 = performance.now();
    const put = await a.putFile(bank, 'bank');
    const uploadMs = performance.now() - t0;
    log(`upload of a ${mb} MB bank: ${uploadMs.toFixed(0)} ms (${(mb / (uploadMs / 1000)).toFixed(0)} MB/s, hash + insert + hash again)`);

    const rootB = path.join(home, 'b', 'images');
    const b = new FileStore(pool, rootB);
    t0 = performance.now();
    const file = await b.resolve(put.sha256, 'ldb');
    const firstMs = performance.now() - t0;
    b.flush();
    log(`first fetch at a second console: ${firstMs.toFixed(0)} ms (${(mb / (firstMs / 1000)).toFixed(0)} MB/s, chunks streamed, verified, renamed)`);
    if (fs.statSync(file).size !== put.size) throw new Error('fetched bank has the wrong size');

    const cached: number[] = [];
    const withRead: number[] = [];
    for (let i = 0; i < 9; i++) {
      t0 = performance.now();
      const f = await new FileStore(pool, rootB).resolve(put.sha256, 'ldb');
      cached.push(performance.now() - t0);
      t0 = performance.now();
      await new FileStore(pool, rootB).resolve(put.sha256, 'ldb');
      await fs.promises.readFile(f);
      withRead.push(performance.now() - t0);
    }
    const med = median(cached);
    log(`cached bank resolve (new FileStore each time): median ${med.toFixed(2)} ms of 9 (${cached.map((x) => x.toFixed(1)).join(', ')})`);
    log(`cached resolve + reading the ${mb} MB file: median ${median(withRead).toFixed(0)} ms`);
    await persistCost(scratch.dbs, path.join(home, 'p'), log);
    const firstGoalMs = mb * 100; // 10 MB/s at least
    return [
      { goal: `a cached bank loads (resolved by hash, verified by size/mtime) in ≤ 50 ms after the first fetch`, ok: med <= 50, detail: `median ${med.toFixed(2)} ms of 9; with reading the whole ${mb} MB file ${median(withRead).toFixed(0)} ms` },
      { goal: `first fetch of a ${mb} MB bank at a second console in ≤ ${(firstGoalMs / 1000).toFixed(0)} s`, ok: firstMs <= firstGoalMs, detail: `${firstMs.toFixed(0)} ms (${(mb / (firstMs / 1000)).toFixed(0)} MB/s); upload ${uploadMs.toFixed(0)} ms` },
    ];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
    await scratch.drop();
  }
}

/** persist() of one inspection with its blobs vs without (the same record shape, fresh bytes each time). */
async function persistCost(dbs: Parameters<typeof migrateAll>[0], home: string, log: (s: string) => void): Promise<void> {
  const svc = new InspectionService({ dbs, paths: stationPaths(home) });
  const plain = new ImageStore(path.join(home, 'plain'));
  const admin = { userId: 0, username: 'bench', fullName: null, role: 'admin' as const };
  const p = await svc.createProduct({ productCode: 'benchF', productName: 'benchF', description: null, category: null }, admin);
  const deploymentId = await svc.createDeployment('patchcore_bank', p.productId, {}, admin);
  // sizes as measured for a 512 × 384 picture (inspection README): overlay and comparison stored, maps compressed
  const sizes: Record<ArtifactName, number> = { heatmap: 200_000, mask: 12_000, overlay: 590_000, comparison: 900_000, anomalyMap: 60_000 };
  const file = (n: number, ext: string): StoredFile => {
    const bytes = crypto.randomBytes(n);
    const sha256 = sha256Of(bytes);
    return { bytes, sha256, relPath: ImageStore.contentPath(sha256, ext) };
  };
  const record = (): InspectionRecord => {
    const original = file(250_000, 'png');
    return {
      productId: p.productId,
      deploymentId,
      source: 'camera',
      inspectorId: null,
      at: null,
      processingS: 0.1,
      image: { fileName: 'b.png', sha256: original.sha256, fileSize: original.bytes.length, width: 512, height: 384, format: 'PNG', meta: {} },
      preprocessing: {},
      embedding: null,
      result: { defectDetected: false, defectTypeId: null, referenceImageId: null, confidence: 0.9, anomaly: 0.2, similarity: null, rawAnomaly: 1, rawMaxPatchDistance: 1, imageThreshold: 0.85, pixelThreshold: 0.9, regions: [], details: {}, guideText: null },
      files: { original, artifacts: Object.fromEntries(ARTIFACT_NAMES.map((a) => [a, file(sizes[a], 'png')])) as Record<ArtifactName, StoredFile> },
    };
  };
  const withBlobs: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 17; i++) {
    for (const [store, out] of [[svc.store, withBlobs], [plain, without]] as const) {
      const r = record();
      const t0 = performance.now();
      await persist(svc.read, store, r);
      if (i > 1) out.push(performance.now() - t0);
    }
  }
  const a = median(withBlobs);
  const b = median(without);
  log(`persist of one inspection (~2 MB of files): with its six blobs ${a.toFixed(1)} ms, without ${b.toFixed(1)} ms (median of 15, interleaved): +${(a - b).toFixed(1)} ms`);
}
