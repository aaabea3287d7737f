/**
 * Structured logging (pino): JSON lines to LINEDECK_HOME/logs/linedeck.log and, in the CLI, to stderr.
 * Events named as in the telemetry design §B13 (e.g. `telemetry.query_timeout`) go through here.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

let root: Logger = pino({ level: process.env.LINEDECK_LOG_LEVEL ?? 'silent' });

export function initLogging(opts: { logDir?: string; level?: string; stderr?: boolean }): Logger {
  const level = opts.level ?? process.env.LINEDECK_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry[] = [];
  if (opts.logDir) {
    fs.mkdirSync(opts.logDir, { recursive: true });
    streams.push({ level: level as pino.Level, stream: pino.destination({ dest: path.join(opts.logDir, 'linedeck.log'), sync: false, mkdir: true }) });
  }
  if (opts.stderr) streams.push({ level: level as pino.Level, stream: pino.destination(2) });
  root = streams.length ? pino({ level, base: { pid: process.pid } }, pino.multistream(streams)) : pino({ level: 'silent' });
  return root;
}

export function log(component: string): Logger {
  return root.child({ component });
}
