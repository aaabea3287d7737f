/** Security item 8 (issue "Security"): the smaller ones — job cancelling by role, no database password in messages. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorBody } from '../api/dispatch';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
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
