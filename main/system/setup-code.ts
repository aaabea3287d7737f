/**
 * The one-time setup code (issue "Installable product"): a station that is not in demo mode asks for it when the
 * first administrator is created, so nobody walking past claims the station. It is written to
 * LINEDECK_HOME/setup-code (readable by the machine's administrator only: mode 0600 on POSIX; the folder's ACL on
 * Windows, ProgramData for a per-machine install), printed by `linedeck setup-code`, and removed once an
 * administrator exists.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StationPaths } from '../config';
import { writeAtomic } from '../lib/fsutil';

// no 0/O, 1/I/L: read off a screen and typed with gloves
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function setupCodeFile(paths: Pick<StationPaths, 'home'>): string {
  return path.join(paths.home, 'setup-code');
}

function newCode(): string {
  const bytes = crypto.randomBytes(12);
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

export function readSetupCode(paths: Pick<StationPaths, 'home'>): string | null {
  try {
    return fs.readFileSync(setupCodeFile(paths), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The station's setup code, created when there is none yet. */
export function ensureSetupCode(paths: Pick<StationPaths, 'home'>): string {
  const have = readSetupCode(paths);
  if (have) return have;
  const code = newCode();
  writeAtomic(setupCodeFile(paths), `${code}\n`, { mode: 0o600 });
  return code;
}

/** Whether `given` is the station's code (compared in constant time, ignoring case, spaces and dashes). */
export function checkSetupCode(paths: Pick<StationPaths, 'home'>, given: string | undefined): boolean {
  const code = readSetupCode(paths);
  if (!code || !given) return false;
  const norm = (s: string) => Buffer.from(s.toUpperCase().replace(/[\s-]/g, ''));
  const a = norm(code);
  const b = norm(given);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function removeSetupCode(paths: Pick<StationPaths, 'home'>): void {
  fs.rmSync(setupCodeFile(paths), { force: true });
}
