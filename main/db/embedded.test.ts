import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { readPostmasterPid, startEmbedded } from './embedded';

async function query(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('survives a crash that left a stale postmaster.pid, and a second process joins the running server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-emb-'));
    const pgdata = path.join(dir, 'pgdata');
    try {
      const a = await startEmbedded(pgdata);
      expect(a.owned).toBe(true);
      await query(a.url, 'create table kept (x int); insert into kept values (42)');

      // another process on the same station joins instead of starting a second server
      const b = await startEmbedded(pgdata);
      expect(b.owned).toBe(false);
      expect(b.port).toBe(a.port);
      expect(await query(b.url, 'select x from kept')).toEqual([{ x: 42 }]);

      // crash: kill the postmaster hard; its pid file stays behind
      const pid = readPostmasterPid(pgdata)!.pid;
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && (() => { try { process.kill(pid, 0); return true; } catch { return false; } })(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(true);
      // children of the killed postmaster may linger a moment holding the shared memory
      await new Promise((r) => setTimeout(r, 1500));

      const c = await startEmbedded(pgdata);
      expect(c.owned).toBe(true);
      expect(await query(c.url, 'select x from kept')).toEqual([{ x: 42 }]);
      await c.stop();
      expect(fs.existsSync(path.join(pgdata, 'postmaster.pid'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
