/**
 * `npm run bench`: the speed goals of each workspace, measured in one run on this machine and reported as ratios
 * (never as timed unit tests). Starts a throw-away embedded PostgreSQL unless LINEDECK_BENCH_DATABASE_URL is set.
 *   npm run bench [-- cylinders telemetry inspection ui]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../main/db/embedded';
import { benches } from './benches';

const only = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-bench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);
let server: Awaited<ReturnType<typeof startEmbedded>> | undefined;
try {
  let base = process.env.LINEDECK_BENCH_DATABASE_URL;
  if (!base) {
    server = await startEmbedded(path.join(dir, 'pgdata'), { database: 'postgres' });
    base = server.url;
  }
  const results: { name: string; goals: { goal: string; ok: boolean; detail: string }[] }[] = [];
  for (const b of benches.filter((x) => only.length === 0 || only.includes(x.name))) {
    log(`\n=== ${b.name}`);
    const t0 = performance.now();
    const goals = await b.run(base, log, dir);
    results.push({ name: b.name, goals });
    log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  log('\n=== goals');
  for (const r of results) for (const g of r.goals) log(`${g.ok ? 'MET ' : 'MISS'} ${r.name}: ${g.goal} — ${g.detail}`);
} finally {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
