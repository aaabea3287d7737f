/**
 * Cylinder inventory bench (100 000 demo cylinders in a scratch database on the given server):
 *  - full resync (set-based, cy_resync_all) vs. the design's per-row trigger applied to every cylinder by one UPDATE
 *    touching every FCMS row (issue #18: the FCMS row trigger runs cy_sync_cylinder for each of them), on the same
 *    server and data, from the same snapshot state: nothing to change (the #18 row: medians of `runs` runs of each,
 *    measured alternately), every row changed (the snapshot made stale) and cold (empty snapshot). Goal: set-based
 *    ≤ 0.25 × per-row, aim 0.10. After each case a second resync must find nothing to change (both methods reach the
 *    same snapshot). Then EXPLAIN (ANALYZE, BUFFERS) of the resync's slowest statement (auto_explain, a run of its own
 *    inside a rolled-back transaction) and each statement's time for the other cases.
 *  - summary p95 (goal ≤ 50 ms) and filtered list page p95 (goal ≤ 30 ms), measured as the service's round trip
 *    (query + transfer + the service's own work) on the read pool.
 * `url` must allow CREATE DATABASE; the scratch database is dropped at the end.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { migrateDatabase } from '../../main/db/migrate';
import { allHooks, allMigrations } from '../../main/migrations';
import { createScratchDatabase } from '../scratch';
import { insertFcmsDemo, insertPolicyDemo } from '../../main/cylinders/demo';
import { createFcmsDemoSchema, ensureCylinderSync } from '../../main/cylinders/migrations';
import { listQueries, summaryQuery } from '../../main/cylinders/queries';
import { CylinderService } from '../../main/cylinders/service';
import type { CylinderFilters, ListQuery } from '../../main/cylinders/types';

export interface Stat {
  p50: number;
  p95: number;
  max: number;
  runs: number;
  ok: boolean;
  roundTripP50: number;
  roundTripP95: number;
}

export interface CylinderBenchResult {
  cylinders: number;
  /** medians; `ok` = ratio ≤ 0.25 (the aim is 0.10) */
  resync: { case: string; setMs: number; perRowMs: number; ratio: number; ok: boolean }[];
  /** EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the resync with nothing to change */
  resyncExplain: string;
  /** server time (planning + execution, EXPLAIN ANALYZE with TIMING OFF); `roundTrip*` = the service call in Node */
  summary: Stat;
  list: Stat;
  ok: boolean;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const r1 = (x: number) => Math.round(x * 10) / 10;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * One resync inside a rolled-back transaction with auto_explain logging every statement it runs (ANALYZE, BUFFERS,
 * timing on) to this session: the statements with their time and plan, or null where the module cannot be loaded.
 */
