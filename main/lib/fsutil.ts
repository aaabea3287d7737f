/** Small file-system helpers shared by the domains (one copy each). */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a file whole or not at all: into a temporary file beside it (named with the pid and random bytes, so two
 * writers never share one), then renamed over it. `mode` for files only their owner may read (0o600).
 */
export function writeAtomic(file: string, bytes: Buffer | string, opts: { mode?: number } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, bytes, opts.mode === undefined ? undefined : { mode: opts.mode });
  fs.renameSync(tmp, file);
}

/** Whether a process with this pid exists (one we may not signal counts: EPERM). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
