/**
 * Starts a LineDeck station for e2e: the browser host (tsx main/host/bin.ts) on the embedded PostgreSQL in a
 * fresh LINEDECK_HOME, and waits for it to print its URL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostInfo } from '../main/host/info';

/** The host's info file (main/host/info.ts); its databaseUrl gets its password back from the harness below. */
export type StationInfo = HostInfo;

export interface RunningStation {
  info: StationInfo;
  proc: ChildProcess;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startStation(opts: { seed?: boolean; background?: boolean; home?: string; databaseUrl?: string; demo?: boolean } = {}): Promise<RunningStation> {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-e2e-'));
  const infoFile = path.join(home, 'host-info.json');
  fs.rmSync(infoFile, { force: true });
  // the e2e suite runs the demo (demo data and users; the setup code is on the setup screen) unless told otherwise
  const args = ['main/host/bin.ts', ...(opts.demo === false ? [] : ['--demo']), '--home', home, '--info-file', infoFile];
  if (opts.seed === false) args.push('--no-seed');
  if (opts.background === false) args.push('--no-background');
  if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
  const proc = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), args, {
    cwd: root,
    env: { ...process.env, LINEDECK_LOG_LEVEL: process.env.LINEDECK_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 240_000;
  while (!fs.existsSync(infoFile)) {
    if (proc.exitCode !== null) throw new Error(`station exited (${proc.exitCode}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`station did not start in time:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const info = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as StationInfo;
  // the info file names the embedded database without its password (issue #17 item 8): the harness, which made
  // this LINEDECK_HOME, reads the password the station keeps beside its data folder
  if (info.databaseUrl) {
    const u = new URL(info.databaseUrl);
    u.password = encodeURIComponent(fs.readFileSync(path.join(home, '.pgpass-linedeck'), 'utf8').trim());
    info.databaseUrl = u.toString();
  }
  return {
    info,
    proc,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      if (!opts.home) fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Calls a procedure over the host's HTTP transport (for arranging state and for refusal checks). */
export async function hostCall(info: StationInfo, name: string, input: unknown, sessionId?: string): Promise<{ ok: boolean; value?: any; error?: { kind: string; message: string } }> {
  const res = await fetch(`${info.url}/api/call/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${info.token}`, ...(sessionId ? { 'x-linedeck-session': sessionId } : {}) },
    body: JSON.stringify(input),
  });
  return res.json();
}

export const DEMO_PASSWORD = process.env.LINEDECK_DEMO_PASSWORD ?? 'linedeck-demo';
export const ADMIN = { username: 'admin', password: 'admin-e2e-pass', email: 'admin@plant.example' };

/** Runs the linedeck CLI (tsx) and returns its parsed --json output. */
export function cliJson(args: string[], env: Record<string, string> = {}): any {
  const out = execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), ['main/cli/bin.ts', ...args, '--json'], { cwd: root, env: { ...process.env, LINEDECK_LOG_LEVEL: 'error', ...env }, encoding: 'utf8', timeout: 600_000 });
  return JSON.parse(out);
}
