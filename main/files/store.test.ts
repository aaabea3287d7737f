/**
 * The blob store and the cache against a real PostgreSQL: a file of several chunks in and out, idempotent puts, the
 * hash checked on put and on fetch, a corrupt cache file found and fetched again, and eviction that keeps to its
 * bound but never deletes a file the database lacks.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { CHUNK_BYTES, FileStore, sha256Of } from './store';

describe('file store', () => {
  let db: TestDb;
  let tmp: string;
  const rootA = () => path.join(tmp, 'a', 'images');
  const rootB = () => path.join(tmp, 'b', 'images');
  const blobRows = async (sha: string) => (await db.pool.query<{ n: number }>('select count(*)::int as n from file_blobs where sha256 = $1', [sha])).rows[0].n;
  const chunkRows = async (sha: string) => (await db.pool.query<{ n: number }>('select count(*)::int as n from file_chunks where sha256 = $1', [sha])).rows[0].n;

  beforeAll(async () => {
    db = await createTestDb();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-files-store-'));
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('puts a file of several chunks and fetches it into another cache, byte for byte', async () => {
    const a = new FileStore(() => db.dbs.pool('inspection', 'job'), rootA());
    const b = new FileStore(() => db.dbs.pool('inspection', 'job'), rootB());
    const bytes = crypto.randomBytes(3 * CHUNK_BYTES + 12345);
    const src = path.join(tmp, 'big.ldb');
    fs.writeFileSync(src, bytes);
    const put = await a.putFile(src, 'bank');
    expect(put).toEqual({ sha256: sha256Of(bytes), size: bytes.length, uploaded: true });
    expect(await chunkRows(put.sha256)).toBe(4);
    const lens = (await db.pool.query<{ n: number }>('select octet_length(data) as n from file_chunks where sha256 = $1 order by seq', [put.sha256])).rows.map((r) => r.n);
    expect(lens).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 12345]);
    const got = await b.resolve(put.sha256, 'ldb');
    expect(got).toBe(path.join(rootB(), put.sha256.slice(0, 2), put.sha256.slice(2, 4), `${put.sha256}.ldb`));
    expect(fs.readFileSync(got).equals(bytes)).toBe(true);
    // no temporary file stays beside it
    expect(fs.readdirSync(path.dirname(got))).toEqual([`${put.sha256}.ldb`]);
  });

  it('put is idempotent: the same content is one blob, the second put uploads nothing', async () => {
    const a = new FileStore(() => db.dbs.pool('inspection', 'job'), rootA());
    const bytes = crypto.randomBytes(5000);
    const sha = sha256Of(bytes);
    expect(await a.putSmall([{ bytes, kind: 'artifact' }])).toEqual([sha]);
    expect(await a.putSmall([{ bytes, kind: 'artifact' }, { bytes, kind: 'artifact' }])).toEqual([]);
    const f = path.join(tmp, 'same.bin');
    fs.writeFileSync(f, bytes);
    expect(await a.putFile(f, 'other')).toMatchObject({ sha256: sha, uploaded: false });
    expect(await blobRows(sha)).toBe(1);
    expect(await chunkRows(sha)).toBe(1);
  });

  it('refuses bytes that do not match their hash: nothing is stored', async () => {
    const a = new FileStore(() => db.dbs.pool('inspection', 'job'), rootA());
    const bytes = crypto.randomBytes(100);
    const wrong = sha256Of(Buffer.from('something else'));
    await expect(a.putSmall([{ bytes, kind: 'image', sha256: wrong }])).rejects.toMatchObject({ name: 'FileHashError' });
    const f = path.join(tmp, 'liar.bin');
    fs.writeFileSync(f, bytes);
    await expect(a.putFile(f, 'image', wrong)).rejects.toMatchObject({ name: 'FileHashError' });
    expect(await blobRows(wrong)).toBe(0);
    expect(await blobRows(sha256Of(bytes))).toBe(0);
  });

  it('a corrupt cache file is found (its size or mtime changed) and fetched again; a missing blob says so', async () => {
    const a = new FileStore(() => db.dbs.pool('inspection', 'job'), rootA());
    const bytes = crypto.randomBytes(2 * CHUNK_BYTES + 7);
    await a.putSmall([{ bytes, kind: 'image' }]);
    const sha = sha256Of(bytes);
    const b = new FileStore(() => db.dbs.pool('inspection', 'job'), rootB());
    const file = await b.resolve(sha, 'png');
    // a flipped byte, same size, a later mtime
    const bad = Buffer.from(bytes);
    bad[1000] ^= 0xff;
    fs.writeFileSync(file, bad);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await b.resolve(sha, 'png')).toBe(file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    // a new console (no index) verifies what it finds once
    fs.writeFileSync(file, bad);
    const c = new FileStore(() => db.dbs.pool('inspection', 'job'), rootB());
    fs.rmSync(path.join(rootB(), '.cache-index.json'), { force: true });
    expect(fs.readFileSync(await c.resolve(sha, 'png')).equals(bytes)).toBe(true);
    await expect(c.resolve('0'.repeat(64), 'png')).rejects.toMatchObject({ name: 'FileNotStoredError' });
  });

  it('evicts the least recently used files down to its bound, never one the database lacks', async () => {
    const root = path.join(tmp, 'evict', 'images');
    const s = new FileStore(() => db.dbs.pool('inspection', 'job'), root, { limitBytes: 5 * 100_000 });
    const files = Array.from({ length: 8 }, () => crypto.randomBytes(100_000));
    // the first three are only local (a station offline); the others are in the database
    const local = files.slice(0, 3).map((b) => s.writeLocal(b, 'png'));
    await s.putSmall(files.slice(3).map((bytes) => ({ bytes, kind: 'artifact' as const })));
    const stored = files.slice(3).map((b) => s.writeLocal(b, 'png'));
    await new Promise((r) => setTimeout(r, 50));
    // the newest stored file is used again: it is the most recent
    await s.resolve(stored[0].sha256, 'png');
    await s.evict();
    const exists = (x: { absPath: string }) => fs.existsSync(x.absPath);
    expect(local.map(exists)).toEqual([true, true, true]);
    expect(s.usage().bytes).toBeLessThanOrEqual(5 * 100_000 * 0.9 + 100_000);
    expect(exists(stored[0])).toBe(true);
    expect(stored.filter(exists).length).toBeLessThan(stored.length);
    // what was evicted comes back from the database
    const gone = stored.find((x) => !exists(x))!;
    expect(fs.readFileSync(await s.resolve(gone.sha256, 'png')).equals(files[3 + stored.indexOf(gone)])).toBe(true);
    // over the bound with only local files: nothing can go
    const only = new FileStore(() => db.dbs.pool('inspection', 'job'), path.join(tmp, 'evict2', 'images'), { limitBytes: 100_000 });
    const kept = files.slice(0, 3).map((b) => only.writeLocal(b, 'png'));
    expect(await only.evict()).toBe(0);
    expect(kept.map(exists)).toEqual([true, true, true]);
  });

  it('two stores on one cache (two modules, the app and the CLI) keep each other’s index entries', async () => {
    const root = path.join(tmp, 'shared', 'images');
    const one = new FileStore(() => db.dbs.pool('inspection', 'job'), root);
    const two = new FileStore(() => db.dbs.pool('inspection', 'job'), root);
    const x = one.writeLocal(crypto.randomBytes(1000), 'png');
    const y = two.writeLocal(crypto.randomBytes(2000), 'png');
    one.flush();
    two.flush();
    expect(new FileStore(() => db.dbs.pool('inspection', 'job'), root).usage()).toEqual({ bytes: 3000, files: 2 });
    // a file one of them removed stays removed
    one.removeLocal(x.sha256, 'png');
    one.flush();
    two.flush();
    expect(new FileStore(() => db.dbs.pool('inspection', 'job'), root).usage()).toEqual({ bytes: 2000, files: 1 });
    expect(fs.existsSync(y.absPath)).toBe(true);
  });
});