async function explainResync(c: pg.Client): Promise<{ ms: number; query: string; plan: string }[] | null> {
  const out: { ms: number; query: string; plan: string }[] = [];
  const onNotice = (n: { message?: string }) => {
    const m = /^duration: ([\d.]+) ms\s+plan:\n([\s\S]*)$/.exec(n.message ?? '');
    if (!m) return;
    // "Query Text: …" (the statement, maybe over several lines), then the plan from its first node ("… (cost=")
    const q = /^Query Text: ([\s\S]*?)\n(?=\S.*\(cost=)/.exec(m[2]);
    out.push({ ms: Number(m[1]), query: (q?.[1] ?? '').trim(), plan: (q ? m[2].slice(q[0].length) : m[2]).trim() });
  };
  await c.query('begin');
  try {
    try {
      await c.query(`load 'auto_explain'`);
    } catch {
      return null;
    }
    for (const [k, v] of Object.entries({ log_min_duration: '0', log_analyze: 'on', log_buffers: 'on', log_timing: 'on', log_nested_statements: 'on', log_level: 'notice' }))
      await c.query(`select set_config('auto_explain.${k}', '${v}', true)`);
    c.on('notice', onNotice);
    await c.query('select * from cy_resync_all()');
    return out;
  } finally {
    c.off('notice', onNotice);
    await c.query('rollback');
  }
}

export async function benchCylinders(
  url: string,
  log: (line: string) => void = console.log,
  opts: { count?: number; runs?: number } = {},
): Promise<CylinderBenchResult> {
  const count = opts.count ?? 100_000;
  const runs = opts.runs ?? 3;
  const name = `linedeck_bench_cyl_${crypto.randomBytes(4).toString('hex')}`;
  const scratch = await createScratchDatabase(url, name);
  const { url: dbUrl, dbs } = scratch;
  const c = new pg.Client({ connectionString: dbUrl, options: '-c timezone=UTC' });
  try {
    await migrateDatabase(dbUrl, ['core', 'cylinders'], allMigrations, allHooks);
    await c.connect();
    await c.query('set statement_timeout = 0');
    log(`cylinders bench: loading ${count} FCMS demo cylinders into ${name}`);
    await createFcmsDemoSchema(c);
    await c.query('begin');
    await insertFcmsDemo(c, count);
    await insertPolicyDemo(c);
    await c.query('commit');
    const t0 = performance.now();
    await ensureCylinderSync(c); // installs the triggers and builds the snapshot
    log(`  install + first full resync: ${Math.round(performance.now() - t0)} ms`);
    await c.query('vacuum analyze');

    // the design's per-row path: one UPDATE touching every FCMS row fires the row trigger (cy_sync_cylinder) for each
    const perRow = () => c.query(`UPDATE fcms_cdc.ma_cylinders SET "UPDATE_DATETIME" = "UPDATE_DATETIME"`);
    const setBased = () => c.query<{ synced: number; changed: number; deleted: number }>('select * from cy_resync_all()');
    const staleAll = () => c.query(`update cy_cylinder_current set dashboard_location = dashboard_location || ' (old)'`);
    const vacuum = () => c.query('vacuum analyze cy_cylinder_current, cy_cylinder_type_summary, fcms_cdc.ma_cylinders');
    const cases: { case: string; prepare: () => Promise<unknown>; setRuns: number; perRowRuns: number }[] = [
      { case: 'nothing to change', prepare: async () => undefined, setRuns: runs, perRowRuns: runs },
      { case: 'every row changed', prepare: staleAll, setRuns: runs, perRowRuns: 1 },
      { case: 'cold (empty snapshot)', prepare: () => c.query('truncate cy_cylinder_current'), setRuns: runs, perRowRuns: 1 },
    ];
    const resync: CylinderBenchResult['resync'] = [];
    const plans: string[] = [];
    for (const k of cases) {
      const setMs: number[] = [];
      const perRowMs: number[] = [];
      // alternately, each from the same prepared snapshot
      for (let i = 0; i < Math.max(k.setRuns, k.perRowRuns); i++) {
        if (i < k.setRuns) {
          await k.prepare();
          await vacuum();
          setMs.push(await timed(setBased));
        }
        if (i < k.perRowRuns) {
          await k.prepare();
          await vacuum();
          perRowMs.push(await timed(perRow));
          const after = (await setBased()).rows[0];
          if (after.changed !== 0 || after.deleted !== 0)
            throw new Error(`resync ${k.case}: after the per-row path a resync still wrote ${after.changed} and removed ${after.deleted} rows`);
        }
      }
      const set = median(setMs);
      const row = median(perRowMs);
      const ratio = set / row;
      resync.push({ case: k.case, setMs: Math.round(set), perRowMs: Math.round(row), ratio: Math.round(ratio * 1000) / 1000, ok: ratio <= 0.25 });
      const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
      log(
        `  resync ${k.case}: set-based ${Math.round(set)} ms (${fmt(setMs)}), per-row ${Math.round(row)} ms (${fmt(perRowMs)}), ` +
          `ratio ${ratio.toFixed(3)} (goal ≤ 0.25${ratio <= 0.25 ? ' met' : ' MISSED'}, aim ≤ 0.10${ratio <= 0.1 ? ' met' : ' not met'})`,
      );
      // where the resync's time goes: each statement, and the slowest one's plan (a run of its own, rolled back)
      await k.prepare();
      await vacuum();
      const stmts = await explainResync(c);
      await setBased(); // the prepared state back in step
      if (!stmts) {
        log('    (auto_explain could not be loaded on this server: no plans)');
        continue;
      }
      const nested = stmts.filter((x) => !/^select \* from cy_resync_all\(\)/i.test(x.query));
      log(`    statements (auto_explain, timing on): ${nested.map((x) => `${x.ms.toFixed(0)} ms ${x.query.replace(/\s+/g, ' ').slice(0, 48)}`).join(' | ')}`);
      if (k === cases[0]) {
        const slowest = nested.reduce((a, b) => (b.ms > a.ms ? b : a));
        const head = slowest.query.replace(/\s+/g, ' ').slice(0, 160);
        plans.push(`EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the resync (${k.case}), ${slowest.ms.toFixed(0)} ms: ${head}…\n${slowest.plan}`);
        log(`    ${plans[plans.length - 1].replace(/\n/g, '\n    ')}`);
      }
    }
    await c.query('vacuum analyze');

    const svc = new CylinderService(dbs);
    const f = await svc.filters();
    const pickN = (xs: string[], i: number) => xs[i % xs.length];
    const summaryFilters: CylinderFilters[] = [
      {},
      { availableOnly: true },
      { gas: [pickN(f.gases.filter(Boolean), 0)] },
      { gas: [pickN(f.gases.filter(Boolean), 3)], status: ['보관'] },
      { enduser: ['SDC'] },
      { status: ['출하'] },
      { location: [pickN(f.locations, 2)] },
      { capacity: ['47'], availableOnly: true },
      { valve: ['COS_CGA330'] },
      { gas: ['NF3'], capacity: ['440'], enduser: ['SDC'] },
    ];
    const top = (await svc.summary({})).rows.sort((x, y) => y.qty - x.qty)[0];
    const listMix: ListQuery[] = [
      { typeKey: [top.cylinderTypeKey], status: [top.status], location: [top.location], sort: 'cylinderNo', limit: 100 }, // drill-down from a summary row
      { typeKey: [top.cylinderTypeKey], sort: 'moveDate', dir: 'desc', limit: 100 },
      { gas: ['NF3'], status: ['보관'], sort: 'cylinderNo', limit: 100 },
      { enduser: ['SDC'], sort: 'moveDate', dir: 'desc', limit: 100 },
      { status: ['출하'], sort: 'location', limit: 100, offset: 200 },
      { search: 'NF0001', limit: 100 },
      { gas: ['SiH4'], availableOnly: true, sort: 'lastEventAt', dir: 'desc', limit: 100 },
      { sort: 'cylinderNo', limit: 100, offset: 5000 },
      { location: [pickN(f.locations, 1)], sort: 'gasName', limit: 50 },
      { gas: ['CF4'], capacity: ['440'], enduser: ['LGD'], limit: 100 },
    ];
    const serverMs = async (q: { text: string; values: unknown[] }) => {
      const r = await c.query(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${q.text}`, q.values);
      const plan = r.rows[0]['QUERY PLAN'][0];
      return plan['Planning Time'] + plan['Execution Time'];
    };
    // warm up the pools and caches
    for (const q of summaryFilters) await svc.summary(q);
    for (const q of listMix) await svc.list(q);
    const sDb: number[] = [];
    const lDb: number[] = [];
    const sRt: number[] = [];
    const lRt: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (const q of summaryFilters) {
        sDb.push(await serverMs(summaryQuery(q)));
        sRt.push(await timed(() => svc.summary(q)));
      }
      for (const q of listMix) {
        const lq = listQueries(q);
        lDb.push((await serverMs(lq.rows)) + (await serverMs(lq.count)));
        lRt.push(await timed(() => svc.list(q)));
      }
    }
    const stat = (db: number[], rt: number[], goal: number): Stat => ({
      p50: r1(pct(db, 50)),
      p95: r1(pct(db, 95)),
      max: r1(Math.max(...db)),
      runs: db.length,
      ok: pct(db, 95) <= goal,
      roundTripP50: r1(pct(rt, 50)),
      roundTripP95: r1(pct(rt, 95)),
    });
    const summary = stat(sDb, sRt, 50);
    const list = stat(lDb, lRt, 30);
    const rows = (await svc.summary({})).totals.rows;
    const load = os.loadavg()[0].toFixed(1);
    log(`  summary (${rows} rows unfiltered) at the database: p50 ${summary.p50} ms, p95 ${summary.p95} ms, max ${summary.max} ms over ${summary.runs} runs (goal p95 ≤ 50 ms); service round trip p50 ${summary.roundTripP50} ms, p95 ${summary.roundTripP95} ms`);
    log(`  filtered list page (rows + total) at the database: p50 ${list.p50} ms, p95 ${list.p95} ms, max ${list.max} ms over ${list.runs} runs (goal p95 ≤ 30 ms); service round trip p50 ${list.roundTripP50} ms, p95 ${list.roundTripP95} ms`);
    log(`  (1-minute load average during the run: ${load} on ${os.cpus().length} CPUs)`);
    const ok = resync.every((r) => r.ok) && summary.ok && list.ok;
    return { cylinders: count, resync, resyncExplain: plans.join('\n'), summary, list, ok };
  } finally {
    await c.end().catch(() => undefined);
    await scratch.drop();
  }
}
