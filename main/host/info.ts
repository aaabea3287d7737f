/**
 * The host's info file (`tsx main/host/bin.ts --info-file F`): what a launcher (the e2e harness, a developer's
 * script) needs to reach the running host. It holds the per-run token, so it is written atomically and readable by
 * its owner only (issue #17 item 8); the database URL it names has its password redacted (a launcher that needs to
 * connect reads the password where the station keeps it).
 */
import { redactUrl } from '../config';
import { writeAtomic } from '../lib/fsutil';
import type { Host } from './server';

export interface HostInfo {
  url: string;
  /** the URL to open: carries the token */
  openUrl: string;
  token: string;
  pid: number;
  home: string;
  /** the embedded database's URL with its password redacted (`***`); null for a station on a configured database */
  databaseUrl: string | null;
}

export function hostInfo(host: Pick<Host, 'url' | 'openUrl' | 'token'>, station: { home: string; databaseUrl: string | null | undefined }): HostInfo {
  return { url: host.url, openUrl: host.openUrl, token: host.token, pid: process.pid, home: station.home, databaseUrl: station.databaseUrl ? redactUrl(station.databaseUrl) : null };
}

/** Writes the info file: a new file (mode 0600) renamed over the old one, so no reader sees it half written or open to others. */
export function writeHostInfo(file: string, info: HostInfo): void {
  writeAtomic(file, JSON.stringify(info), { mode: 0o600 });
}
