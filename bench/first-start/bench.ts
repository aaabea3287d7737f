/**
 * The first start of `npm start` on an empty machine with demo data (issue #18: ≤ 45 s, with a progress bar that
 * tells what it does), as a new user runs it after `npm install`:
 *  - the build a fresh checkout does first (`electron-vite build`; the default models are in the repository);
 *  - `node scripts/start.mjs` through the browser host on an empty LINEDECK_HOME: from spawn to the printed URL
 *    (embedded PostgreSQL's initdb, migrations, the demo seed), the progress lines it printed on the way;
 *  - then the background part (the older 33 telemetry days, `demo.backfill`) until it says it is done — not in the
 *    goal (the console is usable meanwhile), reported beside it.
 * One run each (the whole thing is a minute or two); the machine's load moves it 20–40 %.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Goal } from '../goal';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GOAL_S = 45;

export async function benchFirstStart(log: (s: string) => void, tmp: string): Promise<Goal[]> {
  const t0 = performance.now();
  const b = spawnSync(path.join(root, 'node_modules', '.bin', 'electron-vite'), ['build'], { cwd: root, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`electron-vite build failed: ${(b.stderr || b.stdout).slice(-500)}`);
  const buildS = (performance.now() - t0) / 1000;
  log(`  electron-vite build: ${buildS.toFixed(1)} s`);

  const home = fs.mkdtempSync(path.join(tmp ?? os.tmpdir(), 'first-start-'));
  fs.chmodSync(home, 0o755); // embedded PostgreSQL runs as `postgres` when the bench runs as root
  const env: NodeJS.ProcessEnv = { ...process.env, LINEDECK_BROWSER_HOST: '1', LINEDECK_HOME: home, LINEDECK_PORT: '0', LINEDECK_LOG_LEVEL: 'warn' };
  delete env.LINEDECK_DEMO_TELEMETRY_DAYS;
  const s0 = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: { at: number; text: string }[] = [];
  // set from the output's handler (an object: TypeScript does not follow assignments made in a callback)
  const seen: { ready: number | null; backfill: number | null } = { ready: null, backfill: null };
  const onData = (buf: Buffer) => {
    for (const text of buf.toString('utf8').split('\n').filter(Boolean)) {
      const at = (performance.now() - s0) / 1000;
      lines.push({ at, text });
      if (seen.ready === null && text.includes('LineDeck is running')) seen.ready = at;
      if (seen.backfill === null && /이전 데모 데이터 (완료|중단)/.test(text)) seen.backfill = at;
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const deadline = performance.now() + 600_000;
    while (seen.backfill === null && performance.now() < deadline) {
      const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 250))]);
      if (code !== 'wait') throw new Error(`npm start exited (${code}) before it was done:\n${lines.slice(-8).map((l) => l.text).join('\n')}`);
    }
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    fs.rmSync(home, { recursive: true, force: true });
  }
  const { ready: readyAt, backfill: backfillAt } = seen;
  if (readyAt === null) throw new Error('npm start never printed its URL');
  const bars = lines.filter((l) => /\] +\d+ %/.test(l.text) && l.at <= readyAt);
  for (const l of bars) log(`  ${l.at.toFixed(1).padStart(5)} s  ${l.text}`);
  const backfill = backfillAt === null ? 'not done in 10 minutes' : `${(backfillAt - readyAt).toFixed(0)} s after the start`;
  log(`  ready after ${readyAt.toFixed(1)} s; the older telemetry days done ${backfill}`);
  const total = buildS + readyAt;
  return [
    {
      goal: `first npm start on an empty machine with demo data ≤ ${GOAL_S} s, with a progress bar`,
      ok: total <= GOAL_S && bars.length >= 5 && /100 %/.test(bars.at(-1)?.text ?? ''),
      detail: `${total.toFixed(1)} s = build ${buildS.toFixed(1)} s + start ${readyAt.toFixed(1)} s (${bars.length} progress lines, 0 → 100 %); older demo days in the background, done ${backfill}`,
    },
  ];
}
