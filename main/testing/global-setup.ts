/**
 * Vitest global setup: one real PostgreSQL for the whole run. LINEDECK_TEST_DATABASE_URL (any PostgreSQL ≥ 15 the
 * tests may create databases on) wins; otherwise the embedded server starts in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbedded, type EmbeddedHandle } from '../db/embedded';

let handle: EmbeddedHandle | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.LINEDECK_TEST_DATABASE_URL;
  if (!url) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-test-pg-'));
    handle = await startEmbedded(path.join(dir, 'pgdata'), { database: 'postgres' });
    url = handle.url;
  }
  project.provide('pgAdminUrl', url);
}

export async function teardown(): Promise<void> {
  await handle?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
