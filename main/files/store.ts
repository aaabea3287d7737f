/**
 * The plant's shared files (decisions.md, Plant rule 4): every file is named by the sha256 of its bytes, stored
 * once in the database (file_blobs + 1 MiB file_chunks) and cached on each console under LINEDECK_HOME/images in
 * the image store's layout `ab/cd/<sha>.<ext>` (originals, artifacts, banks, manuals alike).
 *
 * - put: idempotent (same content = one blob row); the hash is checked against the bytes actually inserted before
 *   the transaction commits. A file is read twice (hash, then insert while hashing again), one chunk in memory.
 * - fetch: chunks streamed into a temporary file beside the cache entry, hashed on the way, renamed into place
 *   only when the hash matches.
 * - resolve(sha, ext): "a local path for this content": the cached file when it is verified, else fetched.
 *   Verification is cheap: a file is hashed when it enters the cache (or the first time this console sees it) and
 *   again only when its size or mtime no longer match what was verified (the index, `.cache-index.json`); a file
 *   whose hash is wrong is deleted and fetched again.
 * - the cache is bounded (LINEDECK_FILE_CACHE_MB, default 4 GiB): past the bound the least recently used files are
 *   deleted down to 90 %, but never one whose blob is not in the database yet (a station offline keeps its files).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { withTransaction } from '../db/pools';
import { log } from '../log';
import * as q from './queries';
import { DEFAULT_CACHE_MB, type FileKind } from './types';
import { writeAtomic } from '../lib/fsutil';

export const CHUNK_BYTES = 1024 * 1024;
/** chunks read per query when fetching */
const FETCH_BATCH = 4;
const CONTENT_NAME = /^([0-9a-f]{64})\.([a-z0-9]{1,8})$/;

export class FileNotStoredError extends Error {
  constructor(readonly sha256: string) {
    super(`the file ${sha256.slice(0, 12)}… is not in the database`);
    this.name = 'FileNotStoredError';
  }
}

export class FileHashError extends Error {
  constructor(expected: string, got: string, what: string) {
    super(`${what}: content hash ${got.slice(0, 12)}… is not ${expected.slice(0, 12)}…`);
    this.name = 'FileHashError';
  }
}

interface IndexEntry {
  ext: string;
  size: number;
  mtimeMs: number;
  lastUsed: number;
}

