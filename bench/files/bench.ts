/**
 * Shared files (main/files): a large memory bank through the plant database, measured in one run on a scratch
 * database (bench/index.ts runs it as `files`):
 *   - the upload of a bank of LINEDECK_BENCH_BANK_MB (default 100 MB, a WideResNet-50 bank's size) in 1 MiB chunks;
 *   - its first fetch at a second console (streamed into a temp file, verified, renamed into the cache);
 *   - a cached bank's load after that: resolve() on the second console, with a new FileStore each time (as a new
 *     process finds it: the index read from disk, size and mtime compared, no hash, no database) — median of 9,
 *     goal ≤ 50 ms; and the same followed by reading the whole file (what the engine's worker then does), logged.
 * The bank's bytes are random: the blob store never looks inside a file, so a real bank moves at the same speed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '../../main/files/store';
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
