/**
 * Security item 8 (issue "Security"): the smaller ones — job cancelling by role, no database password in messages,
 * system.health's details for managers only, the host's info file owner-only and without the database password, and
 * the bundled models. (Events by session and role: ./events.test.ts.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorBody } from '../api/dispatch';
import { ROLES } from '../api/kit';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { Databases } from '../db/pools';
import { hostInfo, writeHostInfo } from '../host/info';
import { startHost } from '../host/server';
import { SOURCE_DOWN } from '../system/health';
import { createTestDb, type TestDb } from '../testing/db';

describe('smaller security items', () => {
  let db: TestDb;
  let app: App;
  let home: string;
  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-small-'));
    app = createApp({ dbs: db.dbs, paths: stationPaths(home) });
  });
  afterAll(async () => {
    await app.dispose();
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a worker cannot cancel a job (a manager’s bank build); a manager can', async () => {
    const job = app.services.jobs.start('bank', (c) => new Promise((_r, reject) => c.signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { name: 'AbortError' })))));
    for (const role of ['worker', 'manager'] as const) await app.services.auth.createUser({ username: `${role}c`, email: `${role}c@plant.example`, password: `${role}-cancel-pass`, role });
    const sid = async (u: string, p: string) => (await app.services.auth.login(u, p)).sessionId;
    const worker = await sid('workerc', 'worker-cancel-pass');
    const manager = await sid('managerc', 'manager-cancel-pass');
    expect(await app.call('jobs.cancel', { jobId: job.jobId }, { transport: 'ipc', sessionId: worker })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await app.call('jobs.cancel', { jobId: job.jobId }, { transport: 'ipc', sessionId: manager })).toEqual({ ok: true, value: { cancelled: true } });
    await expect(job.done).rejects.toThrow();
  });

  it('a database URL’s password never reaches an error message', () => {
    const e = new Error('could not connect with postgresql://linedeck:S3cret!pw@db.plant:5432/plant and postgres://a:b@c/d');
    const body = toErrorBody(e);
    expect(body.message).not.toMatch(/S3cret|:b@/);
    expect(body.message).toContain('postgresql://linedeck:***@db.plant:5432/plant');
  });

  it('system.health without a manager’s session: per source ok, latency and a generic reason, no URL, host, user or error text', async () => {
    // one source on a server that refuses (its URL names a user, a password and a host:port), two on the test database
    const dead = 'postgresql://plant_reader:Hunter2pw@127.0.0.1:1/plantdb';
    const dbs = new Databases({ cylinders: db.url, telemetry: dead, inspection: db.url });
    const home2 = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-health-'));
    const app2 = createApp({ dbs, paths: stationPaths(home2) });
    try {
      const sessions: Record<string, string | undefined> = { none: undefined };
      for (const role of ROLES) {
        await app2.services.auth.createUser({ username: `${role}h`, email: `${role}h@plant.example`, password: `${role}-health-pass`, role });
        sessions[role] = (await app2.services.auth.login(`${role}h`, `${role}-health-pass`)).sessionId;
      }
      const live = new URL(db.url);
      for (const [who, sessionId] of Object.entries(sessions)) {
        const r = await app2.call('system.health', {}, { transport: 'http', sessionId });
        if (!r.ok) throw new Error(`${who}: ${r.error.message}`);
        const text = JSON.stringify(r.value);
        const h = r.value as { sources: { source: string; ok: boolean; latencyMs: number; url?: string; error?: string }[] };
        expect(h.sources.map((x) => [x.source, x.ok])).toEqual([
          ['cylinders', true],
          ['telemetry', false],
          ['inspection', true],
        ]);
        // nobody sees a password
        expect(text).not.toContain('Hunter2pw');
        expect(text).not.toContain(live.password || '\u0000');
        if (who === 'manager' || who === 'admin') {
          expect(h.sources[1].url).toBe('postgresql://plant_reader:***@127.0.0.1:1/plantdb');
          expect(h.sources[1].error).toMatch(/127\.0\.0\.1:1.*refused/);
          continue;
        }
        for (const x of h.sources) {
          expect(Object.keys(x).sort(), who).toEqual(x.ok ? ['latencyMs', 'ok', 'source'] : ['error', 'latencyMs', 'ok', 'source']);
          expect(typeof x.latencyMs).toBe('number');
        }
        expect(h.sources[1].error).toBe(SOURCE_DOWN);
        for (const secret of ['plant_reader', 'plantdb', '127.0.0.1', ':1/', 'refused', live.username, live.pathname.slice(1), `:${live.port}`]) expect(text, `${who} sees ${secret}`).not.toContain(secret);
      }
    } finally {
      await app2.dispose();
      await dbs.close();
      fs.rmSync(home2, { recursive: true, force: true });
    }
  });

  it('the host info file is written atomically, owner-only (also over an older open file), without the database password', async () => {
    const host = await startHost({ app });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-info-'));
    const file = path.join(dir, 'host-info.json');
    try {
      // an older file, readable by all, in place: the new one replaces it and is not readable by others
      fs.writeFileSync(file, '{"old":true}', { mode: 0o644 });
      fs.chmodSync(file, 0o644);
      const dbUrl = 'postgresql://postgres:S3cretEmbedded@127.0.0.1:5499/linedeck';
      writeHostInfo(file, hostInfo(host, { home, databaseUrl: dbUrl }));
      const text = fs.readFileSync(file, 'utf8');
      const info = JSON.parse(text);
      expect(info).toEqual({ url: host.url, openUrl: host.openUrl, token: host.token, pid: process.pid, home, databaseUrl: 'postgresql://postgres:***@127.0.0.1:5499/linedeck' });
      expect(text).not.toContain('S3cretEmbedded');
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      // no temporary file left beside it
      expect(fs.readdirSync(dir)).toEqual(['host-info.json']);
      expect(hostInfo(host, { home, databaseUrl: undefined }).databaseUrl).toBeNull();
    } finally {
      await host.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform === 'win32')('main/host/bin.ts writes its info file owner-only (a real start on the test database)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-bin-'));
    const file = path.join(dir, 'info.json');
    const tsx = path.join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const proc = spawn(tsx, ['main/host/bin.ts', '--home', dir, '--database-url', db.url, '--info-file', file, '--no-seed', '--no-background', '--static', dir], {
      cwd: process.cwd(),
      env: { ...process.env, LINEDECK_LOG_LEVEL: 'error', LINEDECK_DEMO: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    try {
      const deadline = Date.now() + 45_000;
      while (!fs.existsSync(file)) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the host did not write its info file:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const info = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(info).toMatchObject({ token: expect.any(String), home: dir, databaseUrl: null });
      expect(fs.readFileSync(file, 'utf8')).not.toContain(new URL(db.url).password || '\u0000');
    } finally {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the shipped models are the application’s own, not ./ml-models of the folder the station was started from', async () => {
    const { builtinModelsDir } = await import('../inspection/engine/models');
    const { appRoot } = await import('../resources');
    const planted = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-planted-'));
    fs.mkdirSync(path.join(planted, 'ml-models', 'linedeck-patchcore-default'), { recursive: true });
    fs.writeFileSync(path.join(planted, 'ml-models', 'linedeck-patchcore-default', 'model.json'), '{}');
    const cwd = process.cwd();
    const env = process.env.LINEDECK_MODELS_DIR;
    delete process.env.LINEDECK_MODELS_DIR;
    try {
      process.chdir(planted);
      expect(builtinModelsDir()).toBe(path.join(appRoot(), 'ml-models'));
      expect(builtinModelsDir().startsWith(planted)).toBe(false);
    } finally {
      process.chdir(cwd);
      if (env !== undefined) process.env.LINEDECK_MODELS_DIR = env;
      fs.rmSync(planted, { recursive: true, force: true });
    }
  });
});
