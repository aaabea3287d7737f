/** Registration, heartbeats, states (Plant rule 6), renames and roles, on a real database. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SessionUser } from '../api/kit';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { APP_VERSION } from '../version';
import { stationsModule } from './module';
import { StationsService, startStationHeartbeat } from './service';
import type { StationRow, StationsList } from './types';

const admin: SessionUser = { userId: 1, username: 'admin', fullName: null, role: 'admin' };
const manager: SessionUser = { userId: 2, username: 'manager1', fullName: null, role: 'manager' };
const worker: SessionUser = { userId: 4, username: 'worker1', fullName: null, role: 'worker' };
const viewer: SessionUser = { userId: 3, username: 'viewer1', fullName: null, role: 'viewer' };

const tmpHome = () => stationPaths(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stations-')));

describe('stations', () => {
  let db: TestDb;
  const apps: App[] = [];
  const newApp = (paths = tmpHome()) => {
    const app = createApp({ dbs: db.dbs, paths });
    apps.push(app);
    return app;
  };
  const value = <T>(r: { ok: boolean; value?: unknown; error?: unknown }): T => {
    if (!r.ok) throw new Error(`call failed: ${JSON.stringify(r.error)}`);
    return r.value as T;
  };
  const rows = async () => (await db.pool.query('select * from stations order by registered_at, station_id')).rows;

  beforeAll(async () => {
    db = await createTestDb();
  });
  beforeEach(async () => {
    await db.pool.query('delete from stations');
  });
  afterAll(async () => {
    for (const a of apps) await a.dispose();
    await db?.drop();
  });

  it('the module registers a starting console and a restart is the same station (same id, one row)', async () => {
    const paths = tmpHome();
    const first = newApp(paths);
    const stations = first.instances().find((b) => b.module === stationsModule)!.instance;
    stations.start!({ demo: false });
    await vi.waitFor(async () => expect(await rows()).toHaveLength(1), { timeout: 10_000 });
    const [r1] = await rows();
    const id = JSON.parse(fs.readFileSync(path.join(paths.home, 'station.json'), 'utf8')).stationId;
    // the models are the inspection module's report (the shipped defaults here)
    expect(r1).toMatchObject({
      station_id: id,
      name: os.hostname(),
      host: os.hostname(),
      kind: 'station',
      app_version: APP_VERSION,
      outbox_depth: 0,
      models_in_use: { backbone: 'linedeck-patchcore-default', embedding: 'linedeck-embed-default' },
      heartbeat_interval_ms: 15_000,
    });
    await first.dispose();

    // the restart: a new App on the same LINEDECK_HOME
    const second = newApp(paths);
    await db.pool.query(`update stations set last_heartbeat = now() - interval '1 hour'`);
    const r = await second.instance(stationsModule).svc.heartbeat();
    expect(r).toEqual({ registered: false, stationId: id });
    const after = await rows();
    expect(after).toHaveLength(1);
    expect(after[0].station_id).toBe(id);
    expect(after[0].registered_at).toEqual(r1.registered_at);
    expect(Date.now() - after[0].last_heartbeat.getTime()).toBeLessThan(60_000);
  });

  it('the app version matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(APP_VERSION).toBe(pkg.version);
  });

  it('a heartbeat updates the time, version, models and outbox depth; the kind comes from config.json', async () => {
    const paths = tmpHome();
    fs.writeFileSync(paths.configFile, JSON.stringify({ stationKind: 'desk' }));
    const svc = newApp(paths).instance(stationsModule).svc;
    expect((await svc.heartbeat()).registered).toBe(true);
    await db.pool.query(`update stations set last_heartbeat = now() - interval '1 hour', app_version = '0.0.1'`);
    svc.setModelsProvider(() => ({ backbone: 'wrn50-l2l3', embedding: 'clip-vit-b32' }));
    let depth = 7;
    svc.setOutboxDepthProvider(async () => depth);
    await svc.heartbeat();
    let [r] = await rows();
    expect(r).toMatchObject({ kind: 'desk', app_version: APP_VERSION, models_in_use: { backbone: 'wrn50-l2l3', embedding: 'clip-vit-b32' }, outbox_depth: 7 });
    expect(Date.now() - r.last_heartbeat.getTime()).toBeLessThan(60_000);
    // a provider that fails does not stop the heartbeat
    svc.setModelsProvider(() => {
      throw new Error('engine not ready');
    });
    depth = 0;
    await svc.heartbeat();
    [r] = await rows();
    expect(r).toMatchObject({ models_in_use: null, outbox_depth: 0 });
  });

  it('the heartbeat loop keeps the station online; an outage is logged once and retried at every tick', async () => {
    const svc = new StationsService(db.dbs, tmpHome(), { intervalMs: 40 });
    const beat = vi.spyOn(svc, 'heartbeat');
    const logger = { warn: vi.fn(), info: vi.fn() };
    const stop = startStationHeartbeat(svc, { logger });
    try {
      await vi.waitFor(() => expect(logger.info).toHaveBeenCalledWith(expect.anything(), 'station registered'));
      await db.pool.query(`update stations set last_heartbeat = now() - interval '1 hour'`);
      await vi.waitFor(async () => expect(Date.now() - (await rows())[0].last_heartbeat.getTime()).toBeLessThan(60_000));

      // the database "goes away" for the heartbeat: its table is gone
      await db.pool.query('alter table stations rename to stations_away');
      const before = beat.mock.calls.length;
      await vi.waitFor(() => expect(beat.mock.calls.length).toBeGreaterThan(before + 4), { timeout: 5_000 });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0][1]).toContain('station heartbeat failed');
      await db.pool.query('alter table stations_away rename to stations');
      await vi.waitFor(() => expect(logger.info).toHaveBeenCalledWith(expect.objectContaining({ failures: expect.any(Number) }), 'station heartbeat restored'));

      // a second outage is logged again, once
      await db.pool.query('alter table stations rename to stations_away');
      const again = beat.mock.calls.length;
      await vi.waitFor(() => expect(beat.mock.calls.length).toBeGreaterThan(again + 3), { timeout: 5_000 });
      expect(logger.warn).toHaveBeenCalledTimes(2);
    } finally {
      await db.pool.query('alter table if exists stations_away rename to stations');
      await stop();
    }
    // stopped: no more ticks
    const n = beat.mock.calls.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(beat.mock.calls.length).toBe(n);
  });

  it('two consoles on one host name get distinct names', async () => {
    const a = newApp().instance(stationsModule).svc;
    const b = newApp().instance(stationsModule).svc;
    await a.heartbeat();
    const rb = await b.heartbeat();
    const names = (await rows()).map((r) => r.name);
    expect(names).toEqual([os.hostname(), `${os.hostname().slice(0, 55)}-${rb.stationId.slice(0, 8)}`]);
  });

  it('states follow Plant rule 6: online under 3 intervals, late up to 10, offline after — by the database clock', async () => {
    const ages: [string, number, number][] = [
      // name, seconds since the heartbeat, interval ms
      ['fresh', 1, 15_000],
      ['online-44s', 44, 15_000],
      ['late-46s', 46, 15_000],
      ['late-149s', 149, 15_000],
      ['offline-151s', 151, 15_000],
      ['offline-day', 86_400, 15_000],
      ['slow-online-100s', 100, 60_000],
      ['fast-late-5s', 5, 1_000],
      ['fast-offline-12s', 12, 1_000],
    ];
    for (const [name, age, ms] of ages)
      await db.pool.query(
        `insert into stations (station_id, name, host, kind, app_version, heartbeat_interval_ms, last_heartbeat)
         values (gen_random_uuid(), $1, 'pc', 'station', '0.1.0', $3, now() - make_interval(secs => $2))`,
        [name, age, ms],
      );
    const app = newApp();
    const l = value<StationsList>(await app.call('stations.list', {}, { transport: 'cli', user: viewer }));
    const state = Object.fromEntries(l.stations.map((s) => [s.name, s.state]));
    expect(state).toEqual({
      fresh: 'online',
      'online-44s': 'online',
      'late-46s': 'late',
      'late-149s': 'late',
      'offline-151s': 'offline',
      'offline-day': 'offline',
      'slow-online-100s': 'online',
      'fast-late-5s': 'late',
      'fast-offline-12s': 'offline',
    });
    const late = l.stations.find((s) => s.name === 'late-46s')!;
    expect(late.secondsSinceHeartbeat).toBeGreaterThanOrEqual(46);
    expect(late.lastHeartbeat).toMatch(/Z$/);
    expect(late.lastInspectionAt).toBeNull();
    expect(l.now).toMatch(/Z$/);
    expect(l.self).toBeNull(); // this App never registered
  });

  it('admins rename (audited; unique regardless of case); viewers list; workers and managers cannot rename', async () => {
    const app = newApp();
    const svc = app.instance(stationsModule).svc;
    const { stationId } = await svc.heartbeat();
    const other = await newApp().instance(stationsModule).svc.heartbeat();
    const call = (name: string, input: unknown, user: SessionUser) => app.call(name, input, { transport: 'cli', user });

    const listed = value<StationsList>(await call('stations.list', {}, viewer));
    expect(listed.stations).toHaveLength(2);
    expect(listed.self).toBe(stationId);

    expect(await call('stations.rename', { stationId, name: 'Line 1 검사' }, worker)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call('stations.rename', { stationId, name: 'Line 1 검사' }, manager)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call('stations.rename', { stationId, name: 'Line 1 검사' }, viewer)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect((await rows()).map((r) => r.name)).not.toContain('Line 1 검사');

    const renamed = value<StationRow>(await call('stations.rename', { stationId, name: '  Line 1 검사 ' }, admin));
    expect(renamed).toMatchObject({ stationId, name: 'Line 1 검사', state: 'online' });
    const audit = await db.pool.query(`select * from audit_logs where action = 'stations.rename' order by log_id`);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ table_name: 'stations', operation: 'UPDATE', username: 'admin', user_id: 1, target: stationId, old_data: { name: os.hostname() }, new_data: { name: 'Line 1 검사' } });

    // a heartbeat keeps the admin's name
    await svc.heartbeat();
    expect((await rows()).find((r) => r.station_id === stationId)!.name).toBe('Line 1 검사');

    // another station cannot take the name, in any case; nothing changes, nothing is audited
    const taken = await call('stations.rename', { stationId: other.stationId, name: 'LINE 1 검사' }, admin);
    expect(taken).toMatchObject({ ok: false, error: { kind: 'conflict', message: expect.stringContaining('already named') } });
    expect((await rows()).find((r) => r.station_id === other.stationId)!.name).not.toBe('LINE 1 검사');
    // the station itself may change the case of its name
    expect(value<StationRow>(await call('stations.rename', { stationId, name: 'LINE 1 검사' }, admin)).name).toBe('LINE 1 검사');
    expect((await db.pool.query(`select count(*)::int as n from audit_logs where action = 'stations.rename'`)).rows[0].n).toBe(2);

    expect(await call('stations.rename', { stationId: '00000000-0000-4000-8000-000000000000', name: 'x' }, admin)).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    expect(await call('stations.rename', { stationId, name: '   ' }, admin)).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('stations.rename', { stationId, name: 'x'.repeat(65) }, admin)).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('stations.rename', { stationId: 'nope', name: 'x' }, admin)).toMatchObject({ ok: false, error: { kind: 'validation' } });
  });
});
