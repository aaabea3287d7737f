/**
 * Structured logging (pino): JSON lines to LINEDECK_HOME/logs/linedeck.log, which rotates (at LOG_ROTATE_BYTES the
 * file becomes linedeck.1.log, … up to LOG_KEEP files; pino's destination reopens the path), and, for a terminal,
 * either human lines (warnings and errors only: `npm start`, the browser host) or JSON (`--log-stderr`, the CLI).
 * Events named as in the telemetry design §B13 (e.g. `telemetry.query_timeout`) go through here.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

let root: Logger = pino({ level: process.env.LINEDECK_LOG_LEVEL ?? 'silent' });
let rotation: NodeJS.Timeout | null = null;

export const LOG_ROTATE_BYTES = 20 * 1024 * 1024;
export const LOG_KEEP = 5;
const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** Rotates `file` when it is larger than `maxBytes`: file → file.1 → … → file.<keep> (the oldest is dropped). */
export function rotateIfLarge(file: string, maxBytes = LOG_ROTATE_BYTES, keep = LOG_KEEP): boolean {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return false;
  }
  if (size < maxBytes) return false;
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const nth = (n: number) => `${base}.${n}${ext}`;
  fs.rmSync(nth(keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) if (fs.existsSync(nth(n))) fs.renameSync(nth(n), nth(n + 1));
  fs.renameSync(file, nth(1));
  return true;
}

/** A terminal line for a log entry a person should see: `warning: message (component) key=value …`. */
export function humanLine(json: string): string | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json);
  } catch {
    return json.trim() || null;
  }
  const { level, msg, component, err, time: _t, pid: _p, hostname: _h, ...rest } = o as { level: number; msg?: string; component?: string; err?: unknown; [k: string]: unknown };
  const extra = Object.entries(rest)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const errText = err ? ` — ${typeof err === 'string' ? err : ((err as { message?: string }).message ?? JSON.stringify(err))}` : '';
  return `${LEVEL_NAMES[level] ?? 'log'}: ${msg ?? ''}${errText}${component ? ` (${component})` : ''}${extra ? ` ${extra}` : ''}`;
}

export function initLogging(opts: { logDir?: string; level?: string; stderr?: boolean | 'json' | 'human' }): Logger {
  const level = opts.level ?? process.env.LINEDECK_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry[] = [];
  if (rotation) clearInterval(rotation);
  rotation = null;
  if (opts.logDir) {
    fs.mkdirSync(opts.logDir, { recursive: true });
    const file = path.join(opts.logDir, 'linedeck.log');
    rotateIfLarge(file);
    const dest = pino.destination({ dest: file, sync: false, mkdir: true });
    streams.push({ level: level as pino.Level, stream: dest });
    rotation = setInterval(() => {
      try {
        if (rotateIfLarge(file)) dest.reopen();
      } catch {
        /* a failed rotation keeps writing to the same file */
      }
    }, 60_000);
    rotation.unref();
  }
  const stderr = opts.stderr === true ? 'json' : opts.stderr;
  if (stderr === 'json') streams.push({ level: level as pino.Level, stream: pino.destination(2) });
  else if (stderr === 'human')
    streams.push({
      level: 'warn',
      stream: {
        write: (line: string) => {
          const h = humanLine(line);
          if (h) process.stderr.write(`${h}\n`);
        },
      },
    });
  root = streams.length ? pino({ level, base: { pid: process.pid } }, pino.multistream(streams)) : pino({ level: 'silent' });
  return root;
}

export function log(component: string): Logger {
  return root.child({ component });
}
