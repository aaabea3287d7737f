/**
 * The command line's start-up (issue #18): each row is the wall time of the whole command, as a person runs it,
 * median of several runs in one go (this machine's load varies; compare the figures of one run):
 *  - `linedeck --help` with the built bundle (`node out/electron/main/cli.js`, goal ≤ 0.3 s) and through
 *    `npm run linedeck` (scripts/linedeck.mjs, goal ≤ 0.6 s; npm's own start, a no-op script, is printed beside it);
 *  - `linedeck cylinders summary --json` on 100 000 cylinders through `npm run linedeck` (goal ≤ 1.0 s), joining
 *    the bench's running embedded server the way a CLI beside the desktop app does (LINEDECK_HOME = the bench's
 *    folder); with LINEDECK_BENCH_DATABASE_URL, a scratch database given with --database-url instead.
 * The bundle is built first when it is not current (npm run linedeck would otherwise run the sources); the
 * sources through tsx (LINEDECK_CLI_FROM=source) are measured too, for the ratio.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cliBundleState } from '../../scripts/cli-bundle.mjs';
import { insertFcmsDemo, insertPolicyDemo } from '../../main/cylinders/demo';
import { createFcmsDemoSchema, ensureCylinderSync } from '../../main/cylinders/migrations';
import type { Goal } from '../goal';
import { createScratchDatabase } from '../scratch';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_JS = path.join(root, 'out/electron/main/cli.js');
const COUNT = 100_000;

type Run = { cmd: string; args: string[]; env?: NodeJS.ProcessEnv; cwd?: string };

/** Runs of `npm run linedeck` that ran the sources (the bundle went stale: others edit main/ in this tree). */
let fromSources = 0;

