/**
 * The default models judged the way a station uses them (issue 5, "Done when"): for each surface × level, the real
 * `linedeck bank build --product P --images TRAIN` (40 normal images → memory bank, reference index, thresholds),
 * then `linedeck inspect --product P TEST...` (20 held-out normals, 6 images of each defect kind), both through the
 * CLI's own code against a PostgreSQL database; the image AUROC is computed from the normalized `anomaly_score`
 * the CLI printed, and the `inspections` rows are counted back from the database (every inspection stored).
 *
 *   npx tsx main/inspection/synth/db-eval.ts [--database-url URL] [--surfaces brushed,cast] [--levels plain]
 * Without a URL it starts a throw-away embedded PostgreSQL. Also registered in `npm run bench` (inspection-db-eval).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCli } from '../../cli/index';
import { startEmbedded } from '../../db/embedded';
import { auroc, HARD_MEAN_AUROC, PLAIN_MIN_AUROC } from './eval';
import { generateSet, LEVELS, SURFACES, writeSet, type Level, type Surface } from './generate';

export interface DbEvalRow {
  surface: Surface;
  level: Level;
  auroc: number;
  normalsBelowThreshold: number;
  inspections: number;
  stored: number;
  bankSize: [number, number] | null;
  bankMs: number;
  inspectMsPerImage: number;
}

async function cli(args: string[]): Promise<unknown> {
  let out = '';
  let err = '';
  const code = await runCli([...args, '--json'], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  if (code !== 0) throw new Error(`linedeck ${args.slice(0, 2).join(' ')} failed (${code}): ${err.trim()}`);
  return JSON.parse(out);
}

export async function dbEval(
  url: string,
  log: (s: string) => void,
  tmpDir: string,
  opts: { surfaces?: readonly Surface[]; levels?: readonly Level[]; seed?: string } = {},
): Promise<DbEvalRow[]> {
  const surfaces = opts.surfaces ?? SURFACES;
  const levels = opts.levels ?? LEVELS;
  const seed = opts.seed ?? 'dbeval';
  const home = fs.mkdtempSync(path.join(tmpDir, 'home-'));
  const common = ['--database-url', url];
  const prevHome = process.env.LINEDECK_HOME;
  process.env.LINEDECK_HOME = home;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows: DbEvalRow[] = [];
  try {
    await cli(['migrate', ...common]);
    for (const level of levels)
      for (const surface of surfaces) {
        const product = `synth-${surface}-${level}`;
        const train = path.join(tmpDir, `${product}-train`);
        const test = path.join(tmpDir, `${product}-test`);
        await writeSet(train, await generateSet({ surface, level, normals: 40, defectsPerKind: 0, seed: `${seed}-train` }));
        fs.rmSync(path.join(train, 'labels.json'));
        const index = await writeSet(test, await generateSet({ surface, level, normals: 20, defectsPerKind: 6, seed: `${seed}-test` }));
        const t0 = performance.now();
        const bank = (await cli(['bank', 'build', '--product', product, '--images', train, ...common])) as { bank_size?: [number, number]; image_threshold?: number };
        const bankMs = performance.now() - t0;
        const files = index.map((e) => path.join(test, e.file));
        const t1 = performance.now();
        const res = (await cli(['inspect', '--product', product, ...files, ...common])) as { results: { image: string; anomaly_score: number; defect_detected: boolean }[] };
        const inspectMs = performance.now() - t1;
        const label = new Map(index.map((e) => [path.join(test, e.file), e.label]));
        const neg: number[] = [];
        const pos: number[] = [];
        for (const r of res.results) (label.get(r.image) === 'normal' ? neg : pos).push(r.anomaly_score);
        const threshold = bank.image_threshold ?? 0.85;
        const stored = await client.query<{ n: number }>(
          `select count(*)::int as n from inspections i join products p using (product_id) join inspection_results r using (inspection_id) where p.product_code = $1`,
          [product],
        );
        const row: DbEvalRow = {
          surface,
          level,
          auroc: auroc(neg, pos),
          normalsBelowThreshold: neg.filter((s) => s < threshold).length / neg.length,
          inspections: res.results.length,
          stored: stored.rows[0].n,
          bankSize: bank.bank_size ?? null,
          bankMs: Math.round(bankMs),
          inspectMsPerImage: Math.round(inspectMs / files.length),
        };
        rows.push(row);
        log(
          `${level.padEnd(5)} ${surface.padEnd(8)} AUROC ${row.auroc.toFixed(3)}  normals < threshold ${(row.normalsBelowThreshold * 100).toFixed(0)} %  ` +
            `stored ${row.stored}/${row.inspections}  bank ${row.bankMs} ms  inspect ${row.inspectMsPerImage} ms/image`,
        );
      }
  } finally {
    await client.end();
    if (prevHome === undefined) delete process.env.LINEDECK_HOME;
    else process.env.LINEDECK_HOME = prevHome;
  }
  return rows;
}

export function dbEvalGoals(rows: DbEvalRow[]): { goal: string; ok: boolean; detail: string }[] {
  const plain = rows.filter((r) => r.level === 'plain');
  const hard = rows.filter((r) => r.level === 'hard');
  const hardMean = hard.reduce((a, r) => a + r.auroc, 0) / Math.max(1, hard.length);
  return [
    {
      goal: `bank build + inspect through the database: plain AUROC ≥ ${PLAIN_MIN_AUROC} on every surface`,
      ok: plain.length > 0 && plain.every((r) => r.auroc >= PLAIN_MIN_AUROC),
      detail: plain.map((r) => `${r.surface} ${r.auroc.toFixed(3)}`).join(', '),
    },
    {
      goal: `bank build + inspect through the database: hard AUROC mean ≥ ${HARD_MEAN_AUROC}`,
      ok: hard.length > 0 && hardMean >= HARD_MEAN_AUROC,
      detail: `mean ${hardMean.toFixed(3)} (${hard.map((r) => `${r.surface} ${r.auroc.toFixed(3)}`).join(', ')})`,
    },
    {
      goal: 'every inspection stored',
      ok: rows.every((r) => r.stored === r.inspections),
      detail: rows.map((r) => `${r.stored}/${r.inspections}`).join(', '),
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-dbeval-'));
  let server: Awaited<ReturnType<typeof startEmbedded>> | undefined;
  try {
    let url = get('--database-url');
    if (!url) {
      server = await startEmbedded(path.join(tmp, 'pgdata'), { database: 'linedeck' });
      url = server.url;
    }
    const rows = await dbEval(url, (s) => process.stdout.write(`${s}\n`), tmp, {
      surfaces: get('--surfaces')?.split(',') as Surface[] | undefined,
      levels: get('--levels')?.split(',') as Level[] | undefined,
    });
    const goals = dbEvalGoals(rows);
    for (const g of goals) process.stdout.write(`${g.ok ? 'MET ' : 'MISS'} ${g.goal} — ${g.detail}\n`);
    process.exitCode = goals.every((g) => g.ok) ? 0 : 1;
  } finally {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
