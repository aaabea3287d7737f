/**
 * The telemetry service as the screens use it: caches, stale answers and recovery when the database goes away
 * (a real TCP proxy in front of the real PostgreSQL is cut and restored), statement timeouts, the procedures with
 * their roles, validation and audit, the refresh job, the scheduler and the simulator.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../app';
import type { SessionUser } from '../api/kit';
import { stationPaths } from '../config';
import { Databases } from '../db/pools';
import { createTestDb, type TestDb } from '../testing/db';
import type { JobProgress } from '../api/events';
import { loadFixture } from './testing/fixture';
import * as Q from './queries';
import { refreshTelemetry } from './refresh';
import { TelemetryService, startTelemetryScheduler } from './service';
import type { CommResult, Expectation, KpiResult, TagInfo } from './types';
import { startTelemetrySimulator } from './simulator';
import { DEMO_TAGS } from './demo';
import { telemetryModule } from './module';

interface Proxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to PostgreSQL that can be cut (listener closed, live connections destroyed) and restored. */
async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      if (server.listening) server.close(() => r());
      else r();
    });
  return {
    port,
    cut: stop,
    restore: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    close: stop,
  };
}

const MANAGER: SessionUser = { userId: 7, username: 'mgr', fullName: null, role: 'manager' };
const VIEWER: SessionUser = { userId: 8, username: 'view', fullName: null, role: 'viewer' };
const NOW = '2025-03-02T12:00:00Z';

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('telemetry service', () => {
  let db: TestDb;
  let app: App;
  beforeAll(async () => {
    db = await createTestDb({ prefix: 'tls' });
    await loadFixture(db.pool);
    await refreshTelemetry(db.pool);
    app = createApp({ dbs: db.dbs, paths: stationPaths(path.join(os.tmpdir(), `ld-${db.name}`)) });
  });
  afterAll(async () => {
    await app?.dispose();
    await db?.drop();
  });

  it('caches per TTL and shares one query among concurrent callers', async () => {
    const svc = new TelemetryService(db.dbs);
    const spy = vi.spyOn(svc.read, 'query');
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => svc.kpi({ window: '24h', now: NOW })));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(new Set(all.map((r) => r.servedAt)).size).toBe(1);
    const again = await svc.kpi({ window: '24h', now: NOW });
    expect(again).toMatchObject({ cacheHit: true, stale: false, servedAt: all[0].servedAt });
    expect(spy).toHaveBeenCalledTimes(1);
    // the snapshot is never served from the cache while the database answers (TTL 0)
    await svc.latest({ now: NOW });
    const l2 = await svc.latest({ now: NOW });
    expect(l2.cacheHit).toBe(false);
    spy.mockRestore();
    svc.dispose();
  });

  it('serves the last good answer, stale, while the database is gone, and recovers without a restart', async () => {
    const proxy = await startProxy(Number(new URL(db.url).port));
    const u = new URL(db.url);
    u.port = String(proxy.port);
    const dbs = new Databases({ telemetry: u.toString(), cylinders: u.toString(), inspection: u.toString() }, { connectionTimeoutMs: 1000 });
    const svc = new TelemetryService(dbs, { ttl: { metricsMs: 0, snapshotMs: 0 }, backoffMs: [200, 400, 800] });
    try {
      const first = await svc.kpi({ window: '24h', now: NOW });
      expect(first.stale).toBe(false);
      const latest = await svc.latest({ now: NOW });
      await proxy.cut();
      const stale = await svc.kpi({ window: '24h', now: NOW });
      expect(stale.stale).toBe(true);
      expect(stale.servedAt).toBe(first.servedAt);
      expect(stale.notice?.code).toBe('DB_CONN');
      expect(stale.notice?.message).toMatch(/^Cannot reach the telemetry database/);
      expect(stale.tiles).toEqual(first.tiles);
      expect(svc.databaseDown).toBe(true);
      // while down: answered at once from the cache (the snapshot too, though its TTL is 0) …
      const t0 = Date.now();
      expect((await svc.latest({ now: NOW })).stale).toBe(true);
      expect((await svc.latest({ now: NOW })).rows).toEqual(latest.rows);
      expect(Date.now() - t0).toBeLessThan(200);
      // … and with nothing cached, the standard message as an `unavailable` error
      await expect(svc.trend({ tag: 'T100', bucket: '1h', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' })).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/^Cannot reach the telemetry database .*retrying in \d+ s\.$/),
      });
      await new Promise((r) => setTimeout(r, 700)); // a couple of failed probes
      expect(svc.databaseDown).toBe(true);
      await proxy.restore();
      await until(() => !svc.databaseDown);
      const fresh = await svc.kpi({ window: '24h', now: NOW });
      expect(fresh.stale).toBe(false);
      expect(Date.parse(fresh.servedAt)).toBeGreaterThan(Date.parse(first.servedAt));
      expect((await svc.trend({ tag: 'T100', bucket: '1h', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' })).rows).toHaveLength(24);
    } finally {
      svc.dispose();
      await dbs.close();
      await proxy.close();
    }
  });

  it('answers a statement timeout with the cached value (stale) or the standard timeout error', async () => {
    const dbs = new Databases({ telemetry: db.url, cylinders: db.url, inspection: db.url }, { readStatementTimeoutMs: 300 });
    const svc = new TelemetryService(dbs, { ttl: { metricsMs: 0 } });
    const locker = await db.pool.connect();
    try {
      const good = await svc.kpi({ window: '48h', now: NOW });
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE public.influx_agg_10m IN ACCESS EXCLUSIVE MODE');
      const stale = await svc.kpi({ window: '48h', now: NOW });
      expect(stale).toMatchObject({ stale: true, servedAt: good.servedAt, notice: { code: 'DB_TIMEOUT' } });
      expect(stale.notice!.message).toMatch(/^The telemetry database did not answer in time\./);
      await expect(svc.trend({ tag: 'T100', bucket: '10m', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' })).rejects.toMatchObject({ kind: 'timeout' });
      expect(svc.databaseDown).toBe(false); // slow is not down
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
      svc.dispose();
      await dbs.close();
    }
  });

  it('procedures: reads with stale/servedAt, NO_ROWS notice, unknown tags, roles', async () => {
    const call = (name: string, input: unknown, user: SessionUser = VIEWER) => app.call(name, input, { transport: 'cli', user });
    const kpi = await call('telemetry.kpi', { window: '24h', now: NOW });
    expect(kpi.ok).toBe(true);
    if (kpi.ok) expect(kpi.value).toMatchObject({ bucket: '1m', stale: false, servedAt: expect.any(String) });
    const empty = await call('telemetry.trend', { tag: 'T100', window: '1m', now: '2025-03-09T00:00:00Z' });
    expect(empty.ok && (empty.value as { notice?: { code: string } }).notice?.code).toBe('NO_ROWS');
    const unknown = await call('telemetry.comm', { tag: 'NOPE', startDate: '2025-03-01' });
    expect(unknown).toMatchObject({ ok: false, error: { kind: 'not_found', message: expect.stringContaining('T100') } });
    const bad = await call('telemetry.trend', { tag: 'T100', from: '2025-03-01T00:00:00', to: '2025-03-02T00:00:00Z' });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'validation' } });
    const both = await call('telemetry.trend', { tag: 'T100', window: '24h', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' });
    expect(both).toMatchObject({ ok: false, error: { kind: 'validation' } });
    const comm = await call('telemetry.comm', { tag: 'T200', startDate: '2025-03-01', now: '2025-03-05T00:00:00Z' });
    expect(comm.ok && (comm.value as CommResult).outages.length).toBeGreaterThan(0);
    const tags = await call('telemetry.tags', {});
    expect(tags.ok && (tags.value as { tags: TagInfo[] }).tags.map((t) => t.tag_name)).toEqual(['T100', 'T200', 'T300', 'T400']);
    const tech = await call('telemetry.tech', { tag: 'T100', from: '2025-03-01T10:00:00Z', to: '2025-03-01T11:00:00Z' });
    expect(tech.ok && (tech.value as { rows: unknown[] }).rows).toHaveLength(60);
    const feats = await call('telemetry.features', { tag: 'T100', from: '2025-03-01T10:00:00Z', to: '2025-03-01T11:00:00Z' });
    expect(feats.ok && (feats.value as { rows: unknown[] }).rows).toHaveLength(12);
    const ov = await call('telemetry.predictions', { tag: 'T100', window: '24h', now: NOW });
    expect(ov.ok && ov.value).toMatchObject({ predictions: [], anomalies: [] });
    const status = await call('telemetry.status', {});
    expect(status.ok && status.value).toMatchObject({ mode: 'postgres', pendingInvalidations: 0 });
    expect(await call('telemetry.qc.save', { tag_name: 'T100', min_val: 0, max_val: 10 })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call('telemetry.refresh', {})).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  });

  it('QC rules and expectations: validated, audited, and they change what the screens show', async () => {
    const call = (name: string, input: unknown) => app.call(name, input, { transport: 'cli', user: MANAGER });
    const before = await call('telemetry.kpi', { window: '24h', now: NOW });
    const t100 = before.ok && (before.value as KpiResult).tiles.find((t) => t.tag_name === 'T100')!;
    expect(t100 && t100.range_label).toBe('0.0 ~ 200.0');

    const nested = await call('telemetry.qc.save', { tag_name: 'T100', min_val: 0, max_val: 300, warn_max: 250, crit_max: 240 });
    expect(nested).toMatchObject({ ok: false, error: { kind: 'validation', message: expect.stringMatching(/crit_max \(240\) must not be below warn_max \(250\)/) } });
    expect(await call('telemetry.qc.save', { tag_name: 'T100', min_val: 10, max_val: 10 })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('telemetry.qc.save', { tag_name: 'T100', min_val: 'low' })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('telemetry.qc.save', { tag_name: ' bad tag', min_val: 1 })).toMatchObject({ ok: false, error: { kind: 'validation' } });

    const saved = await call('telemetry.qc.save', { tag_name: 'T100', min_val: 0, max_val: 300, warn_max: 240, crit_max: 250, max_gap_seconds: 30 });
    expect(saved).toMatchObject({ ok: true, value: { tag_name: 'T100', max_val: 300, enabled: true, allow_negative: false } });
    const after = await call('telemetry.kpi', { window: '24h', now: NOW });
    expect(after.ok && (after.value as KpiResult).tiles.find((t) => t.tag_name === 'T100')!.range_label).toBe('0.0 ~ 300.0'); // cache cleared

    const audit = await db.pool.query(`SELECT username, operation, target, old_data, new_data FROM audit_logs WHERE action = 'telemetry.qc.save' ORDER BY log_id`);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ username: 'mgr', operation: 'UPDATE', target: 'T100', old_data: { max_val: 200 }, new_data: { max_val: 300 } });

    const created = await call('telemetry.qc.save', { tag_name: 'T999', min_val: -5, max_val: 5, allow_negative: true, enabled: false });
    expect(created.ok).toBe(true);
    expect(await call('telemetry.qc.delete', { tag_name: 'T999' })).toMatchObject({ ok: true });
    expect(await call('telemetry.qc.delete', { tag_name: 'T999' })).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    const ops = await db.pool.query(`SELECT operation FROM audit_logs WHERE target = 'T999' ORDER BY log_id`);
    expect(ops.rows.map((r) => r.operation)).toEqual(['INSERT', 'DELETE']);

    expect(await call('telemetry.expectations.save', { tag_name: 'T200', exp_per_min: 6, slo_warn: 0.9, slo_crit: 0.95 })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('telemetry.expectations.save', { tag_name: 'T200', exp_per_min: 0 })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    const exp = await call('telemetry.expectations.save', { tag_name: 'T200', exp_per_min: 6, slo_warn: 0.99, slo_crit: 0.8 });
    expect(exp).toMatchObject({ ok: true, value: { tag_name: 'T200', exp_per_min: 6, slo_warn: 0.99, slo_crit: 0.8 } });
    const comm = await call('telemetry.comm', { tag: 'T200', startDate: '2025-03-01', now: '2025-03-05T00:00:00Z' });
    expect(comm.ok && comm.value).toMatchObject({ has_expectation: true, exp_per_min: 6, slo_crit: 0.8 });
    // 6 a minute expected now: day 3 (10 % lost) stays above the 80 % SLO, the dead hours do not
    const c = comm.ok ? (comm.value as CommResult) : null;
    expect(c!.outages.map((o) => o.hours)).toEqual([5]);
    const list = await call('telemetry.expectations.list', {});
    expect(list.ok && (list.value as { expectations: Expectation[] }).expectations.map((e) => e.tag_name)).toEqual(['T100', 'T200', 'T300', 'T400']);
    expect(await call('telemetry.expectations.delete', { tag_name: 'T200' })).toMatchObject({ ok: true });
    const audits = await db.pool.query(`SELECT action FROM audit_logs WHERE action LIKE 'telemetry.expectation.%' ORDER BY log_id`);
    expect(audits.rows.map((r) => r.action)).toEqual(['telemetry.expectation.save', 'telemetry.expectation.delete']);
  });

  it('telemetry.refresh runs as a job with progress', async () => {
    const events: JobProgress[] = [];
    const off = app.services.bus.on('job.progress', (p) => events.push(p));
    const r = await app.call('telemetry.refresh', { from: '2025-03-01T00:00:00Z', to: '2025-03-03T12:00:00Z' }, { transport: 'cli', user: MANAGER });
    expect(r.ok).toBe(true);
    const jobId = r.ok ? (r.value as { jobId: string }).jobId : '';
    await until(() => events.some((e) => e.jobId === jobId && e.state !== 'running'));
    off();
    const done = events.find((e) => e.jobId === jobId && e.state === 'completed')!;
    expect(done.result).toMatchObject({ mode: 'postgres', refreshed: { influx_agg_1m: expect.any(Number) } });
    expect(events.filter((e) => e.jobId === jobId && e.state === 'running').length).toBeGreaterThanOrEqual(2);
  });

  it('the scheduler picks up new rows; the simulator appends the demo tags and announces them', async () => {
    const svc = new TelemetryService(db.dbs);
    const stop = startTelemetryScheduler(svc, { tickMs: 100, jobs: [{ name: 'invalidations', everyMs: 0 }] });
    await db.pool.query(`INSERT INTO public.influx_hist (ts, tag_name, value) VALUES ('2025-03-06T00:00:05Z', 'T100', 42), ('2025-03-06T00:00:15Z', 'T100', 44)`);
    await until(async () => (await Q.trend(db.pool, { tag: 'T100', bucket: '1d', from: '2025-03-06T00:00:00Z', to: '2025-03-07T00:00:00Z' })).length === 1);
    const d = await Q.trend(db.pool, { tag: 'T100', bucket: '1m', from: '2025-03-06T00:00:00Z', to: '2025-03-06T00:01:00Z' });
    expect(d[0]).toMatchObject({ n: 2, avg: 43, first: 42, last: 44, diff: 2 });
    await stop();
    svc.dispose();

    const appended: { tags: string[]; lastTs: string }[] = [];
    const off = app.services.bus.on('telemetry.appended', (e) => appended.push(e));
    const sim = startTelemetrySimulator(app.services, app.instance(telemetryModule).svc, { intervalMs: 60_000 });
    const n = await sim.tick();
    expect(n).toBe(DEMO_TAGS.length);
    expect(appended).toHaveLength(1);
    expect(appended[0].tags).toEqual(DEMO_TAGS.map((t) => t.tag).sort());
    expect(Math.abs(Date.parse(appended[0].lastTs) - Date.now())).toBeLessThan(15_000);
    const latest = await Q.latest(db.pool, { now: new Date().toISOString() });
    expect(latest.filter((r) => r.tag_name.startsWith('D')).every((r) => r.comm === 'ok')).toBe(true);
    const agg = await Q.sql<{ n: number }>(db.pool, `SELECT count(*)::bigint AS n FROM public.influx_agg_1m WHERE tag_name = 'D100'`);
    expect(agg[0].n).toBe(1); // refreshed right after the append
    expect([0, DEMO_TAGS.length]).toContain(await sim.tick()); // the same 10-second slot adds nothing (a new slot adds one each)
    const dup = await Q.sql<{ n: number }>(db.pool, `SELECT count(*)::bigint AS n FROM (SELECT date_bin('10 seconds', ts, '2000-01-03') FROM public.influx_hist WHERE tag_name = 'D100' GROUP BY 1 HAVING count(*) > 1) x`);
    expect(dup[0].n).toBe(0);
    await sim.stop();
    off();
  });
});