/** Wall seconds of one run (spawn to exit); throws on a failed run, with its stderr. */
function once(r: Run, check?: (stdout: string) => void): number {
  const t0 = performance.now();
  const p = spawnSync(r.cmd, r.args, { cwd: r.cwd ?? root, env: r.env ?? process.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const s = (performance.now() - t0) / 1000;
  if (p.status !== 0) throw new Error(`${r.cmd} ${r.args.join(' ')} exited ${p.status}: ${(p.stderr || p.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
  check?.(p.stdout);
  // scripts/linedeck.mjs says which it ran (LINEDECK_CLI_DEBUG)
  if (r.env?.LINEDECK_CLI_DEBUG && !r.env.LINEDECK_CLI_FROM && !p.stderr.startsWith('linedeck: built bundle')) fromSources++;
  return s;
}

/** Median wall seconds of `n` runs after one warm-up (file cache, the server's buffers). */
function median(n: number, r: Run, check?: (stdout: string) => void): number {
  once(r, check);
  const xs = Array.from({ length: n }, () => once(r, check)).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/** Builds when the bundle is not current; says why. */
function ensureBuilt(log: (line: string) => void): void {
  const stale = cliBundleState(root);
  if (!stale) return;
  log(`  bundle not current (${stale}): npm run build`);
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (b.status !== 0) throw new Error(`npm run build failed: ${b.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

const f2 = (s: number) => s.toFixed(2);

export async function benchCli(baseUrl: string, log: (line: string) => void, tmpDir: string): Promise<Goal[]> {
  fromSources = 0;
  // 1. the bundle, current (again before each npm row: a source edited meanwhile makes npm run linedeck run the
  // sources, as it must; such runs are counted and said)
  ensureBuilt(log);
  const npmRun = (args: string[], env: NodeJS.ProcessEnv = process.env): Run => ({ cmd: 'npm', args: ['run', '--silent', 'linedeck', '--', ...args], env: { ...env, LINEDECK_CLI_DEBUG: '1' } });
  const fromSource = { ...process.env, LINEDECK_CLI_FROM: 'source' };

  // npm's own start: a no-op script in a package of its own
  const noop = path.join(tmpDir, 'npm-noop');
  fs.mkdirSync(noop, { recursive: true });
  fs.writeFileSync(path.join(noop, 'package.json'), JSON.stringify({ name: 'noop', private: true, scripts: { noop: 'node -e 0' } }));
  const npmFloor = median(5, { cmd: 'npm', args: ['run', '--silent', 'noop'], cwd: noop });
  const nodeFloor = median(5, { cmd: process.execPath, args: ['-e', '0'] });

  // 2. --help
  const helpOk = (out: string) => {
    if (!out.includes('Usage: linedeck') || !out.includes('cylinders')) throw new Error('--help printed no command table');
  };
  const helpBuilt = median(7, { cmd: process.execPath, args: [CLI_JS, '--help'] }, helpOk);
  ensureBuilt(log);
  const helpNpm = median(7, npmRun(['--help']), helpOk);
  const helpStale = fromSources;
  const helpSource = median(3, npmRun(['--help'], fromSource), helpOk);
  log(`  --help: built ${f2(helpBuilt)} s, npm run linedeck ${f2(helpNpm)} s, npm run linedeck from the sources (tsx) ${f2(helpSource)} s; floors: node -e 0 ${f2(nodeFloor)} s, npm run of a no-op ${f2(npmFloor)} s`);

  // 3. cylinders summary on 100 000 cylinders
  const joined = !process.env.LINEDECK_BENCH_DATABASE_URL && fs.existsSync(path.join(tmpDir, 'pgdata', 'postmaster.pid'));
  let target: { args: string[]; env: NodeJS.ProcessEnv; ownerUrl: string; drop: () => Promise<void> };
  if (joined) {
    // the CLI joins the bench's server (LINEDECK_HOME/pgdata) and uses its database `linedeck`, as beside the app
    const env: NodeJS.ProcessEnv = { ...process.env, LINEDECK_HOME: tmpDir };
    delete env.LINEDECK_DATABASE_URL;
    const u = new URL(baseUrl);
    u.pathname = '/linedeck';
    target = {
      args: [],
      env,
      ownerUrl: u.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: baseUrl });
        await c.connect();
        await c.query('drop database if exists linedeck with (force)').finally(() => c.end());
      },
    };
  } else {
    const scratch = await createScratchDatabase(baseUrl, `linedeck_bench_cli_${process.pid}`);
    target = { args: ['--database-url', scratch.url], env: process.env, ownerUrl: scratch.url, drop: () => scratch.drop() };
  }
  try {
    once({ cmd: process.execPath, args: [CLI_JS, 'migrate', '--json', ...target.args], env: target.env });
    const c = new pg.Client({ connectionString: target.ownerUrl });
    await c.connect();
    try {
      await c.query('set statement_timeout = 0');
      log(`  loading ${COUNT} FCMS demo cylinders (${joined ? 'the joined embedded server' : '--database-url'})`);
      await createFcmsDemoSchema(c);
      await c.query('begin');
      await insertFcmsDemo(c, COUNT);
      await insertPolicyDemo(c);
      await c.query('commit');
      await ensureCylinderSync(c);
      await c.query('vacuum analyze');
    } finally {
      await c.end();
    }
    const args = ['cylinders', 'summary', '--json', ...target.args];
    let rows = 0;
    const summaryOk = (out: string) => {
      const j = JSON.parse(out) as { rows: { qty: number }[] };
      const qty = j.rows.reduce((n, r) => n + r.qty, 0);
      if (qty !== COUNT) throw new Error(`summary counts ${qty} cylinders, expected ${COUNT}`);
      rows = j.rows.length;
    };
    const sumBuilt = median(5, { cmd: process.execPath, args: [CLI_JS, ...args], env: target.env }, summaryOk);
    ensureBuilt(log);
    const sumNpm = median(5, npmRun(args, target.env), summaryOk);
    const sumStale = fromSources - helpStale;
    const sumSource = median(3, npmRun(args, { ...target.env, LINEDECK_CLI_FROM: 'source' }), summaryOk);
    log(`  cylinders summary --json (${rows} rows, ${COUNT} cylinders): built ${f2(sumBuilt)} s, npm run linedeck ${f2(sumNpm)} s, from the sources (tsx) ${f2(sumSource)} s`);

    const via = (k: number, n: number) => (k ? ` (${k} of ${n} runs ran the sources: a file of main/ changed meanwhile)` : '');
    return [
      { goal: '`linedeck --help`, built cli.js, ≤ 0.3 s', ok: helpBuilt <= 0.3, detail: `median ${f2(helpBuilt)} s of 7 (node -e 0: ${f2(nodeFloor)} s)` },
      {
        goal: '`npm run linedeck -- --help` ≤ 0.6 s',
        ok: helpNpm <= 0.6,
        detail: `median ${f2(helpNpm)} s of 7${via(helpStale, 8)}; npm run of a no-op ${f2(npmFloor)} s; the sources through tsx ${f2(helpSource)} s (×${(helpSource / helpNpm).toFixed(1)})`,
      },
      {
        goal: `\`npm run linedeck -- cylinders summary\` on ${COUNT} cylinders ≤ 1.0 s`,
        ok: sumNpm <= 1.0,
        detail: `median ${f2(sumNpm)} s of 5${via(sumStale, 6)} (built cli.js ${f2(sumBuilt)} s; the sources through tsx ${f2(sumSource)} s, ×${(sumSource / sumNpm).toFixed(1)}); ${joined ? 'joining a running embedded server' : '--database-url'}, --json, ${rows} rows`,
      },
    ];
  } finally {
    await target.drop().catch(() => undefined);
  }
}
