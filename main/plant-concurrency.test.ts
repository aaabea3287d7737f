/**
 * Issue #15 "Plant deployment", acceptance check: three stations inspecting at once while a cylinder resync and a
 * telemetry refresh run — every row, distinct codes.
 *
 * Three station Apps (createApp, each with its own LINEDECK_HOME and so its own station id in station.json, each with
 * its own database pools as three station processes would have) share ONE test database. Each logs a worker in and
 * inspects through its dispatcher exactly as the station screen does (`inspection.inspect`: journaled into the
 * station's outbox, forwarded by the station's running forwarder). At the same time, a manager's console on the same
 * database starts the full cylinder resync (`cylinders.sync`, the managers' button: cy_resync_all over a cold
 * snapshot of PLANT_CYLINDERS demo FCMS cylinders) and the telemetry refresh (`telemetry.refresh`, the job that
 * rebuilds the console's aggregate tables from the invalidation log after PLANT_TELEMETRY_DAYS demo days were
 * loaded). Afterwards: every answered inspection is stored exactly once at the station that answered it, codes are
 * distinct and gap-free per Asia/Seoul day, every inspection has its result, the resync and the refresh agree with
 * their sources, and both really overlapped the inspections.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from './api/events';
import { createApp, type App } from './app';
import { stationPaths } from './config';
import { insertFcmsDemo, insertPolicyDemo } from './cylinders/demo';
import { snapshotDrift } from './cylinders/doctor';
import { createFcmsDemoSchema, ensureCylinderSync } from './cylinders/migrations';
import type { SyncResult } from './cylinders/types';
import { Databases } from './db/pools';
import { inspectionModule } from './inspection/module';
import { generateImage } from './inspection/synth/generate';
import type { InspectOutcome } from './inspection/types';
import { loadStationIdentity } from './stations/identity';
import { seedTelemetryDemo } from './telemetry/demo';
import type { RefreshResult } from './telemetry/refresh';
import { refAggSql } from './telemetry/testing/reference';
import { createTestDb, type TestDb } from './testing/db';
import { until } from './testing/wait';

const CYLINDERS = Number(process.env.PLANT_CYLINDERS ?? 50_000);
const TELEMETRY_DAYS = Number(process.env.PLANT_TELEMETRY_DAYS ?? 4);
const PER_STATION = 15;
const STATIONS = ['a', 'b', 'c'] as const;
const PRODUCT = 'PLANT-1';
const PASSWORD = 'plant-pass-123';

const picture = async (label: 'normal' | 'hole', seed: string, index: number) =>
  (await generateImage({ surface: 'cast', level: 'plain', label, seed, index, size: 128 })).png;


async function login(app: App, username: string): Promise<string> {
  const r = await app.call('auth.login', { username, password: PASSWORD }, { transport: 'test' });
  if (!r.ok) throw new Error(`login ${username}: ${r.error.message}`);
  return (r.value as { sessionId: string }).sessionId;
}

interface Station {
  name: string;
  home: string;
  dbs: Databases;
  app: App;
  stationId: string;
  sessionId: string;
}

interface Answer {
  station: string;
  stationId: string;
  start: number;
  end: number;
  outcome: InspectOutcome;
}

describe('three stations inspecting while a cylinder resync and a telemetry refresh run (issue 15)', () => {
  let db: TestDb;
  const stations: Station[] = [];
  let desk: { home: string; dbs: Databases; app: App; sessionId: string } | undefined;
  const setupMs: Record<string, number> = {};

  beforeAll(async () => {
    let t = Date.now();
    db = await createTestDb({ prefix: 'plant' });
    setupMs.migrate = Date.now() - t;

    // FCMS demo source: the sync installed on empty tables, the policies, then the cylinders loaded with the row
    // triggers paused (as the demo seed does) and no resync: the snapshot is cold, the resync below fills it.
    t = Date.now();
    const c = await db.pool.connect();
    try {
      await c.query('set statement_timeout = 0');
      await createFcmsDemoSchema(c);
      await ensureCylinderSync(c);
      await insertPolicyDemo(c);
      const rowTriggers = [
        ['fcms_cdc.ma_cylinders', 'trigger_sync_cylinder_current_cylinders'],
        ['fcms_cdc.tr_latest_cylinder_statuses', 'trigger_sync_cylinder_current_status'],
      ];
      await c.query('begin');
      for (const [tbl, trg] of rowTriggers) await c.query(`alter table ${tbl} disable trigger ${trg}`);
      const loaded = await insertFcmsDemo(c, CYLINDERS);
      for (const [tbl, trg] of rowTriggers) await c.query(`alter table ${tbl} enable trigger ${trg}`);
      await c.query('commit');
      expect(loaded.cylinders).toBe(CYLINDERS);
      await c.query('analyze');
    } finally {
      c.release();
    }
    expect((await db.pool.query('select count(*)::int as n from cy_cylinder_current')).rows[0].n).toBe(0);
    setupMs.fcms = Date.now() - t;

    // telemetry demo history without its refresh: the invalidation log holds it for the refresh below
    t = Date.now();
    const tel = await seedTelemetryDemo(db.dbs.pool('telemetry', 'job'), { days: TELEMETRY_DAYS, refresh: false });
    expect(tel.telemetry_rows).toBeGreaterThan(0);
    expect((await db.pool.query('select count(*)::int as n from tl_invalidation')).rows[0].n).toBeGreaterThan(0);
    setupMs.telemetry = Date.now() - t;

    // users (one plant database: created once, seen by every station)
    t = Date.now();
    const mk = (dbs: Databases, home: string) => createApp({ dbs, paths: stationPaths(home) });
    const deskHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-plant-desk-'));
    const deskDbs = new Databases({ cylinders: db.url, telemetry: db.url, inspection: db.url });
    const deskApp = mk(deskDbs, deskHome);
    desk = { home: deskHome, dbs: deskDbs, app: deskApp, sessionId: '' };
    await deskApp.services.auth.createUser({ username: 'manager-desk', email: 'manager@plant.io', password: PASSWORD, role: 'manager' });
    for (const s of STATIONS)
      await deskApp.services.auth.createUser({ username: `worker-${s}`, email: `worker-${s}@plant.io`, password: PASSWORD, role: 'worker' });
    desk.sessionId = await login(deskApp, 'manager-desk');

    // the product and its bank, built once (at the desk); every station loads it from the plant database
    const rt = deskApp.instance(inspectionModule);
    await rt.svc.createProduct({ productCode: PRODUCT, productName: '동시 검사 부품', description: null, category: null } as never);
    const normals = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => picture('normal', 'plant-bank', i)));
    await rt.pipeline.buildBank(PRODUCT, { images: normals.map((bytes, i) => ({ bytes, fileName: `n${i}.png` })) });
    setupMs.bank = Date.now() - t;

    // the three stations: own home, own pools, a worker logged in, the forwarder running, the engine warm
    t = Date.now();
    for (const s of STATIONS) {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), `ld-plant-${s}-`));
      const dbs = new Databases({ cylinders: db.url, telemetry: db.url, inspection: db.url });
      const app = mk(dbs, home);
      const rts = app.instance(inspectionModule);
      // only the station's forwarder: app.start() would also run each console's telemetry scheduler (its own
      // refreshes), the station heartbeat, the watch folders and the files upload
      rts.outbox.start();
      stations.push({ name: s, home, dbs, app, stationId: loadStationIdentity(app.services.paths).stationId, sessionId: await login(app, `worker-${s}`) });
    }
    await Promise.all(stations.map((s) => s.app.instance(inspectionModule).pipeline.warm()));
    setupMs.stations = Date.now() - t;
    console.log(`setup (ms): ${JSON.stringify(setupMs)}; ${CYLINDERS} FCMS cylinders, ${tel.telemetry_rows} telemetry rows (${TELEMETRY_DAYS} days)`);
  }, 600_000);

  afterAll(async () => {
    for (const s of [...stations, ...(desk ? [desk] : [])]) {
      await s.app.dispose().catch(() => undefined);
      await s.dbs.close().catch(() => undefined);
      fs.rmSync(s.home, { recursive: true, force: true });
    }
    await db?.drop();
  }, 120_000);

  it(`3 stations × ${PER_STATION} inspections during a full resync and a telemetry refresh: every row, distinct codes`, async () => {
    // station ids: one per home, all different
    expect(new Set(stations.map((s) => s.stationId)).size).toBe(3);
    for (const s of stations) expect(JSON.parse(fs.readFileSync(path.join(s.home, 'station.json'), 'utf8')).stationId).toBe(s.stationId);

    // pictures prepared beforehand (the camera's part, not the station's)
    const pictures = new Map<string, Buffer[]>();
    for (const s of stations)
      pictures.set(s.name, await Promise.all(Array.from({ length: PER_STATION }, (_, i) => picture(i % 5 === 4 ? 'hole' : 'normal', `plant-${s.name}`, i))));

    const deskApp = desk!.app;
    const jobs = new Map<string, JobProgress>();
    const off = deskApp.services.bus.on('job.progress', (e) => {
      if (e.state !== 'running') jobs.set(e.jobId, e);
    });

    const t0 = Date.now();
    const answers: Answer[] = [];
    const failures: string[] = [];
    const runStation = async (s: Station) => {
      for (const [i, bytes] of pictures.get(s.name)!.entries()) {
        const start = Date.now();
        const r = await s.app.call('inspection.inspect', { productCode: PRODUCT, image: { bytes, fileName: `${s.name}-${i}.png` }, source: 'camera' }, { transport: 'test', sessionId: s.sessionId });
        if (!r.ok) failures.push(`${s.name}#${i}: ${r.error.kind} ${r.error.message}`);
        else answers.push({ station: s.name, stationId: s.stationId, start, end: Date.now(), outcome: r.value as InspectOutcome });
      }
    };
    const resync = (async () => {
      const start = Date.now();
      const r = await deskApp.call('cylinders.sync', { wait: true }, { transport: 'test', sessionId: desk!.sessionId });
      if (!r.ok) throw new Error(`cylinders.sync: ${r.error.message}`);
      return { start, end: Date.now(), result: (r.value as { result: SyncResult }).result };
    })();
    const refresh = (async () => {
      const start = Date.now();
      const r = await deskApp.call('telemetry.refresh', {}, { transport: 'test', sessionId: desk!.sessionId });
      if (!r.ok) throw new Error(`telemetry.refresh: ${r.error.message}`);
      const { jobId } = r.value as { jobId: string };
      await until(() => jobs.has(jobId), 170_000);
      const ev = jobs.get(jobId)!;
      return { start, end: Date.now(), state: ev.state, error: ev.error, result: ev.result as RefreshResult };
    })();
    const [sync, ref] = await Promise.all([resync, refresh, ...stations.map(runStation)]);
    const inspectedMs = Date.now() - t0;
    off();

    // every station's journal forwarded
    const drainMs = await until(() => stations.every((s) => s.app.instance(inspectionModule).outbox.depth() === 0), 60_000);

    const firstStart = Math.min(...answers.map((a) => a.start));
    const lastEnd = Math.max(...answers.map((a) => a.end));
    const during = (j: { start: number; end: number }) => answers.filter((a) => a.start < j.end && a.end > j.start);
    const within = (j: { start: number; end: number }) => answers.filter((a) => a.start >= j.start && a.end <= j.end);
    const per = (xs: Answer[]) => STATIONS.map((n) => xs.filter((a) => a.station === n).length).join('/');
    const ms = answers.map((a) => a.end - a.start).sort((x, y) => x - y);
    console.log(
      [
        `inspections: ${answers.length} in ${inspectedMs} ms (per call median ${ms[Math.floor(ms.length / 2)]} ms, max ${ms[ms.length - 1]} ms; ` +
          `${answers.filter((a) => a.outcome.stored).length} answered with their code, ${answers.filter((a) => !a.outcome.stored).length} as waiting to upload); outboxes drained ${drainMs} ms later`,
        `cylinders resync: ${sync.start - t0}..${sync.end - t0} ms (${sync.end - sync.start} ms; server ${sync.result.ms} ms): ` +
          `synced ${sync.result.synced}, changed ${sync.result.changed}, deleted ${sync.result.deleted}; overlapped ${during(sync).length} inspections (${per(during(sync))}), ${per(within(sync))} wholly inside`,
        `telemetry refresh: ${ref.start - t0}..${ref.end - t0} ms (${ref.end - ref.start} ms; job ${ref.result?.ms} ms, ${ref.state}): ` +
          `${JSON.stringify(ref.result?.refreshed)}; overlapped ${during(ref).length} inspections (${per(during(ref))}), ${per(within(ref))} wholly inside`,
        `inspections ran ${firstStart - t0}..${lastEnd - t0} ms`,
      ].join('\n'),
    );

    // every inspection answered
    expect(failures).toEqual([]);
    expect(answers).toHaveLength(3 * PER_STATION);
    for (const a of answers) {
      expect(typeof a.outcome.defect_detected).toBe('boolean');
      expect(a.outcome.client_uuid).toMatch(/^[0-9a-f-]{36}$/);
    }
    // the defective pictures found at every station
    expect(answers.filter((a) => a.outcome.defect_detected).length).toBeGreaterThanOrEqual(3 * Math.floor(PER_STATION / 5));

    // every answered inspection is in the database exactly once, at the station that answered it, with its result
    const rows = (
      await db.pool.query<{ client_uuid: string; inspection_id: number; inspection_code: string; station_id: string; seoul_day: string; inspector: string; results: number }>(
        `select i.client_uuid, i.inspection_id, i.inspection_code, i.station_id,
                to_char(i.inspection_date at time zone 'Asia/Seoul', 'YYYYMMDD') as seoul_day, u.username as inspector,
                (select count(*)::int from inspection_results r where r.inspection_id = i.inspection_id) as results
           from inspections i left join users u on u.user_id = i.inspector_id`,
      )
    ).rows;
    expect(rows).toHaveLength(3 * PER_STATION);
    const byUuid = new Map(rows.map((r) => [r.client_uuid, r]));
    expect(byUuid.size).toBe(rows.length);
    expect(new Set(answers.map((a) => a.outcome.client_uuid))).toEqual(new Set(byUuid.keys()));
    for (const a of answers) {
      const r = byUuid.get(a.outcome.client_uuid)!;
      expect(r.station_id).toBe(a.stationId);
      expect(r.inspector).toBe(`worker-${a.station}`);
      expect(r.results).toBe(1);
      // an answer given with its code gave the stored one
      if (a.outcome.stored) expect([a.outcome.inspection_code, a.outcome.inspectionId]).toEqual([r.inspection_code, r.inspection_id]);
    }
    expect(new Set(rows.map((r) => r.station_id))).toEqual(new Set(stations.map((s) => s.stationId)));
    for (const s of stations) expect(rows.filter((r) => r.station_id === s.stationId)).toHaveLength(PER_STATION);

    // 45 distinct codes, gap-free per Asia/Seoul day (the day of inspection_date), the counter at the last number
    expect(new Set(rows.map((r) => r.inspection_code)).size).toBe(rows.length);
    const days = new Map<string, number[]>();
    for (const r of rows) {
      const m = /^INS-(\d{8})-(\d{4,})$/.exec(r.inspection_code);
      expect(m, r.inspection_code).not.toBeNull();
      expect(m![1]).toBe(r.seoul_day);
      days.set(m![1], [...(days.get(m![1]) ?? []), Number(m![2])]);
    }
    const counters = new Map(
      (await db.pool.query<{ day: string; last_value: number }>(`select to_char(day, 'YYYYMMDD') as day, last_value from inspection_code_counters`)).rows.map((r) => [r.day, r.last_value]),
    );
    for (const [day, nums] of days) {
      expect(nums.sort((x, y) => x - y)).toEqual(Array.from({ length: nums.length }, (_, i) => i + 1));
      expect(counters.get(day)).toBe(nums.length);
    }

    // the resync: every FCMS cylinder computed into the cold snapshot, which now matches the source exactly
    const fcms = (await db.pool.query<{ n: number }>('select count(*)::int as n from fcms_cdc.ma_cylinders')).rows[0].n;
    expect(fcms).toBe(CYLINDERS);
    expect(sync.result).toMatchObject({ synced: fcms, changed: fcms, deleted: 0 });
    expect((await db.pool.query('select count(*)::int as n from cy_cylinder_current')).rows[0].n).toBe(fcms);
    expect(await snapshotDrift(db.pool)).toMatchObject({ fcms, snapshot: fcms, missing: 0, orphaned: 0, differ: 0 });

    // the refresh: completed, from the invalidation log, and its tables agree with the raw rows
    expect(ref.state).toBe('completed');
    expect(ref.error).toBeUndefined();
    expect(ref.result.mode).toBe('postgres');
    expect(ref.result.ranges.length).toBeGreaterThan(0);
    expect((await db.pool.query('select count(*)::int as n from tl_invalidation')).rows[0].n).toBe(0);
    const mismatch = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from (${refAggSql('1h')}) ref
         full join public.influx_agg_1h a on a.bucket = ref.bucket and a.tag_name = ref.tag_name
        where a.bucket is null or ref.bucket is null or a.n <> ref.n or a.min <> ref.min or a.max <> ref.max or abs(a.sum - ref.sum) > 1e-6 * greatest(1, abs(ref.sum))`,
    );
    expect(mismatch.rows[0].n).toBe(0);
    const aggRows = (await db.pool.query<{ n: number }>('select count(*)::int as n from public.influx_agg_1h')).rows[0].n;
    expect(aggRows).toBeGreaterThan(0);

    // both really ran during the inspections, for seconds: each began before the last inspection ended and ended
    // after the first began, and every station made whole inspections (asked and answered) while each ran
    for (const j of [sync, ref]) {
      expect(j.start).toBeLessThan(lastEnd);
      expect(j.end).toBeGreaterThan(firstStart);
      const inside = within(j);
      for (const n of STATIONS) expect(inside.filter((a) => a.station === n).length, `station ${n}'s inspections inside [${j.start - t0}, ${j.end - t0}] ms`).toBeGreaterThanOrEqual(2);
    }
  }, 300_000);
});
