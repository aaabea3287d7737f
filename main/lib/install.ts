/**
 * What kind of installation this is. The Windows installer (NSIS, per machine) writes `install.json` with
 * `{"scope":"machine"}` into the app's resources folder: such a station keeps one LINEDECK_HOME for every
 * Windows user who logs in to it (every shift), `%ProgramData%\LineDeck`, instead of each user's `%APPDATA%`. The
 * Electron entry applies it to LINEDECK_HOME before the console or the CLI starts (an explicit LINEDECK_HOME wins).
 */
import fs from 'node:fs';
import path from 'node:path';

export const INSTALL_FILE = 'install.json';

/** The shared home of a per-machine Windows install, or undefined (another platform, a user install, development). */
export function machineHome(platform: NodeJS.Platform, resourcesPath: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (platform !== 'win32' || !resourcesPath) return undefined;
  const file = path.join(resourcesPath, INSTALL_FILE);
  let scope: unknown;
  try {
    scope = (JSON.parse(fs.readFileSync(file, 'utf8')) as { scope?: unknown }).scope;
  } catch {
    return undefined;
  }
  if (scope !== 'machine') return undefined;
  const programData = env.ProgramData ?? env.PROGRAMDATA ?? env.ALLUSERSPROFILE ?? 'C:\\ProgramData';
  return path.win32.join(programData, 'LineDeck');
}
