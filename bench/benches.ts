/** The registered benchmarks; each gets a base database URL (it may create databases there), a log and a temp dir. */
import { createScratchDatabase } from './scratch';
import { benchCylinders } from './cylinders/bench';
import { benchCli } from './cli/bench';
import { benchFirstStart } from './first-start/bench';
import { benchTelemetry } from './telemetry/bench';
import { benchFiles } from './files/bench';
import { inspectionDataBench } from './inspection/data';
import { inspectionE2eBench } from './inspection/e2e';
import { inspectionOutboxBench } from './inspection/outbox';
import { bench as engineBench } from './inspection/engine';
import { bench as synthBench } from './inspection/synthetic';
import { chartBench } from './ui/chart-bench';
import { dbEval, dbEvalGoals, independentEval } from './inspection/db-eval';

import type { Bench } from './goal';

export type { Bench, Goal } from './goal';

/** A judgement of the default models through the CLI and a database of its own (created here, dropped after). */
function dbEvalBench(name: string, evaluate: (url: string, log: (s: string) => void, tmp: string) => Promise<Parameters<typeof dbEvalGoals>[0]>): Bench {
  return {
    name,
    run: async (url, log, tmp) => {
      const scratch = await createScratchDatabase(url, `linedeck_bench_${name.replace(/-/g, '_')}_${process.pid}`);
      try {
        return dbEvalGoals(await evaluate(scratch.url, log, tmp));
      } finally {
        await scratch.drop();
      }
    },
  };
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
  inspectionOutboxBench,
  { name: 'inspection-engine', run: (_url, log) => engineBench(log) },
  { name: 'inspection-synthetic', run: (_url, log) => synthBench(log) },
  dbEvalBench('inspection-db-eval', dbEval),
  dbEvalBench('inspection-independent', independentEval),
  { name: 'ui', run: (_url, log, tmp) => chartBench(log, tmp) },
  { name: 'files', run: (url, log, tmp) => benchFiles(url, log, tmp) },
  // `linedeck --help` (built, npm run) and `cylinders summary` on 100 000 cylinders: the whole command's wall time
  { name: 'cli', run: (url, log, tmp) => benchCli(url, log, tmp) },
  // `npm start` on an empty machine: build, embedded server, migrations, demo seed to the URL (≤ 45 s)
  { name: 'first-start', run: (_url, log, tmp) => benchFirstStart(log, tmp) },
];