export function sha256Of(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export async function sha256OfFile(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `ab/cd/<sha>.<ext>` */
export function contentRelPath(sha256: string, ext: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  if (!/^[a-z0-9]{1,8}$/.test(ext)) throw new Error(`bad file extension ${ext}`);
  return `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}.${ext}`;
}

/** The content address in a stored path's file name (`…/<sha>.<ext>`), or null (an old-style artifact folder path, a manual written at the station). */
export function contentOf(relPath: string): { sha256: string; ext: string } | null {
  const m = CONTENT_NAME.exec(path.posix.basename(relPath));
  return m ? { sha256: m[1], ext: m[2] } : null;
}

export function cacheLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = Number(env.LINEDECK_FILE_CACHE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_CACHE_MB) * 1024 * 1024;
}

export interface FileStoreOptions {
  /** the cache's bound in bytes (default: LINEDECK_FILE_CACHE_MB or 4 GiB) */
  limitBytes?: number;
}

export class FileStore {
  readonly limitBytes: number;
  private index?: Map<string, IndexEntry>;
  /** contents this instance deleted since its last flush (not brought back from the file by the merge) */
  private dropped = new Set<string>();
  private saveTimer?: NodeJS.Timeout;
  private inflight = new Map<string, Promise<string>>();
  private evicting?: Promise<number>;
  private logger = log('files');

  /**
   * @param db the pool blobs are read and written with (a long statement timeout: a bank is 100 chunks)
   * @param root the cache's root, LINEDECK_HOME/images
   */
  constructor(
    private readonly db: () => pg.Pool,
    readonly root: string,
    opts: FileStoreOptions = {},
  ) {
    this.limitBytes = opts.limitBytes ?? cacheLimitBytes();
  }

  abs(sha256: string, ext: string): string {
    return path.join(this.root, contentRelPath(sha256, ext));
  }

  // ------------------------------------------------------------------------------------------------ index

  private indexFile(): string {
    return path.join(this.root, '.cache-index.json');
  }

  private idx(): Map<string, IndexEntry> {
    if (!this.index) this.index = this.readIndex();
    return this.index;
  }

  private readIndex(): Map<string, IndexEntry> {
    const m = new Map<string, IndexEntry>();
    try {
      const raw = JSON.parse(fs.readFileSync(this.indexFile(), 'utf8')) as Record<string, IndexEntry>;
      for (const [k, v] of Object.entries(raw)) if (/^[0-9a-f]{64}$/.test(k) && v && typeof v.size === 'number') m.set(k, v);
    } catch {
      /* no index yet, or a broken one: files are verified again on first use */
    }
    return m;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), 1000);
    this.saveTimer.unref?.();
  }

  /** Writes the cache index now (it is written a second after changes anyway). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.index) return;
    try {
      // another FileStore on this cache (the app's other module, the CLI) may have written entries meanwhile:
      // keep theirs, unless this one deleted the file
      for (const [k, v] of this.readIndex()) if (!this.index.has(k) && !this.dropped.has(k)) this.index.set(k, v);
      this.dropped.clear();
      // and forget files another one deleted (one stat each: the index is meant for thousands, not millions)
      for (const [k, v] of this.index) if (!fs.existsSync(this.abs(k, v.ext))) this.index.delete(k);
      fs.mkdirSync(this.root, { recursive: true });
      const tmp = `${this.indexFile()}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.index)));
      fs.renameSync(tmp, this.indexFile());
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'cache index not written');
    }
  }

  /** Records a verified file (its content is `sha256`) as in the cache. */
  private note(sha256: string, ext: string, st: fs.Stats): void {
    this.idx().set(sha256, { ext, size: st.size, mtimeMs: st.mtimeMs, lastUsed: Date.now() });
    this.scheduleSave();
  }

  /** The bytes the cache holds (files it knows) and their count. */
  usage(): { bytes: number; files: number } {
    let bytes = 0;
    for (const e of this.idx().values()) bytes += e.size;
    return { bytes, files: this.idx().size };
  }

  // ------------------------------------------------------------------------------------------------ local

  /**
   * Writes bytes into the cache by content (once), without uploading them; returns the relative path. The bytes'
   * hash is computed here unless given (the caller computed it from the same bytes).
   */
  writeLocal(bytes: Buffer, ext: string, sha256 = sha256Of(bytes)): { sha256: string; relPath: string; absPath: string } {
    const relPath = contentRelPath(sha256, ext);
    const absPath = path.join(this.root, relPath);
    let st = fs.statSync(absPath, { throwIfNoEntry: false });
    if (!st || st.size !== bytes.length) {
      writeAtomic(absPath, bytes);
      st = fs.statSync(absPath);
    }
    this.note(sha256, ext, st);
    this.maybeEvict();
    return { sha256, relPath, absPath };
  }

  /** Tells the cache about a file written by content elsewhere (the inspection's artifacts stage). */
  noteWritten(sha256: string, ext: string, absPath: string): void {
    const st = fs.statSync(absPath, { throwIfNoEntry: false });
    if (!st) return;
    this.note(sha256, ext, st);
    this.maybeEvict();
  }

  /**
   * Deletes cached files whose blobs are not in the database (what a rolled-back inspection wrote); a file another
   * committed row names has its blob stored and stays.
   */
  async discardUnstored(files: { sha256: string; ext: string }[]): Promise<void> {
    const stored = await q.presentBlobs(this.db(), files.map((f) => f.sha256));
    for (const f of files) if (!stored.has(f.sha256)) this.removeLocal(f.sha256, f.ext);
  }

  /** Moves a finished file (e.g. a bank just built) into the cache under its content; returns its hash and path. */
  async adoptFile(file: string, ext: string, sha256?: string): Promise<{ sha256: string; absPath: string; relPath: string }> {
    const sha = sha256 ?? (await sha256OfFile(file));
    const relPath = contentRelPath(sha, ext);
    const absPath = path.join(this.root, relPath);
    fs.mkdirSync(path.dirname(absPath), { recursive: true });
    fs.renameSync(file, absPath);
    this.note(sha, ext, fs.statSync(absPath));
    return { sha256: sha, absPath, relPath };
  }

  // ------------------------------------------------------------------------------------------------ put

  /**
   * Stores small files' blobs (pictures, artifacts: each read whole) in one statement, inside the caller's
   * transaction when `q` is its client. Idempotent. The hashes are computed here from the bytes.
   */
  async putSmall(items: { bytes: Buffer; kind: FileKind; sha256?: string }[], qy: q.Queryable = this.db()): Promise<string[]> {
    const seen = new Set<string>();
    const blobs: Parameters<typeof q.insertSmallBlobs>[1] = [];
    for (const it of items) {
      const sha = sha256Of(it.bytes);
      if (it.sha256 && it.sha256 !== sha) throw new FileHashError(it.sha256, sha, 'put');
      if (seen.has(sha)) continue;
      seen.add(sha);
      const chunks: Buffer[] = [];
      for (let o = 0; o < it.bytes.length || o === 0; o += CHUNK_BYTES) chunks.push(it.bytes.subarray(o, o + CHUNK_BYTES));
      blobs.push({ sha256: sha, kind: it.kind, chunks, size: it.bytes.length, chunkSize: CHUNK_BYTES });
    }
    return q.insertSmallBlobs(qy, blobs);
  }

  /**
   * Stores a file's blob, streamed one chunk at a time in one transaction; idempotent (an existing blob is not
   * read again). The bytes inserted are hashed again and the transaction commits only when that hash is `sha256`.
   */
  async putFile(file: string, kind: FileKind, sha256?: string): Promise<{ sha256: string; size: number; uploaded: boolean }> {
    const sha = sha256 ?? (await sha256OfFile(file));
    const size = fs.statSync(file).size;
    const uploaded = await withTransaction(this.db(), async (c) => {
      if (!(await q.claimBlob(c, sha, size, kind, CHUNK_BYTES))) return false;
      const h = crypto.createHash('sha256');
      let seq = 0;
      let total = 0;
      const fd = await fs.promises.open(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        for (;;) {
          const { bytesRead } = await fd.read(buf, 0, CHUNK_BYTES, null);
          if (bytesRead === 0 && seq > 0) break;
          const chunk = Buffer.from(buf.subarray(0, bytesRead));
          h.update(chunk);
          total += bytesRead;
          await q.insertChunk(c, sha, seq++, chunk);
          if (bytesRead < CHUNK_BYTES) break;
        }
      } finally {
        await fd.close();
      }
      const got = h.digest('hex');
      if (got !== sha || total !== size) throw new FileHashError(sha, got, `upload of ${file}`);
      return true;
    });
    return { sha256: sha, size, uploaded };
  }

  /** Stores the blob of a cached file that may not be in the database yet (a file this console wrote). */
  async upload(sha256: string, ext: string, kind: FileKind): Promise<boolean> {
    return (await this.putFile(this.abs(sha256, ext), kind, sha256)).uploaded;
  }

  async has(sha256: string): Promise<boolean> {
    return (await q.presentBlobs(this.db(), [sha256])).has(sha256);
  }

  // ------------------------------------------------------------------------------------------------ get

  /**
   * A local path holding the content `sha256`: the cached file when it is there and verified, else the blob
   * fetched from the database (FileNotStoredError when there is none). A cached file with the wrong bytes is
   * deleted and fetched again.
   */
  async resolve(sha256: string, ext: string): Promise<string> {
    const abs = this.abs(sha256, ext);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (st?.isFile()) {
      const e = this.idx().get(sha256);
      if (e && e.size === st.size && e.mtimeMs === st.mtimeMs) {
        e.lastUsed = Date.now();
        this.scheduleSave();
        return abs;
      }
      // seen for the first time, or changed since it was verified: hash it
      if ((await sha256OfFile(abs)) === sha256) {
        this.note(sha256, ext, st);
        return abs;
      }
      this.logger.warn({ sha256, file: abs }, 'cached file does not match its hash: fetched again');
      fs.rmSync(abs, { force: true });
      this.idx().delete(sha256);
      this.dropped.add(sha256);
    }
    return this.fetch(sha256, ext);
  }

  /**
   * The path of a stored relative path: `ab/cd/<sha>.<ext>` is resolved by content; another path (an artifact
   * folder of an inspection from before content addressing) is used where it is, or, when this console lacks it,
   * resolved by the content upload-missing recorded for it (file_legacy_paths).
   */
  async resolveRel(relPath: string): Promise<string> {
    const c = contentOf(relPath);
    if (c) return this.resolve(c.sha256, c.ext);
    const abs = path.join(this.root, relPath);
    if (fs.existsSync(abs)) return abs;
    const sha = await q.legacyPathSha(this.db(), relPath);
    const ext = path.extname(relPath).slice(1).toLowerCase();
    if (!sha || !/^[a-z0-9]{1,8}$/.test(ext)) return abs;
    return this.resolve(sha, ext);
  }

  /** Fetches a blob into the cache (one fetch per content at a time). */
  fetch(sha256: string, ext: string): Promise<string> {
    const key = `${sha256}.${ext}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchNow(sha256, ext).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetchNow(sha256: string, ext: string): Promise<string> {
    const db = this.db();
    const info = await q.blobInfo(db, sha256);
    if (!info) throw new FileNotStoredError(sha256);
    const abs = this.abs(sha256, ext);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.part`;
    const h = crypto.createHash('sha256');
    const fd = await fs.promises.open(tmp, 'w');
    try {
      for (let seq = 0; seq < info.chunks; seq += FETCH_BATCH) {
        const rows = await q.readChunks(db, sha256, seq, FETCH_BATCH);
        for (const r of rows) {
          h.update(r.data);
          await fd.write(r.data);
        }
      }
      await fd.close();
      const got = h.digest('hex');
      if (got !== sha256) throw new FileHashError(sha256, got, 'fetched blob');
      fs.renameSync(tmp, abs);
    } catch (e) {
      await fd.close().catch(() => undefined);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    this.note(sha256, ext, fs.statSync(abs));
    this.maybeEvict();
    return abs;
  }

  // ------------------------------------------------------------------------------------------------ eviction

  private maybeEvict(): void {
    if (this.evicting || this.usage().bytes <= this.limitBytes) return;
    this.evicting = this.evict().finally(() => (this.evicting = undefined));
    this.evicting.catch((e) => this.logger.warn({ err: (e as Error).message }, 'cache eviction failed'));
  }

  /**
   * Deletes least recently used cached files until the cache is at 90 % of its bound (when it is over the bound,
   * or `force`); a file whose blob is not in the database is never deleted. Returns the bytes freed.
   */
  async evict(opts: { force?: boolean } = {}): Promise<number> {
    const index = this.idx();
    let { bytes } = this.usage();
    if (bytes <= this.limitBytes && !opts.force) return 0;
    const target = Math.floor(this.limitBytes * 0.9);
    const byAge = [...index].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let freed = 0;
    for (let i = 0; i < byAge.length && bytes > target; i += 200) {
      const batch = byAge.slice(i, i + 200);
      const stored = await q.presentBlobs(this.db(), batch.map(([sha]) => sha));
      for (const [sha, e] of batch) {
        if (bytes <= target) break;
        if (!stored.has(sha)) continue;
        fs.rmSync(this.abs(sha, e.ext), { force: true });
        index.delete(sha);
        this.dropped.add(sha);
        bytes -= e.size;
        freed += e.size;
      }
    }
    this.scheduleSave();
    if (freed) this.logger.info({ freed, bytes, limit: this.limitBytes }, 'file cache trimmed');
    return freed;
  }

  /** Forgets and deletes a cached file (retention). */
  removeLocal(sha256: string, ext: string): void {
    fs.rmSync(this.abs(sha256, ext), { force: true });
    this.idx().delete(sha256);
    this.dropped.add(sha256);
    this.scheduleSave();
  }
}
