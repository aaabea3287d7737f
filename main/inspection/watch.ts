/**
 * Watch folders: a line camera drops image files into a folder configured per product
 * (`inspection_watch_folders`); each new file is inspected once (source `watch`), also across restarts and when
 * two stations watch the same share.
 *
 * - Discovery: a periodic scan of every enabled folder (the source of truth; network shares drop fs.watch
 *   events), plus fs.watch where it works to scan sooner.
 * - Stability: a file is taken when two scans at least `stableMs` apart saw the same size and mtime (a camera
 *   still writing it changes one of them). Hidden files and `*.tmp` / `*.part` / `*.partial` are skipped.
 * - Identity: (product, absolute path, size, mtime in ms). The file's row in `inspection_watch_files` is written
 *   inside the inspection's own transaction (`withinTransaction`), with `on conflict do nothing`: when the row
 *   exists already the transaction is rolled back, so a file and its inspection commit together or not at all.
 *   A station stopped mid-inspection leaves no row and inspects the file again after the restart; one stopped
 *   after the commit finds the row and skips it.
 * - A file that is not a usable image (damaged, unsupported) is recorded as `refused` with the reason, once.
 *   Passing trouble (no bank yet, database down) leaves the file for a later scan, with a back-off.
 * - Queue: files are inspected one at a time in the order they became stable; every change of the queue is
 *   pushed as the `inspection.queue` event (state()).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import { withTransaction } from '../db/pools';
import { log } from '../log';
import type { InspectionPipeline } from './pipeline';
import { MAX_IMAGE_BYTES } from './store';
import {
  deleteWatchFolder,
  enabledWatchFolders,
  knownWatchFiles,
  listWatchFolderRows,
  lockWatchFolder,
  productCodeOf,
  recordWatchFileInspected,
  recordWatchFileRefused,
  upsertWatchFolder,
  watchFolderOwner,
  watchFolderRow,
  type EnabledWatchFolderRow,
  type WatchFileIdentity,
  type WatchFolderDbRow,
} from './queries';
import { userRef, type InspectionService } from './service';
import type { WatchFolderRow, WatchQueueItem, WatchQueueState } from './types';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?)$/i;
const PARTIAL = /(^\.|\.(tmp|part|partial|crdownload)$)/i;

export interface WatchOptions {
  /** scan interval (default 1000 ms, env LINEDECK_WATCH_POLL_MS) */
  pollMs?: number;
  /** how long a file's size and mtime must stay the same before it is taken (default 1000 ms) */
  stableMs?: number;
  /** also use fs.watch to scan sooner (default true) */
  fsWatch?: boolean;
  /** back-off after a passing failure (default 15 s) */
  retryMs?: number;
}

interface FolderState {
  watchId: number;
  productId: number;
  productCode: string;
  folder: string;
  fsw?: fs.FSWatcher;
  /** files seen but not yet stable: path → last stat and since when it has not changed */
  candidates: Map<string, { size: number; mtimeMs: number; since: number; notBefore?: number }>;
  /** files known to be done (recorded in the database): path → identity */
  done: Map<string, string>;
  problem: string | null;
}

interface QueueEntry extends WatchQueueItem {
  mtimeMs: number;
  absPath: string;
  folder: FolderState;
}

class AlreadyDone extends Error {
  constructor() {
    super('already inspected');
    this.name = 'AlreadyDone';
  }
}

const identity = (size: number, mtimeMs: number) => `${size}:${Math.floor(mtimeMs)}`;

function mapRow(r: WatchFolderDbRow): WatchFolderRow {
  let problem: string | null = null;
  try {
    const st = fs.statSync(r.folder_path);
    if (!st.isDirectory()) problem = 'not a folder';
    else fs.accessSync(r.folder_path, fs.constants.R_OK);
  } catch (e) {
    problem = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the folder does not exist' : (e as Error).message;
  }
  return {
    watchId: r.watch_id,
    productId: r.product_id,
    productCode: r.product_code,
    folderPath: r.folder_path,
    isEnabled: r.is_enabled,
    updatedAt: new Date(r.updated_at).toISOString(),
    updatedBy: r.updated_by_name ?? null,
    processed: Number(r.processed ?? 0),
    failed: Number(r.failed ?? 0),
    reachable: problem === null,
    problem,
  };
}

