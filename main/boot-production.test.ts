/**
 * Production and demo are different starts (issue "Installable product"): a station started without demo mode has
 * no users, no demo data and no simulator, writes a one-time setup code that `linedeck setup-code` prints, and
 * refuses the first administrator's setup without it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStation, resolveDemo } from './boot';
import { runCliInProcess } from './testing/cli';
import { createTestDb, type TestDb } from './testing/db';

describe('a production first start', () => {
  let db: TestDb;
  let home: string;
  beforeAll(async () => {
    db = await createTestDb({ migrate: false });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-prod-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('has zero users, no demo data, and asks for the setup code', async () => {
    const st = await bootStation({ home, databaseUrl: db.url, background: false });
    try {
      const call = (name: string, input: unknown) => st.app.call(name, input, { transport: 'test' });
      expect((await db.pool.query('select count(*)::int as n from users')).rows[0].n).toBe(0);
      expect((await db.pool.query('select count(*)::int as n from products')).rows[0].n).toBe(0);
      expect(await call('auth.status', {})).toEqual({ ok: true, value: { needsSetup: true, user: null, demo: false, setupCode: null } });
      expect(await call('system.health', {})).toMatchObject({ ok: true, value: { demo: false } });
      // the code is in LINEDECK_HOME, for the machine's administrator only
      const file = path.join(home, 'setup-code');
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o077).toBe(0);
      const printed = await runCliInProcess(['--home', home, '--database-url', db.url, 'setup-code', '--json']);
      expect(printed.code, printed.stderr).toBe(0);
      const { code } = JSON.parse(printed.stdout);
      expect(code).toBe(fs.readFileSync(file, 'utf8').trim());
      const admin = { username: 'plantadmin', email: 'it@plant.example', password: 'a-long-admin-pass' };
      expect(await call('auth.setup', admin)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
      expect(await call('auth.setup', { ...admin, setupCode: 'WXYZ-WXYZ-WXYZ' })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
      expect(await call('auth.setup', { ...admin, setupCode: code })).toMatchObject({ ok: true, value: { user: { username: 'plantadmin', role: 'admin' } } });
      const after = await runCliInProcess(['--home', home, '--database-url', db.url, 'setup-code', '--json']);
      expect(JSON.parse(after.stdout)).toEqual({ code: null });
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      await st.close();
    }
  }, 120_000);

  it('demo mode is explicit: --demo, LINEDECK_DEMO=1, or config.json demo', () => {
    const cfg = path.join(home, 'config.json');
    expect(resolveDemo(undefined, cfg, {})).toBe(false);
    expect(resolveDemo(true, cfg, {})).toBe(true);
    expect(resolveDemo(undefined, cfg, { LINEDECK_DEMO: '1' })).toBe(true);
    fs.writeFileSync(cfg, JSON.stringify({ demo: true }));
    expect(resolveDemo(undefined, cfg, {})).toBe(true);
    expect(resolveDemo(false, cfg, {})).toBe(false);
    fs.rmSync(cfg);
  });
});
