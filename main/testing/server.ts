/**
 * A PostgreSQL server of the test's own, which the test stops and starts (outage tests): the embedded server's
 * binaries on a private data folder and a fixed port, so a restart is the same server at the same URL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbedded, type EmbeddedHandle } from '../db/embedded';

export interface TestServer {
  url: string;
  port: number;
  running(): boolean;
  /** a clean shutdown (connections are closed) */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** stops it and removes its folder */
  destroy(): Promise<void>;
}

export async function startTestServer(database = 'linedeck'): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-outage-pg-'));
  fs.chmodSync(dir, 0o755);
  const pgdata = path.join(dir, 'pgdata');
  const port = await freePort();
  let handle: EmbeddedHandle | null = await startEmbedded(pgdata, { port, database });
  const url = handle.url;
  return {
    url,
    port,
    running: () => handle !== null,
    stop: async () => {
      await handle?.stop();
      handle = null;
    },
    start: async () => {
      if (handle) return;
      handle = await startEmbedded(pgdata, { port, database });
      if (handle.url !== url) throw new Error(`the restarted server has another URL (${handle.url})`);
    },
    destroy: async () => {
      await handle?.stop();
      handle = null;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