/** Watch-folder configuration in the database (procedures inspection.watch.*). */
export async function listWatchFolders(svc: InspectionService): Promise<WatchFolderRow[]> {
  return (await listWatchFolderRows(svc.read)).map(mapRow);
}

export async function setWatchFolder(svc: InspectionService, input: { productId: number; folderPath: string; isEnabled?: boolean }, actor?: SessionUser): Promise<WatchFolderRow> {
  const folder = path.resolve(input.folderPath.trim());
  if (!path.isAbsolute(input.folderPath.trim())) throw new ApiError('validation', `give the folder as an absolute path (got ${input.folderPath})`, because('watch_folder_not_absolute', { folder: input.folderPath }));
  const store = path.resolve(svc.paths.images);
  const rel = path.relative(store, folder);
  if (!rel || (!rel.startsWith('..') && !path.isAbsolute(rel))) throw new ApiError('validation', 'the watch folder cannot be inside the station’s image store', because('watch_folder_in_store'));
  try {
    fs.mkdirSync(folder, { recursive: true });
    if (!fs.statSync(folder).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new ApiError('validation', `cannot use ${folder} as a watch folder: ${(e as Error).message}`, because('watch_folder_unusable', { folder, problem: (e as Error).message }));
  }
  return withTransaction(svc.read, async (c) => {
    const productCode = await productCodeOf(c, input.productId);
    if (productCode === undefined) throw new ApiError('not_found', `no product with id ${input.productId}`, because('product_not_found', { product: input.productId }));
    const other = await watchFolderOwner(c, folder, input.productId);
    if (other !== undefined) throw new ApiError('conflict', `${folder} is already the watch folder of ${other}`, because('watch_folder_taken', { folder, productCode: other }));
    const before = await lockWatchFolder(c, input.productId);
    await upsertWatchFolder(c, { productId: input.productId, folder, isEnabled: input.isEnabled ?? true, updatedBy: userRef(actor) });
    await writeAudit(c, actor, {
      action: 'inspection.watch.set',
      table: 'inspection_watch_folders',
      operation: before ? 'UPDATE' : 'INSERT',
      target: productCode,
      before: before ? { folderPath: before.folder_path, isEnabled: before.is_enabled } : undefined,
      after: { folderPath: folder, isEnabled: input.isEnabled ?? true },
    });
    return mapRow((await watchFolderRow(c, input.productId))!);
  });
}

export async function removeWatchFolder(svc: InspectionService, productId: number, actor?: SessionUser): Promise<{ deleted: boolean }> {
  return withTransaction(svc.read, async (c) => {
    const deleted = await deleteWatchFolder(c, productId);
    if (deleted)
      await writeAudit(c, actor, {
        action: 'inspection.watch.remove',
        table: 'inspection_watch_folders',
        operation: 'DELETE',
        target: deleted.product_code,
        before: { folderPath: deleted.folder_path },
      });
    return { deleted: Boolean(deleted) };
  });
}

/** The watcher of one station. start() / reload() / stop(); state() for the UI. */
export class FolderWatcher {
  private folders = new Map<number, FolderState>();
  private queue: QueueEntry[] = [];
  private processing: QueueEntry | null = null;
  private inflight: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scanSoon: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private running = false;
  private processed = 0;
  private failed = 0;
  private last: WatchQueueState['last'] = null;
  private logger = log('inspection-watch');
  private readonly pollMs: number;
  private readonly stableMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly svc: InspectionService,
    private readonly pipeline: InspectionPipeline,
    private readonly opts: WatchOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? (Number(process.env.LINEDECK_WATCH_POLL_MS) || 1000);
    this.stableMs = opts.stableMs ?? 1000;
    this.retryMs = opts.retryMs ?? 15_000;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.reload();
    this.timer = setInterval(() => void this.scan(), this.pollMs);
    this.timer.unref?.();
    void this.scan();
    this.emit();
  }

  /** Re-reads the configuration (after inspection.watch.set / remove). */
  async reload(): Promise<void> {
    if (!this.running) return;
    let rows: EnabledWatchFolderRow[];
    try {
      rows = await enabledWatchFolders(this.svc.read);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'watch folders unreadable; retrying at the next scan');
      return;
    }
    const keep = new Set<number>();
    for (const r of rows) {
      keep.add(r.watch_id);
      const cur = this.folders.get(r.watch_id);
      if (cur && cur.folder === r.folder_path && cur.productId === r.product_id) continue;
      if (cur) this.drop(cur);
      const f: FolderState = { watchId: r.watch_id, productId: r.product_id, productCode: r.product_code, folder: r.folder_path, candidates: new Map(), done: new Map(), problem: null };
      this.folders.set(r.watch_id, f);
      this.attachFsWatch(f);
    }
    for (const [id, f] of this.folders) if (!keep.has(id)) this.drop(f);
    this.emit();
    this.kick();
  }

  private attachFsWatch(f: FolderState): void {
    if (this.opts.fsWatch === false) return;
    try {
      f.fsw = fs.watch(f.folder, { persistent: false }, () => this.kick());
      f.fsw.on('error', () => {
        f.fsw?.close();
        f.fsw = undefined;
      });
    } catch {
      // missing folder or a file system without notifications: the periodic scan still works
      f.fsw = undefined;
    }
  }

  private drop(f: FolderState): void {
    f.fsw?.close();
    this.folders.delete(f.watchId);
    this.queue = this.queue.filter((q) => q.folder !== f);
  }

  /** Scan soon (a file system event). */
  private kick(): void {
    if (!this.running || this.scanSoon) return;
    this.scanSoon = setTimeout(() => {
      this.scanSoon = null;
      void this.scan();
    }, 100);
    this.scanSoon.unref?.();
  }

  /** One pass over every folder (never two at once). */
  scan(): Promise<void> {
    if (!this.running) return Promise.resolve();
    if (this.scanning) return this.scanning;
    const pass = (async () => {
      for (const f of [...this.folders.values()]) await this.scanFolder(f);
    })()
      .catch((e) => this.logger.warn({ err: (e as Error).message }, 'watch scan failed'))
      // (always after the assignment below, also when the pass had nothing to await)
      .finally(() => {
        if (this.scanning === pass) this.scanning = null;
        this.pump();
      });
    this.scanning = pass;
    return pass;
  }

  private async scanFolder(f: FolderState): Promise<void> {
    let names: string[];
    try {
      // async: a hung network share holds one of libuv's threads, never the station's main thread
      names = await fs.promises.readdir(f.folder);
      if (f.problem) {
        f.problem = null;
        if (!f.fsw) this.attachFsWatch(f);
      }
    } catch (e) {
      const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${f.folder} does not exist` : (e as Error).message;
      if (f.problem !== msg) this.logger.warn({ folder: f.folder, err: msg }, 'watch folder unreadable');
      f.problem = msg;
      return;
    }
    const now = Date.now();
    const present = new Set<string>();
    const stable: { abs: string; name: string; size: number; mtimeMs: number }[] = [];
    for (const name of names) {
      if (!IMAGE_EXT.test(name) || PARTIAL.test(name)) continue;
      const abs = path.join(f.folder, name);
      let st: fs.Stats;
      try {
        // lstat: a link is not followed (it could point anywhere the station can read)
        st = await fs.promises.lstat(abs);
      } catch {
        continue; // gone between readdir and stat
      }
      if (!st.isFile() || st.size === 0) continue;
      present.add(abs);
      const id = identity(st.size, st.mtimeMs);
      if (f.done.get(abs) === id) continue;
      if (st.size > MAX_IMAGE_BYTES) {
        // refused once, before any byte is read (a 1.5 GB file was read whole every 15 s)
        await this.refuseOnce(f, abs, st, `${name} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
        continue;
      }
      if (this.processing?.absPath === abs || this.queue.some((q) => q.absPath === abs)) continue;
      const prev = f.candidates.get(abs);
      if (!prev || prev.size !== st.size || Math.floor(prev.mtimeMs) !== Math.floor(st.mtimeMs)) {
        f.candidates.set(abs, { size: st.size, mtimeMs: st.mtimeMs, since: now });
        continue;
      }
      if (now - prev.since < this.stableMs || (prev.notBefore && now < prev.notBefore)) continue;
      stable.push({ abs, name, size: st.size, mtimeMs: st.mtimeMs });
    }
    for (const k of f.candidates.keys()) if (!present.has(k)) f.candidates.delete(k);
    for (const k of f.done.keys()) if (!present.has(k)) f.done.delete(k);
    if (!stable.length) return;
    // which of them the database already knows (this station before a restart, or another station)
    const known = await knownWatchFiles(this.svc.read, f.productId, stable.map((s) => s.abs));
    const knownIds = new Set(known.map((r) => `${r.file_path}|${r.file_size}:${r.file_mtime_ms}`));
    // oldest first, then by name: the order the camera wrote them
    stable.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
    for (const s of stable) {
      const id = identity(s.size, s.mtimeMs);
      f.candidates.delete(s.abs);
      if (knownIds.has(`${s.abs}|${id}`)) {
        f.done.set(s.abs, id);
        continue;
      }
      this.queue.push({ file: s.name, productCode: f.productCode, size: s.size, mtimeMs: s.mtimeMs, absPath: s.abs, folder: f, enqueuedAt: new Date().toISOString() });
    }
    this.emit();
  }

  private pump(): void {
    if (!this.running || this.processing || !this.queue.length) return;
    const item = this.queue.shift()!;
    if (!this.folders.has(item.folder.watchId)) return this.pump();
    this.processing = item;
    this.abort = new AbortController();
    this.emit();
    this.inflight = this.process(item, this.abort.signal).finally(() => {
      this.processing = null;
      this.abort = null;
      this.inflight = null;
      this.emit();
      this.pump();
    });
  }

  /** Records a file the station will not read, once (by its identity), with the reason. */
  private async refuseOnce(f: FolderState, abs: string, st: fs.Stats, reason: string): Promise<void> {
    const id = identity(st.size, st.mtimeMs);
    const file: WatchFileIdentity = { productId: f.productId, filePath: abs, fileSize: st.size, mtimeMs: Math.floor(st.mtimeMs), sha256: null };
    await recordWatchFileRefused(this.svc.read, file, reason)
      .then(() => {
        f.done.set(abs, id);
        this.failed++;
        this.logger.warn({ file: abs, err: reason }, 'watch file refused');
      })
      .catch(() => undefined);
  }

  private async process(item: QueueEntry, signal: AbortSignal): Promise<void> {
    const f = item.folder;
    const id = identity(item.size, item.mtimeMs);
    let bytes: Buffer;
    try {
      // the file's kind from its first bytes before it is read whole, all through one handle opened without
      // following a link (a link swapped in after a check is never read)
      const lst = await fs.promises.lstat(item.absPath);
      if (!lst.isFile() || lst.size > MAX_IMAGE_BYTES) return;
      const fh = await fs.promises.open(item.absPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size > MAX_IMAGE_BYTES) return;
        const head = Buffer.alloc(16);
        await fh.read(head, 0, 16, 0);
        if (!isImageSignature(head)) {
          await this.refuseOnce(f, item.absPath, lst, `${item.file} is not a PNG, JPEG, WebP or TIFF picture (by its first bytes)`);
          return;
        }
        bytes = Buffer.alloc(st.size);
        let got = 0;
        for (let n = -1; got < st.size && n !== 0; got += n) n = (await fh.read(bytes, got, st.size - got, got)).bytesRead;
        const after = await fh.stat();
        if (got !== item.size || st.size !== item.size || after.size !== item.size || Math.floor(after.mtimeMs) !== Math.floor(item.mtimeMs)) {
          // still being written after all: back to the candidates
          f.candidates.set(item.absPath, { size: after.size, mtimeMs: after.mtimeMs, since: Date.now() });
          return;
        }
      } finally {
        await fh.close();
      }
    } catch {
      return; // removed before its turn
    }
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const file: WatchFileIdentity = { productId: f.productId, filePath: item.absPath, fileSize: item.size, mtimeMs: Math.floor(item.mtimeMs), sha256 };
    const at = () => new Date().toISOString();
    try {
      const out = await this.pipeline.inspect(
        item.productCode,
        { bytes, fileName: item.file },
        {
          source: 'watch',
          signal,
          withinTransaction: async (c, ins) => {
            if (!(await recordWatchFileInspected(c, file, ins.inspectionId))) throw new AlreadyDone();
          },
        },
      );
      f.done.set(item.absPath, id);
      this.processed++;
      this.last = { file: item.file, productCode: item.productCode, inspectionId: out.inspectionId, inspectionCode: out.inspection_code, defectDetected: out.defect_detected, error: null, at: at() };
    } catch (e) {
      if (e instanceof AlreadyDone || (e as Error)?.name === 'AlreadyDone') {
        f.done.set(item.absPath, id);
        return;
      }
      if (signal.aborted || (e as Error)?.name === 'CancelledError' || (e as Error)?.name === 'AbortError') return; // stopping: the file stays new
      const msg = (e as Error)?.message ?? String(e);
      if (e instanceof ApiError && e.kind === 'validation') {
        // the file itself is unusable: record it once, with the reason
        await recordWatchFileRefused(this.svc.read, file, msg.slice(0, 2000))
          .then(() => f.done.set(item.absPath, id))
          .catch(() => undefined);
        this.failed++;
        this.logger.warn({ file: item.absPath, err: msg }, 'watch file refused');
      } else {
        // passing trouble (no bank, database down, model missing): try again later
        f.candidates.set(item.absPath, { size: item.size, mtimeMs: item.mtimeMs, since: 0, notBefore: Date.now() + this.retryMs });
        this.logger.warn({ file: item.absPath, err: msg }, 'watch inspection failed; will retry');
      }
      const reason = e instanceof ApiError ? (e.details as { reason?: unknown } | undefined)?.reason : undefined;
      this.last = { file: item.file, productCode: item.productCode, inspectionId: null, inspectionCode: null, defectDetected: null, error: msg, errorReason: typeof reason === 'string' ? reason : null, at: at() };
    }
  }

  state(): WatchQueueState {
    const strip = (q: QueueEntry): WatchQueueItem => ({ file: q.file, productCode: q.productCode, size: q.size, enqueuedAt: q.enqueuedAt });
    return {
      running: this.running,
      folders: this.folders.size,
      pending: this.queue.slice(0, 50).map(strip),
      processing: this.processing ? strip(this.processing) : null,
      processed: this.processed,
      failed: this.failed,
      last: this.last,
      at: new Date().toISOString(),
    };
  }

  private emit(): void {
    this.svc.bus?.emit('inspection.queue', this.state());
  }

  /**
   * Stops scanning. `abort` (default true) cancels the inspection in flight (its file stays new and is taken
   * again after a restart); otherwise it is allowed to finish. Files still queued stay new either way.
   */
  async stop(opts: { abort?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.scanSoon) clearTimeout(this.scanSoon);
    this.timer = null;
    this.scanSoon = null;
    for (const f of this.folders.values()) f.fsw?.close();
    this.folders.clear();
    this.queue = [];
    if (opts.abort !== false) this.abort?.abort();
    await this.scanning?.catch(() => undefined);
    await this.inflight?.catch(() => undefined);
    this.emit();
  }
}

/** PNG, JPEG, WebP or TIFF by the file's first bytes. */
export function isImageSignature(b: Buffer): boolean {
  return (
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
    (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
    (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') ||
    b.subarray(0, 4).equals(Buffer.from([0x49, 0x49, 0x2a, 0x00])) ||
    b.subarray(0, 4).equals(Buffer.from([0x4d, 0x4d, 0x00, 0x2a]))
  );
}
