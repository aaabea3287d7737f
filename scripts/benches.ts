/** The registered benchmarks; each gets a base database URL (it may create databases there), a log and a temp dir. */
import pg from 'pg';
import { benchCylinders } from '../main/cylinders/bench';
import { benchTelemetry } from '../main/telemetry/bench';
import { inspectionDataBench } from '../main/inspection/bench';
import { inspectionE2eBench } from '../main/inspection/e2e-bench';
import { bench as engineBench } from '../main/inspection/engine/bench';
import { bench as synthBench } from '../main/inspection/synth/bench';
import { chartBench } from './ui-bench/chart-bench';
import { dbEval, dbEvalGoals } from '../main/inspection/synth/db-eval';

export interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}
export interface Bench {
  name: string;
  run(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]>;
}

export const benches: Bench[] = [
  {
    name: 'cylinders',
    run: async (url, log) => {
      const r = await benchCylinders(url, log);
      return [
        ...r.resync.map((x) => ({ goal: `full resync (${x.case}) faster than per-row sync`, ok: x.ok, detail: `set ${x.setMs} ms vs per-row ${x.perRowMs} ms (×${x.ratio}) on ${r.cylinders} cylinders` })),
        { goal: 'summary p95 within budget', ok: r.summary.ok, detail: `server p50 ${r.summary.p50} / p95 ${r.summary.p95} ms; call p95 ${r.summary.roundTripP95} ms` },
        { goal: 'list page p95 within budget', ok: r.list.ok, detail: `server p50 ${r.list.p50} / p95 ${r.list.p95} ms; call p95 ${r.list.roundTripP95} ms` },
      ];
    },
  },
  { name: 'telemetry', run: (url, log) => benchTelemetry(url, log) },
  inspectionDataBench,
  inspectionE2eBench,
  { name: 'inspection-engine', run: (_url, log) => engineBench(log) },
  { name: 'inspection-synthetic', run: (_url, log) => synthBench(log) },
  {
    name: 'inspection-db-eval',
    run: async (url, log, tmp) => {
      const name = `linedeck_bench_dbeval_${process.pid}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create database ${name}`);
      try {
        const u = new URL(url);
        u.pathname = `/${name}`;
        return dbEvalGoals(await dbEval(u.toString(), log, tmp));
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    },
  },
  { name: 'ui', run: (_url, log, tmp) => chartBench(log, tmp) },
];
