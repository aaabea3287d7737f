/**
 * Runs a station in a plain Node process with the browser host: `npm start` where the Electron binary is missing,
 * development, and the Playwright e2e suite. Prints the URL to open (it carries the per-run token). This process
 * is the backend (openBackend, the code the desktop app runs in its utilityProcess, main/backend/entry.ts), with
 * the host in front of it instead of the relay.
 *   tsx main/host/bin.ts [--home DIR] [--database-url URL] [--port N] [--static DIR] [--info-file F] [--demo] [--no-seed] [--no-background]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openBackend } from '../backend/backend';
import { resolveHome, stationPaths } from '../config';
import { initLogging } from '../log';
import { appRoot } from '../resources';
import { hostInfo, writeHostInfo } from './info';
import { jobMessageText } from '../jobs/message';
import { progressLine } from './progress';
import { startHost } from './server';

const { values } = parseArgs({
  options: {
    home: { type: 'string' },
    'database-url': { type: 'string' },
    port: { type: 'string' },
    static: { type: 'string' },
    'info-file': { type: 'string' },
    'no-seed': { type: 'boolean' },
    demo: { type: 'boolean' },
    'no-background': { type: 'boolean' },
  },
});

// JSON logs go to LINEDECK_HOME/logs/linedeck.log; the terminal gets the URL, progress and warnings as plain lines
// (LINEDECK_LOG_STDERR=json for the JSON stream there too)
initLogging({
  logDir: stationPaths(resolveHome(values.home)).logs,
  stderr: process.env.LINEDECK_LOG_STDERR === 'json' ? 'json' : 'human',
  level: process.env.LINEDECK_LOG_LEVEL ?? 'info',
});
const backend = await openBackend({
  home: values.home,
  databaseUrl: values['database-url'],
  // demo mode only when asked (`npm start` in the repository passes --demo; LINEDECK_DEMO=1): an installed station starts empty
  demo: values.demo ? true : undefined,
  seedIfEmpty: !values['no-seed'],
  background: !values['no-background'],
  onProgress: (m, f) => process.stderr.write(`${progressLine(m, f)}\n`),
});
const staticDir = path.resolve(values.static ?? path.join(appRoot(), 'out', 'renderer'));
if (!fs.existsSync(path.join(staticDir, 'index.html'))) process.stderr.write(`warning: no renderer build in ${staticDir}: run \`npm run build\`\n`);
const host = await startHost({ app: backend.app, port: values.port ? Number(values.port) : 0, staticDir });
// owner-only, written atomically, the database's password redacted (./info.ts)
if (values['info-file']) writeHostInfo(values['info-file'], hostInfo(host, { home: backend.station.paths.home, databaseUrl: backend.station.embedded?.url }));
process.stdout.write(`\nLineDeck is running. Open:\n  ${host.openUrl}\n\n`);
// the first start's background part (older demo days): the console shows it too; here, one line per step
backend.app.services.bus.on('job.progress', (p) => {
  if (p.kind !== 'demo.backfill') return;
  if (p.state === 'running' && p.message) process.stderr.write(`${progressLine(`백그라운드: 이전 데모 기록 채우는 중 (background: ${jobMessageText(p.message)})`, p.progress ?? undefined)}\n`);
  else if (p.state !== 'running') process.stderr.write(`백그라운드: 이전 데모 데이터 ${p.state === 'completed' ? '완료' : '중단'} (background: older demo data ${p.state})\n`);
});

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await host.close().catch(() => undefined);
  await backend.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
