/**
 * Watch folders against the real PostgreSQL and the shipped default models: 20 files dropped into a folder give
 * exactly 20 inspections, also when the station stops midway (an inspection in flight is cancelled) and comes
 * back while a second station watches the same share; a damaged file is refused once; files still being
 * written are not taken early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { EventBus } from '../events';
import { createTestDb, type TestDb } from '../testing/db';
import { releaseModels } from './engine/models';
import { InspectionPipeline } from './pipeline';
import { thresholdPreview } from './preview';
import { InspectionService } from './service';
import { generateImage, setSpecs } from './synth/generate';
import type { WatchQueueState } from './types';
import { FolderWatcher, listWatchFolders, removeWatchFolder, setWatchFolder } from './watch';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('watch folder', () => {
  let db: TestDb;
  let home: string;
  let watchDir: string;
  let productId: number;
  const bus = new EventBus();
  const queueEvents: WatchQueueState[] = [];
  const station = () => {
    const svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home), bus });
    const pipeline = new InspectionPipeline(svc);
    const watcher = new FolderWatcher(svc, pipeline, { pollMs: 150, stableMs: 300, retryMs: 500, fsWatch: true });
    return { svc, pipeline, watcher };
  };
  const watchCount = async () => (await db.pool.query<{ n: number }>("select count(*)::int as n from inspections where source = 'watch'")).rows[0].n;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-watch-'));
    watchDir = path.join(home, 'line-camera');
    bus.on('inspection.queue', (s) => queueEvents.push(s));
    const { svc, pipeline } = station();
    const product = await svc.ensureProduct('line1');
    productId = product.productId;
    for (const spec of setSpecs({ surface: 'cast', level: 'plain', normals: 8, defectsPerKind: 0, seed: 'watch-ref', size: 128 })) {
      const img = await generateImage(spec);
      await svc.addReferenceImage({ productId, imageType: 'normal', defectTypeId: null, image: { base64: img.png.toString('base64'), fileName: img.name } });
    }
    await pipeline.buildBank('line1', { coresetRatio: 0.25 });
    await pipeline.dispose();
  }, 180_000);

  afterAll(async () => {
    await releaseModels();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('configures a folder per product (created when missing, audited, refused inside the image store)', async () => {
    const { svc } = station();
    const row = await setWatchFolder(svc, { productId, folderPath: watchDir });
    expect(row).toMatchObject({ productCode: 'line1', folderPath: watchDir, isEnabled: true, reachable: true, processed: 0 });
    expect(fs.statSync(watchDir).isDirectory()).toBe(true);
    await expect(setWatchFolder(svc, { productId, folderPath: path.join(home, 'images', 'x') })).rejects.toThrow(/image store/);
    await expect(setWatchFolder(svc, { productId, folderPath: 'relative/dir' })).rejects.toThrow(/absolute/);
    const other = await svc.ensureProduct('line2');
    await expect(setWatchFolder(svc, { productId: other.productId, folderPath: watchDir })).rejects.toThrow(/already the watch folder of line1/);
    await setWatchFolder(svc, { productId: other.productId, folderPath: path.join(home, 'other') });
    expect((await listWatchFolders(svc)).map((w) => w.productCode)).toEqual(['line1', 'line2']);
    expect(await removeWatchFolder(svc, other.productId)).toEqual({ deleted: true });
    const audit = await db.pool.query("select count(*)::int as n from audit_logs where action like 'inspection.watch.%'");
    expect(audit.rows[0].n).toBe(3);
  });

  it('a watcher started before any folder is configured takes a folder set later', async () => {
    const { svc, pipeline, watcher } = station();
    const dir = path.join(home, 'late-folder');
    await removeWatchFolder(svc, productId);
    await watcher.start();
    await sleep(500); // several scans with nothing to watch
    await setWatchFolder(svc, { productId, folderPath: dir });
    await watcher.reload();
    const [spec] = setSpecs({ surface: 'cast', level: 'plain', normals: 1, defectsPerKind: 0, seed: 'watch-late', size: 128 });
    fs.writeFileSync(path.join(dir, 'late.png'), (await generateImage(spec)).png);
    await until(async () => (await db.pool.query("select count(*)::int as n from inspection_watch_files where file_path like $1", [`${dir}%`])).rows[0].n === 1, 30_000, 'the late folder’s file');
    await watcher.stop();
    await pipeline.dispose();
    // back to the folder the next test uses
    await setWatchFolder(svc, { productId, folderPath: watchDir });
    await db.pool.query('delete from inspection_watch_files where file_path like $1', [`${dir}%`]);
    await db.pool.query("delete from inspections where source = 'watch'");
  });

  it('20 files give exactly 20 inspections across a stop midway, a restart and a second station', async () => {
    const specs = [
      ...setSpecs({ surface: 'cast', level: 'plain', normals: 16, defectsPerKind: 0, seed: 'watch-line', size: 128 }),
      ...setSpecs({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 2, kinds: ['hole', 'scratch'], seed: 'watch-line', size: 128 }),
    ];
    expect(specs).toHaveLength(20);
    const images = await Promise.all(specs.map((s) => generateImage(s)));
    const files = images.map((img, i) => ({ name: `cam_${String(i).padStart(3, '0')}.png`, png: img.png }));
    const t0 = performance.now();

    // first batch of 12; one of them written in two halves with a pause (a camera still writing)
    for (const f of files.slice(0, 11)) fs.writeFileSync(path.join(watchDir, f.name), f.png);
    const slow = files[11];
    fs.writeFileSync(path.join(watchDir, slow.name), slow.png.subarray(0, slow.png.length >> 1));
    // a partial download is never taken
    fs.writeFileSync(path.join(watchDir, 'cam_999.png.part'), slow.png);

    const a = station();
    await a.watcher.start();
    setTimeout(() => fs.appendFileSync(path.join(watchDir, slow.name), slow.png.subarray(slow.png.length >> 1)), 250);
    await until(async () => (await watchCount()) >= 5, 120_000, '5 inspections');
    const inFlight = a.watcher.state().processing;
    // the station stops midway: the inspection in flight is cancelled, the queue is dropped
    await a.watcher.stop({ abort: true });
    await a.pipeline.dispose();
    const atStop = await watchCount();
    expect(atStop).toBeGreaterThanOrEqual(5);
    expect(atStop).toBeLessThan(12);

    // while it is down the camera goes on: 8 more files and a damaged one
    for (const f of files.slice(12)) fs.writeFileSync(path.join(watchDir, f.name), f.png);
    fs.writeFileSync(path.join(watchDir, 'cam_broken.png'), Buffer.from('not really a png'));

    // restart, with a second station watching the same share at the same time
    const b = station();
    const c = station();
    await Promise.all([b.watcher.start(), c.watcher.start()]);
    await until(async () => (await watchCount()) >= 20, 180_000, '20 inspections');
    const ms = performance.now() - t0;
    // a few more scans: nothing more is taken
    await sleep(1500);
    await Promise.all([b.watcher.stop(), c.watcher.stop()]);
    await Promise.all([b.pipeline.dispose(), c.pipeline.dispose()]);

    expect(await watchCount()).toBe(20);
    const rows = await db.pool.query<{ file_path: string; status: string; inspection_id: number | null; error: string | null }>(
      'select file_path, status, inspection_id, error from inspection_watch_files order by file_path',
    );
    const inspected = rows.rows.filter((r) => r.status === 'inspected');
    expect(inspected.map((r) => path.basename(r.file_path))).toEqual(files.map((f) => f.name));
    expect(new Set(inspected.map((r) => r.inspection_id)).size).toBe(20);
    const refused = rows.rows.filter((r) => r.status === 'refused');
    expect(refused).toHaveLength(1);
    expect(path.basename(refused[0].file_path)).toBe('cam_broken.png');
    // refused by its first bytes, before it is read whole or decoded
    expect(refused[0].error).toMatch(/not a PNG, JPEG, WebP or TIFF picture/);
    // one inspection per distinct picture, and the half-written file was inspected whole
    const imgs = await db.pool.query<{ n: number; files: number }>(
      "select count(distinct i.sha256)::int as n, count(*)::int as files from inspections ins join images i on i.image_id = ins.test_image_id where ins.source = 'watch'",
    );
    expect(imgs.rows[0]).toEqual({ n: 20, files: 20 });
    const slowRow = await db.pool.query('select i.file_size from inspections ins join images i on i.image_id = ins.test_image_id where i.file_name = $1', [slow.name]);
    expect(Number(slowRow.rows[0].file_size)).toBe(slow.png.length);
    // the queue was reported
    expect(queueEvents.some((e) => e.processing !== null)).toBe(true);
    expect(queueEvents.some((e) => e.pending.length > 0)).toBe(true);

    // a third start with every file present takes nothing
    const d = station();
    await d.watcher.start();
    await sleep(1200);
    expect(d.watcher.state()).toMatchObject({ pending: [], processing: null, processed: 0 });
    await d.watcher.stop();
    await d.pipeline.dispose();
    expect(await watchCount()).toBe(20);
    // the anomaly map is kept beside the other artifacts, at their size, for the client's threshold redraw
    const one = await b.svc.getInspection({ inspectionId: inspected[0].inspection_id! });
    const mapMeta = await sharp(b.svc.store.abs(one.result!.artifacts.anomalyMap!)).metadata();
    const heatMeta = await sharp(b.svc.store.abs(one.result!.artifacts.heatmap!)).metadata();
    expect([mapMeta.width, mapMeta.height, mapMeta.channels]).toEqual([heatMeta.width, heatMeta.height, 1]);
    console.log(`watch: 20 files → 20 inspections in ${(ms / 1000).toFixed(1)} s (stopped after ${atStop}, in flight at stop: ${inFlight?.file ?? 'none'})`);
  }, 400_000);

  it('previews a threshold on the held-out normals, the defect exemplars (scored once per bank) and the history', async () => {
    const { svc, pipeline } = station();
    const hole = await svc.createDefectType({ productId, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4 });
    for (const spec of setSpecs({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 2, kinds: ['hole'], seed: 'watch-ref', size: 128 })) {
      const img = await generateImage(spec);
      await svc.addReferenceImage({ productId, imageType: 'defect', defectTypeId: hole.defectTypeId, image: { base64: img.png.toString('base64'), fileName: img.name } });
    }
    const p = await thresholdPreview(svc, pipeline, productId, 0.85);
    expect(p.cached).toBe(false);
    expect(p.current).toEqual({ imageThreshold: 0.85, pixelThreshold: 0.9 });
    expect(p.normals.items).toHaveLength(8);
    expect(p.normals.flagged).toBe(p.normals.items.filter((x) => x.score >= 0.85).length);
    expect(p.defects.items.map((x) => x.defectCode)).toEqual(['hole', 'hole']);
    expect(p.history.items).toHaveLength(20);
    // at the threshold in force the stored verdicts do not change
    expect(p.history.changed).toBe(0);
    expect(p.history.defectsAt).toBe(p.history.defectsNow);
    // a second call reads the cache; a threshold of ~0 judges everything NG, ~1 nothing
    const low = await thresholdPreview(svc, pipeline, productId, 0.0001);
    expect(low.cached).toBe(true);
    expect(low.defects.items.map((x) => x.score)).toEqual(p.defects.items.map((x) => x.score));
    expect(low.history.defectsAt).toBe(20);
    expect(low.defects.caught).toBe(2);
    const high = await thresholdPreview(svc, pipeline, productId, 0.9999);
    expect(high.normals.flagged).toBe(0);
    expect(high.history.changed).toBe(high.history.defectsNow - high.history.defectsAt);
    await pipeline.dispose();
  });

  it('a station killed with SIGKILL midway and started again inspects each of 20 files exactly once', async () => {
    const dir = path.join(home, 'line-camera-2');
    const { svc } = station();
    await setWatchFolder(svc, { productId, folderPath: dir });
    const specs = setSpecs({ surface: 'cast', level: 'plain', normals: 20, defectsPerKind: 0, seed: 'watch-kill', size: 128 });
    for (const [i, spec] of specs.entries()) fs.writeFileSync(path.join(dir, `kill_${String(i).padStart(3, '0')}.png`), (await generateImage(spec)).png);
    const counted = async () =>
      (await db.pool.query<{ n: number }>("select count(*)::int as n from inspections ins join images i on i.image_id = ins.test_image_id where ins.source = 'watch' and i.file_name like 'kill\\_%'")).rows[0].n;
    const launch = async (): Promise<ChildProcess> => {
      // node itself with tsx's loader (not the tsx wrapper, whose child would survive a SIGKILL of the wrapper)
      const child = spawn(process.execPath, ['--import', 'tsx', 'main/inspection/testing/watch-station.ts', '--database-url', db.url, '--home', home, '--poll-ms', '150', '--stable-ms', '300'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      await until(async () => out.includes('ready') || child.exitCode !== null, 60_000, 'the watch station');
      if (child.exitCode !== null) throw new Error(`watch station exited: ${out}`);
      return child;
    };
    const kill = async (child: ChildProcess) => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
      // really gone: its database sessions end with it (an open transaction is rolled back by the server)
      const q = "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'linedeck-%' and not (pid = any($1::int[]))";
      await until(async () => (await db.pool.query(q, [ours])).rows[0].n === 0, 15_000, 'the killed station’s sessions to end');
    };
    // this process's own sessions (the test's pools), to tell the child's apart
    const ours = (await db.pool.query("select array_agg(pid) as p from pg_stat_activity where datname = current_database()")).rows[0].p ?? [];
    const first = await launch();
    await until(async () => (await counted()) >= 6, 120_000, '6 inspections');
    await kill(first);
    const atKill = await counted();
    expect(atKill).toBeLessThan(20);
    const second = await launch();
    await until(async () => (await counted()) >= 20, 120_000, '20 inspections');
    await sleep(1500);
    await kill(second);
    expect(await counted()).toBe(20);
    const files = await db.pool.query<{ n: number; ids: number }>("select count(*)::int as n, count(distinct inspection_id)::int as ids from inspection_watch_files where file_path like $1 and status = 'inspected'", [`${dir}%`]);
    expect(files.rows[0]).toEqual({ n: 20, ids: 20 });
    console.log(`watch: SIGKILL after ${atKill} of 20; after the restart exactly 20 inspections`);
  }, 300_000);

  it('checks size and kind before reading, records each refusal once, and does not follow links (issue "Security" item 3)', async () => {
    const { svc, pipeline, watcher } = station();
    const dir = path.join(home, 'guarded-camera');
    fs.mkdirSync(dir, { recursive: true });
    await setWatchFolder(svc, { productId, folderPath: dir });
    const good = (await generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'watch-guard', index: 0, size: 128 })).png;
    const outside = path.join(home, 'outside.png');
    fs.writeFileSync(outside, good);
    // a link to a picture elsewhere, a 60 MB file never written (sparse), a text file named .png, and a real frame
    fs.symlinkSync(outside, path.join(dir, 'link.png'));
    const big = fs.openSync(path.join(dir, 'huge.png'), 'w');
    fs.ftruncateSync(big, 60 * 1024 * 1024);
    fs.closeSync(big);
    fs.writeFileSync(path.join(dir, 'notes.png'), 'this is not a picture at all, just text');
    fs.writeFileSync(path.join(dir, 'frame.png'), good);
    await watcher.start();
    try {
      const rows = async () =>
        (await db.pool.query<{ name: string; status: string; error: string | null }>(
          `select regexp_replace(file_path, '^.*/', '') as name, status, error from inspection_watch_files where file_path like $1 order by 1`,
          [`${dir}%`],
        )).rows;
      await until(async () => (await rows()).length >= 3, 60_000, 'three files handled');
      // several more scans: nothing is refused twice, the link is never taken
      await sleep(1500);
      const r = await rows();
      expect(r.map((x) => [x.name, x.status])).toEqual([
        ['frame.png', 'inspected'],
        ['huge.png', 'refused'],
        ['notes.png', 'refused'],
      ]);
      expect(r.find((x) => x.name === 'huge.png')!.error).toMatch(/larger than 50 MB/);
      expect(r.find((x) => x.name === 'notes.png')!.error).toMatch(/not a PNG, JPEG, WebP or TIFF/);
    } finally {
      await watcher.stop();
      await pipeline.dispose();
      await setWatchFolder(svc, { productId, folderPath: watchDir });
    }
  }, 120_000);
});
