/**
 * Store and forward against a real PostgreSQL server that the test stops and starts (issue "Plant deployment"):
 * inspections answer with a verdict while the server is away, and every one reaches the database once it is back,
 * none twice.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/auth';
import { stationPaths } from '../config';
import { Databases } from '../db/pools';
import type { AppServices } from '../domain';
import { EventBus } from '../events';
import { JobRunner } from '../jobs/jobs';
import { migrateAll } from '../migrations';
import { startTestServer, type TestServer } from '../testing/server';
import { stationsModule } from '../stations/module';
import { runCliInProcess } from '../testing/cli';
import { createInspectionRuntime, type InspectionRuntime } from './runtime';
import { generateImage } from './synth/generate';
import type { Artifacts, InspectOutcome } from './types';
import { until } from '../testing/wait';
import { decodeEntry } from '../lib/journal';
import { Outbox } from './outbox';
import { InspectionPipeline } from './pipeline';

const image = async (label: 'normal' | 'hole', index: number) =>
  (await generateImage({ surface: 'cast', level: 'plain', label, seed: 'outbox', index, size: 128 })).png;


describe('store and forward through a database outage', () => {
  let server: TestServer;
  let dbs: Databases;
  let home: string;
  let rt: InspectionRuntime;
  let services: AppServices;
  /** the artifacts of each verdict, drawn after it (the verdict before the paperwork) */
  const drawn = new Map<string, Artifacts>();
  const stored: { clientUuid: string; inspectionCode: string }[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    // a short connection timeout: the outage is noticed at once
    dbs = new Databases({ cylinders: server.url, telemetry: server.url, inspection: server.url }, { connectionTimeoutMs: 1000 });
    await migrateAll(dbs);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-outbox-'));
    const bus = new EventBus();
    bus.on('inspection.stored', (e) => stored.push(e));
    bus.on('inspection.drawn', (e) => drawn.set(e.clientUuid, e.artifacts));
    services = { dbs, paths: stationPaths(home), bus, jobs: new JobRunner(bus), auth: new AuthService(dbs.pool('inspection')), reports: {}, disposers: [] };
    rt = createInspectionRuntime(services);
    await rt.svc.createProduct({ productCode: 'OUT-1', productName: '정전 시험 부품', description: null, category: null } as never);
    const normals = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => image('normal', i)));
    await rt.pipeline.buildBank('OUT-1', { images: normals.map((bytes, i) => ({ bytes, fileName: `n${i}.png` })) });
    rt.outbox.start();
  }, 240_000);

  afterAll(async () => {
    for (const d of services?.disposers.splice(0).reverse() ?? []) await d();
    await dbs?.close();
    await server?.destroy();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('30 inspections (10 before, 10 during, 10 after the outage) all answer, and all 30 are stored once', async () => {
    const inspect = async (i: number) =>
      rt.pipeline.inspect('OUT-1', { bytes: await image(i % 4 === 3 ? 'hole' : 'normal', 100 + i), fileName: `line-${i}.png` }, {
        source: 'camera',
        outbox: rt.outbox,
        waitMs: 1500,
        stationId: rt.stationId(),
      });
    const answers: InspectOutcome[] = [];
    for (let i = 0; i < 10; i++) answers.push(await inspect(i));
    // online: each answer already has its code
    expect(answers.every((a) => a.stored && /^INS-\d{8}-\d{4}$/.test(a.inspection_code!))).toBe(true);
    // the station's snapshot of the product is on disk before the outage
    await until(() => fs.existsSync(path.join(home, 'cache', 'products')) && fs.readdirSync(path.join(home, 'cache', 'products')).length > 0, 10_000);

    await server.stop();
    const during: InspectOutcome[] = [];
    for (let i = 10; i < 20; i++) during.push(await inspect(i));
    answers.push(...during);
    // every one has a verdict and waits to be uploaded; its artifacts follow the verdict, drawn on this station
    for (const a of during) {
      expect(a).toMatchObject({ stored: false, inspection_code: null, inspectionId: null });
      expect(typeof a.defect_detected).toBe('boolean');
      expect(a.anomaly_score).toBeGreaterThanOrEqual(0);
      await until(() => drawn.has(a.client_uuid), 10_000, `the artifacts of ${a.client_uuid}`);
      expect(fs.existsSync(path.join(home, 'images', drawn.get(a.client_uuid)!.heatmap!))).toBe(true);
    }
    expect(rt.outbox.depth()).toBe(10);
    expect(rt.outbox.databaseAway()).not.toBeNull();
    // the defective pictures are judged the same way offline
    expect(during.filter((a, k) => (10 + k) % 4 === 3).every((a) => a.defect_detected)).toBe(true);

    await server.start();
    const restarted = Date.now();
    for (let i = 20; i < 30; i++) answers.push(await inspect(i));
    const ms = await until(() => rt.outbox.depth() === 0, 60_000);
    expect(Date.now() - restarted).toBeLessThan(60_000);
    console.log(`outbox drained ${ms} ms after the last inspection, ${Date.now() - restarted} ms after the restart`);

    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      const r = await c.query<{ client_uuid: string; inspection_code: string; station_id: string; inspection_date: Date; received_at: Date }>(
        'select client_uuid, inspection_code, station_id, inspection_date, received_at from inspections',
      );
      expect(r.rows).toHaveLength(30);
      const uuids = new Set(r.rows.map((x) => x.client_uuid));
      expect(uuids).toEqual(new Set(answers.map((a) => a.client_uuid)));
      expect(new Set(r.rows.map((x) => x.inspection_code)).size).toBe(30);
      expect(new Set(r.rows.map((x) => x.station_id))).toEqual(new Set([rt.stationId()]));
      // journaled inspections keep the station's capture time; they arrived later
      const late = r.rows.filter((x) => during.some((a) => a.client_uuid === x.client_uuid));
      expect(late.every((x) => x.received_at.getTime() - x.inspection_date.getTime() > 500)).toBe(true);
      // every result's files are in the shared store
      const files = await c.query<{ missing: string }>(
        `select count(*)::int as missing from inspections i join inspection_results r using (inspection_id)
          where not exists (select 1 from file_blobs b where r.heatmap_path like '%' || b.sha256 || '%')`,
      );
      expect(files.rows[0].missing).toBe(0);
    } finally {
      await c.end();
    }
    // the screen was told each code
    expect(new Set(stored.map((s) => s.clientUuid))).toEqual(new Set(answers.map((a) => a.client_uuid)));
  }, 300_000);

  it('a crash after the verdict loses nothing: the forwarder draws the same artifacts again from the journal', async () => {
    await rt.outbox.stop();
    try {
      const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('hole', 550), fileName: 'crash.png' }, { outbox: rt.outbox, waitMs: 0, stationId: rt.stationId() });
      expect(a).toMatchObject({ stored: false, artifacts: { original: expect.any(String), heatmap: null, overlay: null } });
      await until(() => drawn.has(a.client_uuid), 10_000, 'the artifacts after the verdict');
      // what a restarted station finds: the journal entry, and none of this process's memory
      const dir = Outbox.dirOf(home);
      const file = fs.readdirSync(dir).find((f) => f.includes(a.client_uuid))!;
      const entry = decodeEntry(fs.readFileSync(path.join(dir, file)), file);
      expect(Object.keys(entry.blobs).sort()).toEqual(['embedding', 'map', 'original']);
      const fresh = new InspectionPipeline(rt.pipeline.svc);
      try {
        const row = await fresh.forwardInspection(entry);
        expect(row.artifacts).toEqual(drawn.get(a.client_uuid));
      } finally {
        await fresh.dispose();
      }
    } finally {
      rt.outbox.start();
    }
    await until(() => rt.outbox.depth() === 0, 30_000, 'the outbox to drain');
  }, 120_000);

  it('a replayed entry writes nothing twice', async () => {
    const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('normal', 500), fileName: 'replay.png' }, { outbox: rt.outbox, waitMs: 5000, stationId: rt.stationId() });
    expect(a.stored).toBe(true);
    // the same entry again (a crash between the commit and the removal): the handler answers the same row
    const entry = { id: a.client_uuid, kind: 'inspection', created: new Date().toISOString(), data: null, blobs: {} };
    const again = await rt.pipeline.forwardInspection({ ...entry, data: { productCode: 'OUT-1', record: { files: { original: { relPath: 'x', sha256: 'x' }, artifacts: Object.fromEntries(['heatmap', 'mask', 'overlay', 'comparison', 'anomalyMap'].map((n) => [n, { relPath: n, sha256: n }])) } } } } as never);
    expect(again).toMatchObject({ clientUuid: a.client_uuid, inspectionId: a.inspectionId, inspectionCode: a.inspection_code });
    const n = await dbs.pool('inspection').query('select count(*)::int as n from inspections where client_uuid = $1', [a.client_uuid]);
    expect(n.rows[0].n).toBe(1);
  }, 120_000);

  it('the station reports its outbox depth, its models and its last inspection in the stations list', async () => {
    // the stations module over the same services: it asks the inspection module's reports at each heartbeat
    const stations = stationsModule.create(services).svc;
    await rt.outbox.stop();
    const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('normal', 600), fileName: 'held.png' }, { outbox: rt.outbox, waitMs: 0, stationId: rt.stationId() });
    expect(a.stored).toBe(false);
    await stations.heartbeat();
    let me = (await stations.list()).stations.find((x) => x.stationId === rt.stationId())!;
    expect(me).toMatchObject({ outboxDepth: 1, modelsInUse: { backbone: expect.any(String), embedding: expect.any(String) } });
    rt.outbox.start();
    await until(() => rt.outbox.depth() === 0, 30_000);
    await stations.heartbeat();
    me = (await stations.list()).stations.find((x) => x.stationId === rt.stationId())!;
    const code = (await dbs.pool('inspection').query('select inspection_code from inspections where client_uuid = $1', [a.client_uuid])).rows[0].inspection_code;
    expect(me).toMatchObject({ outboxDepth: 0, lastInspectionCode: code });
  }, 120_000);

  it('actions and feedback on a verdict waiting to upload, or with the database away, queue behind it and are written once', async () => {
    const worker = { userId: 0, username: 'cli', fullName: null, role: 'worker' } as never;
    await rt.outbox.stop();
    const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('hole', 700), fileName: 'act.png' }, { outbox: rt.outbox, waitMs: 0, stationId: rt.stationId() });
    expect(a.stored).toBe(false);
    const act = await rt.followUps.action({ clientUuid: a.client_uuid, actionTaken: '재작업', actionResult: 'resolved', notes: null }, worker);
    const fb = await rt.followUps.feedback({ clientUuid: a.client_uuid, rating: 4, feedbackText: null, feedbackType: 'guide_quality' }, worker);
    expect(act).toMatchObject({ queued: true });
    expect(fb).toMatchObject({ queued: true });
    expect(rt.outbox.list().map((x) => x.kind)).toEqual(['inspection', 'action', 'feedback']);
    rt.outbox.start();
    await until(() => rt.outbox.depth() === 0, 30_000);
    const pool = dbs.pool('inspection');
    const id = (await pool.query('select inspection_id from inspections where client_uuid = $1', [a.client_uuid])).rows[0].inspection_id;
    const acts = await pool.query('select client_uuid, action_taken from action_logs where inspection_id = $1', [id]);
    expect(acts.rows).toEqual([{ client_uuid: (act as { clientUuid: string }).clientUuid, action_taken: '재작업' }]);
    const fbs = await pool.query('select client_uuid, rating from feedbacks where inspection_id = $1', [id]);
    expect(fbs.rows).toEqual([{ client_uuid: (fb as { clientUuid: string }).clientUuid, rating: 4 }]);
    // the inspection is in the database now: an action by its UUID is written at once
    const now = await rt.followUps.action({ clientUuid: a.client_uuid, actionTaken: '확인', actionResult: 'resolved', notes: null }, worker);
    expect(now).toMatchObject({ inspectionId: id, actionTaken: '확인' });

    // the database away: an action on a stored inspection queues too, and is written when it is back
    await server.stop();
    try {
      const away = await rt.followUps.action({ inspectionId: id, actionTaken: '정전 중 조치', actionResult: 'pending', notes: null }, worker);
      expect(away).toMatchObject({ queued: true });
    } finally {
      await server.start();
    }
    await until(() => rt.outbox.depth() === 0, 60_000);
    const n = await pool.query('select count(*)::int as n from action_logs where inspection_id = $1', [id]);
    expect(n.rows[0].n).toBe(3);
  }, 180_000);

  it('linedeck outbox lists the queue without the database and --forward writes it (exit 1 while the database is away)', async () => {
    await rt.outbox.stop();
    const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('normal', 800), fileName: 'cli.png' }, { outbox: rt.outbox, waitMs: 0, stationId: rt.stationId() });
    const cli = (...args: string[]) => runCliInProcess(['--home', home, '--database-url', server.url, ...args]);
    await server.stop();
    try {
      const list = await cli('outbox', '--json');
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toMatchObject({ pending: 1, forwarded: 0, items: [{ uuid: a.client_uuid, kind: 'inspection', attempts: 0, last_error: null }] });
      const away = await cli('outbox', '--forward', '--json');
      expect(away.code).toBe(1);
      expect(away.stderr).toMatch(/still waiting/);
    } finally {
      await server.start();
    }
    const fwd = await cli('outbox', '--forward', '--json');
    expect(fwd.code, fwd.stderr).toBe(0);
    expect(JSON.parse(fwd.stdout)).toMatchObject({ pending: 0, forwarded: 1, items: [] });
    const n = await dbs.pool('inspection').query('select count(*)::int as n from inspections where client_uuid = $1', [a.client_uuid]);
    expect(n.rows[0].n).toBe(1);
    rt.outbox.start();
  }, 120_000);

  it('linedeck inspection get fetches an inspection with its image and artifacts from another machine', async () => {
    const a = await rt.pipeline.inspect('OUT-1', { bytes: await image('hole', 900), fileName: 'get.png' }, { outbox: rt.outbox, waitMs: 10_000, stationId: rt.stationId() });
    expect(a.stored).toBe(true);
    // another console: its own LINEDECK_HOME, nothing cached
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-outbox-other-'));
    const out = path.join(other, 'out');
    try {
      const r = await runCliInProcess(['--home', other, '--database-url', server.url, 'inspection', 'get', a.inspection_code!, '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res).toEqual({ inspection_code: a.inspection_code, files: ['inspection.json', 'image.png', 'heatmap.png', 'mask.png', 'overlay.png', 'comparison.png', 'map.png'] });
      const detail = JSON.parse(fs.readFileSync(path.join(out, 'inspection.json'), 'utf8'));
      expect(detail).toMatchObject({ inspectionCode: a.inspection_code, defectDetected: a.defect_detected });
      // byte for byte what the station wrote
      for (const [file, rel] of [['image.png', a.artifacts.original], ['heatmap.png', a.artifacts.heatmap], ['overlay.png', a.artifacts.overlay]] as const)
        expect(fs.readFileSync(path.join(out, file)).equals(fs.readFileSync(path.join(home, 'images', rel!)))).toBe(true);
      const bad = await runCliInProcess(['--home', other, '--database-url', server.url, 'inspection', 'get', 'INS-20000101-0001', '--out', out, '--json']);
      expect(bad.code).toBe(1);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  }, 120_000);
});
