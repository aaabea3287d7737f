import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { checkRunnable, readPostmasterPid, startEmbedded } from './embedded';

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

  it('never removes postmaster.pid while its server process lives (a slow crash recovery is not a dead server)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-emb-live-'));
    const pgdata = path.join(dir, 'pgdata');
    fs.mkdirSync(pgdata, { recursive: true });
    // a process named postgres that never accepts connections, like a postmaster replaying its WAL
    const fake = path.join(dir, 'postgres');
    fs.copyFileSync('/bin/sleep', fake);
    fs.chmodSync(fake, 0o755);
    const child = spawn(fake, ['60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(path.join(pgdata, 'postmaster.pid'), `${child.pid}\n${pgdata}\n0\n1\n`);
      await expect(startEmbedded(pgdata, { recoveryWaitMs: 1500 })).rejects.toThrow(/is running on .* but has not accepted connections.*postmaster\.pid was left in place/);
      expect(readPostmasterPid(pgdata)).toEqual({ pid: child.pid, port: 1 });
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('says which folder keeps the binaries from running, and the fix, before spawning anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-emb-bin-'));
    fs.chmodSync(dir, 0o755);
    const bin = path.join(dir, 'locked', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    for (const f of ['initdb', 'postgres']) fs.writeFileSync(path.join(bin, f), '#!/bin/sh\n', { mode: 0o755 });
    const bins = { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
    try {
      await expect(checkRunnable(path.join(dir, 'pgdata'), bins)).resolves.toBeUndefined();
      if (process.getuid?.() === 0) {
        // as root the server runs as the postgres user: a folder it cannot enter is named
        fs.chmodSync(path.join(dir, 'locked'), 0o700);
        await expect(checkRunnable(path.join(dir, 'pgdata'), bins)).rejects.toThrow(new RegExp(`cannot enter ${path.join(dir, 'locked').replace(/[/.]/g, '\\$&')}.*chmod o\\+x`));
        fs.chmodSync(path.join(dir, 'locked'), 0o755);
      }
      fs.chmodSync(bins.initdb, 0o644);
      await expect(checkRunnable(path.join(dir, 'pgdata'), bins)).rejects.toThrow(/initdb is not executable.*chmod a\+x/);
      fs.rmSync(bins.postgres);
      fs.chmodSync(bins.initdb, 0o755);
      await expect(checkRunnable(path.join(dir, 'pgdata'), bins)).rejects.toThrow(/postgres is missing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
