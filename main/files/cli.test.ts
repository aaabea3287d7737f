/**
 * `linedeck files …` in-process against a real PostgreSQL: upload-missing puts a station's existing picture (a
 * reference image whose blob is missing) into the database, a second run uploads nothing; space and retention print
 * JSON documents.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { InspectionService } from '../inspection/service';
import { generateImage } from '../inspection/synth/generate';
import { runCliInProcess } from '../testing/cli';
import { createTestDb, type TestDb } from '../testing/db';

describe('linedeck files', () => {
  let db: TestDb;
  let home: string;
  const cli = (...args: string[]) => runCliInProcess(['--database-url', db.url, '--home', home, ...args]);

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-files-cli-'));
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('upload-missing uploads the local files rows name and the database lacks, once', async () => {
    const svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    const admin = { userId: 0, username: 'cli', fullName: null, role: 'admin' as const };
    const p = await svc.createProduct({ productCode: 'castC', productName: 'castC', description: null, category: null }, admin);
    const img = await generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'cli', index: 0, size: 64 });
    const row = await svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: img.png.toString('base64'), fileName: 'n.png' } }, admin);
    // a station from before the blob store: the row and the file, no blob
    await db.pool.query('delete from file_blobs');
    const first = await cli('files', 'upload-missing', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ uploaded: 1, bytes: img.png.length, missing_locally: 0 });
    const blob = (await db.pool.query('select kind, size from file_blobs where sha256 = $1', [row.sha256])).rows[0];
    expect({ kind: blob.kind, size: Number(blob.size) }).toEqual({ kind: 'reference', size: img.png.length });
    const again = await cli('files', 'upload-missing', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ uploaded: 0 });
    const space = JSON.parse((await cli('files', 'space', '--json')).stdout);
    expect(space).toMatchObject({ retentionDays: 180, total: { blobs: 1 } });
    const ret = await cli('files', 'retention', '--json');
    expect(ret.code).toBe(0);
    expect(JSON.parse(ret.stdout)).toMatchObject({ inspections: 0, files: 0 });
    expect((await db.pool.query("select count(*)::int as n from audit_logs where action = 'files.retention.run'")).rows[0].n).toBe(1);
  });
});
