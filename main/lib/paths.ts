/**
 * Paths a caller names on this station (issue "Security", item 1). Files are read by path only for the command
 * line (the person at the station's own shell); every other transport sends bytes. Everywhere, UNC and device paths
 * are refused: on Windows `\\host\share\x.png` makes the station authenticate to that host, and `\\.\`, `\\?\` or
 * `CON`/`NUL`/`COM1` name devices, not files.
 */
import { ApiError } from '../api/kit';
import { because } from '../api/reasons';
import type { CallContext } from '../api/dispatch';

const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\.[^\\/]*)?$/i;

/** Why a path is not a plain local path, or null when it is one. */
export function pathProblem(p: string): string | null {
  const s = p.trim();
  if (s.includes('\0')) return 'contains a NUL character';
  if (/^[\\/]{2}/.test(s)) return 'is a network (UNC) or device path';
  if (/^[a-z]+:\/\//i.test(s)) return 'is a URL, not a file path';
  const base = s.split(/[\\/]/).pop() ?? '';
  if (DEVICE_NAME.test(base)) return 'names a device, not a file';
  return null;
}

/** Refuses a UNC, device or URL path with a validation error that says which. */
export function assertLocalPath(p: string, what = 'path'): void {
  const problem = pathProblem(p);
  if (problem) throw new ApiError('validation', `the ${what} ${JSON.stringify(p)} ${problem}; give a file on this station`, because('path_refused'));
}

/**
 * A file named by path is read only for the command line; the screens and the browser host send the file's bytes.
 * A path from elsewhere is refused before anything touches the file system (so nothing can be probed by it).
 */
export function assertPathInputAllowed(input: unknown, ctx: Pick<CallContext, 'transport'>, what = 'file'): void {
  if (!input || typeof input !== 'object' || !('path' in input)) return;
  if (ctx.transport !== 'cli')
    throw new ApiError('forbidden', `a ${what} path on the station is accepted only from the command line; send the ${what} itself`, because('path_not_allowed', { what }));
  assertLocalPath(String((input as { path: unknown }).path), `${what} path`);
}
