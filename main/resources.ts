/**
 * Where the app's shipped files are: the repository root in development and tests, the `resources` folder of an
 * installed build (electron-builder extraResources), or LINEDECK_APP_ROOT when set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function appRoot(): string {
  if (cached) return cached;
  const candidates = [
    process.env.LINEDECK_APP_ROOT,
    (process as { resourcesPath?: string }).resourcesPath,
    path.dirname(fileURLToPath(import.meta.url)),
    process.cwd(),
  ].filter((x): x is string => Boolean(x));
  for (const start of candidates) {
    let dir = path.resolve(start);
    for (;;) {
      if (fs.existsSync(path.join(dir, 'ml-models')) && fs.existsSync(path.join(dir, 'resources'))) return (cached = dir);
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return (cached = process.cwd());
}

export const modelsDir = (): string => path.join(appRoot(), 'ml-models');
export const resourcesDir = (): string => path.join(appRoot(), 'resources');
