/**
 * The backend process: Electron main starts this file with `utilityProcess.fork` (built as out/electron/main/
 * backend.js); tests start it with Node's `fork` (`--import tsx`). It boots the station (openBackend, the same code
 * the browser host runs) and serves it over the relay (main/backend/relay.ts) on the process's parent port.
 *   backend.js [--home DIR] [--database-url URL] [--demo] [--no-seed] [--no-background] [--secrets relay] [--log-stderr]
 * `--secrets relay`: config.json's encrypted values are opened and sealed by the shell (Electron's safeStorage).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveHome, stationPaths } from '../config';
import { initLogging, log } from '../log';
import { primeSecrets, useRemoteSecretCodec } from '../secrets';
import { openBackend, type Backend } from './backend';
import { backendSidePort } from './relay';
import { serveRelay } from './serve';

const port = backendSidePort();
if (!port) {
  process.stderr.write('main/backend/entry.ts runs under a parent (Electron utilityProcess or Node fork); for a station in this terminal run main/host/bin.ts\n');
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    home: { type: 'string' },
    'database-url': { type: 'string' },
    'no-seed': { type: 'boolean' },
    demo: { type: 'boolean' },
    'no-background': { type: 'boolean' },
    secrets: { type: 'string' },
    'log-stderr': { type: 'boolean' },
  },
  strict: false,
});

const home = resolveHome(values.home as string | undefined);
initLogging({ logDir: path.join(home, 'logs'), stderr: Boolean(values['log-stderr']) });
const logger = log('backend');

let backend: Backend | undefined;
/** the boot in progress: a stop waits for it, so a database it started is stopped too, not orphaned */
let booting: Promise<unknown> = Promise.resolve();
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  await booting.catch(() => undefined);
  await backend?.close().catch((e) => logger.error({ err: String(e) }, 'shutdown failed'));
  relay.close();
  process.exit(code);
};
const relay = serveRelay(port, { onStop: () => void stop(0) });
// the parent went away (Node fork): nobody to serve
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Encrypted values in config.json, opened through the shell before anything reads the file. */
function encryptedConfigValues(file: string): string[] {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { databaseUrl?: unknown; sources?: Record<string, unknown> };
    return [raw.databaseUrl, ...Object.values(raw.sources ?? {})].filter((v): v is string => typeof v === 'string' && v.startsWith('enc:'));
  } catch {
    return []; // no file, or not JSON: reading the config says so later
  }
}

try {
  if (values.secrets === 'relay') {
    useRemoteSecretCodec({ encrypt: (v) => relay.secret('encrypt', v), decrypt: (v) => relay.secret('decrypt', v) });
    await primeSecrets(encryptedConfigValues(stationPaths(home).configFile));
  }
  const opening = openBackend({
    home,
    databaseUrl: values['database-url'] as string | undefined,
    // demo mode only when asked (`npm start` in the repository passes --demo; LINEDECK_DEMO=1): an installed station starts empty
    demo: values.demo ? true : undefined,
    seedIfEmpty: !values['no-seed'],
    background: !values['no-background'],
    onProgress: (message, fraction) => relay.post({ t: 'progress', message, ...(fraction === undefined ? {} : { fraction }) }),
  });
  booting = opening;
  backend = await opening;
  if (stopping) throw new Error('stopped while starting');
  relay.attach(backend);
  relay.post({ t: 'ready', pid: process.pid, home: backend.station.paths.home });
  logger.info({ pid: process.pid }, 'backend ready');
} catch (e) {
  logger.error({ err: (e as Error)?.stack ?? String(e) }, 'backend start failed');
  relay.post({ t: 'fatal', message: (e as Error)?.message ?? String(e) });
  // let the message leave before the process does
  setTimeout(() => void stop(1), 200);
}
