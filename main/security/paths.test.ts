/**
 * Security item 1 (issue "Security"): a file path reaches the station only from the command line; the transport
 * sets where an inspection came from; UNC, device and URL paths are refused everywhere. Against the real handler
 * table (createApp over a real database), through each transport the screens and the host use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app';
import { CLI_USER } from '../domain';
import { stationPaths } from '../config';
import { pathProblem } from '../lib/paths';
import { readImageInput } from '../inspection/store';
import { createTestDb, type TestDb } from '../testing/db';

describe('paths from callers', () => {
  let db: TestDb;
  let app: App;
  let home: string;
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-paths-'));
    app = createApp({ dbs: db.dbs, paths: stationPaths(home) });
    for (const role of ['worker', 'manager'] as const) {
      await app.services.auth.createUser({ username: `${role}x`, email: `${role}@plant.example`, password: `${role}-long-pass`, role });
      sessions[role] = (await app.services.auth.login(`${role}x`, `${role}-long-pass`)).sessionId;
    }
    await app.call('inspection.products.create', { productCode: 'SEC-1', productName: 'security' }, { transport: 'test', sessionId: sessions.manager });
  });
  afterAll(async () => {
    await app.dispose();
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const secret = () => {
    const f = path.join(home, 'not-for-workers.png');
    fs.writeFileSync(f, 'x');
    return f;
  };

  it('refuses a picture or manual path from the screens and the host, before touching the file system', async () => {
    for (const transport of ['ipc', 'http', 'test'] as const) {
      const ctx = (role: string) => ({ transport, sessionId: sessions[role] });
      // an existing file and a missing one get the same answer: nothing can be probed
      for (const p of [secret(), '/no/such/file.png'])
        expect(await app.call('inspection.inspect', { productCode: 'SEC-1', image: { path: p } }, ctx('worker'))).toMatchObject({
          ok: false,
          error: { kind: 'forbidden', details: { reason: 'path_not_allowed' } },
        });
      expect(await app.call('inspection.images.add', { productId: 1, imageType: 'normal', image: { path: secret() } }, ctx('manager'))).toMatchObject({
        ok: false,
        error: { kind: 'forbidden' },
      });
      expect(await app.call('inspection.manuals.create', { productId: 1, version: '1', manualTitle: 'm', file: { path: '/etc/passwd', fileName: 'x.txt' } }, ctx('manager'))).toMatchObject({
        ok: false,
        error: { kind: 'forbidden' },
      });
      // the screens cannot claim to be a watch folder or the CLI
      for (const source of ['watch', 'cli'])
        expect(await app.call('inspection.inspect', { productCode: 'SEC-1', image: { base64: 'AAAA' }, source }, ctx('worker'))).toMatchObject({
          ok: false,
          error: { kind: 'validation', details: { reason: 'source_refused' } },
        });
    }
    // nothing was stored
    expect((await db.pool.query('select count(*)::int as n from images')).rows[0].n).toBe(0);
  });

  it('refuses UNC, device and URL paths everywhere, the command line and watch folders included', async () => {
    for (const p of ['\\\\fileserver\\share\\x.png', '//fileserver/share/x.png', '\\\\?\\C:\\x.png', '\\\\.\\pipe\\x', 'C:\\cam\\CON', 'NUL.png', 'file:///etc/passwd', 'http://x/y.png'])
      expect(pathProblem(p), p).not.toBeNull();
    for (const p of ['/var/cam/x.png', 'C:\\cam\\frame-001.png', 'relative/x.png', 'D:/line/console.png']) expect(pathProblem(p), p).toBeNull();
    // the CLI's own context: its user, no session
    const cli = { transport: 'cli' as const, user: CLI_USER };
    expect(await app.call('inspection.images.add', { productId: 1, imageType: 'normal', image: { path: '\\\\fileserver\\share\\x.png' } }, cli)).toMatchObject({
      ok: false,
      error: { kind: 'validation', details: { reason: 'path_refused' } },
    });
    expect(() => readImageInput({ path: '//fileserver/share/x.png' })).toThrow(/network \(UNC\)/);
    expect(await app.call('inspection.watch.set', { productId: 1, folderPath: '\\\\fileserver\\cam' }, { transport: 'ipc', sessionId: sessions.manager })).toMatchObject({
      ok: false,
      error: { kind: 'validation', details: { reason: 'path_refused' } },
    });
  });
});
