/**
 * The files domain's logic over queries.ts and the FileStore (store.ts): the space the shared files take, the
 * retention setting and its job (decisions.md, Plant rule 5), and the upload of a station's existing files
 * (rows written before issue 15, or while the blob store did not exist).
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import type { StationPaths } from '../config';
import { withTransaction } from '../db/pools';
import type { Databases } from '../db/pools';
import type { JobControl } from '../jobs/jobs';
import { log } from '../log';
import * as q from './queries';
import { contentOf, FileStore, sha256OfFile } from './store';
import { FILE_KINDS, type FileRemoval, type FileSpace, type RetentionOutcome, type UploadMissingOutcome } from './types';

const RETENTION_BATCH = 500;

export class FilesService {
  readonly store: FileStore;
  private logger = log('files');

  constructor(
    readonly dbs: Databases,
    readonly paths: StationPaths,
    store?: FileStore,
  ) {
    this.store = store ?? new FileStore(() => this.job, paths.images);
  }

  get read(): pg.Pool {
    return this.dbs.pool('inspection', 'read');
  }
  get job(): pg.Pool {
    return this.dbs.pool('inspection', 'job');
  }

  async space(): Promise<FileSpace> {
    const [kinds, days, removed] = await Promise.all([q.spaceByKind(this.read), q.retentionDays(this.read), q.removalSummary(this.read)]);
    const all = FILE_KINDS.map((kind) => kinds.find((k) => k.kind === kind) ?? { kind, blobs: 0, bytes: 0 }).filter((k) => k.blobs > 0 || k.kind !== 'other');
    const usage = this.store.usage();
    return {
      kinds: all,
      total: { blobs: all.reduce((n, k) => n + k.blobs, 0), bytes: all.reduce((n, k) => n + k.bytes, 0) },
      retentionDays: days,
      removed: { count: removed.count, lastAt: removed.lastAt?.toISOString() ?? null },
      cache: { bytes: usage.bytes, files: usage.files, limitBytes: this.store.limitBytes },
    };
  }

  async setRetention(days: number, actor?: SessionUser): Promise<{ retentionDays: number }> {
    if (!Number.isInteger(days) || days < 1 || days > 36500) throw new ApiError('validation', 'retention is 1 to 36 500 days', because('retention_days', { min: 1, max: 36500 }));
    await withTransaction(this.read, async (c) => {
      const before = await q.setRetentionDays(c, days);
      await writeAudit(c, actor, { action: 'files.retention.set', table: 'file_settings', operation: 'UPDATE', target: 'retention_days', before: { retentionDays: before }, after: { retentionDays: days } });
    });
    return { retentionDays: days };
  }

  /** What retention removed of these paths (History and the result view say "removed by retention (date)"). */
  async removals(paths: string[]): Promise<FileRemoval[]> {
    return (await q.removalsOf(this.read, paths)).map((r) => ({ path: r.path, removedAt: r.removed_at.toISOString(), reason: r.reason }));
  }

  /**
   * Removes the pictures (the inspected image and its artifacts) of inspections older than the retention setting:
   * the blobs nothing else names, this console's cached files, recorded in file_removals; never rows, never
   * reference images, never a file a newer inspection names. Audited (one row per run with the counts).
   */
  async runRetention(actor: SessionUser | undefined, c: Partial<JobControl> = {}, opts: { now?: Date; days?: number } = {}): Promise<RetentionOutcome> {
    const days = opts.days ?? (await q.retentionDays(this.job));
    const cutoff = new Date((opts.now ?? new Date()).getTime() - days * 86_400_000);
    const total = await this.job.query<{ n: number }>('select count(*)::int as n from inspections where inspection_date < $1', [cutoff]);
    const out: RetentionOutcome = { cutoff: cutoff.toISOString(), inspections: 0, files: 0, blobs: 0, bytes: 0 };
    let after = 0;
    for (;;) {
      if (c.signal?.aborted) throw new Error('cancelled');
      const batch = await q.oldInspectionFiles(this.job, cutoff, after, RETENTION_BATCH);
      if (!batch.length) break;
      after = batch[batch.length - 1].inspection_id;
      const candidates = new Map<string, { sha256: string | null; kind: 'image' | 'artifact' }>();
      for (const b of batch) {
        candidates.set(b.image_path, { sha256: b.image_sha, kind: 'image' });
        for (const p of b.paths) if (p) candidates.set(p, { sha256: contentOf(p)?.sha256 ?? null, kind: 'artifact' });
      }
      const removed = await withTransaction(this.job, async (tx) => {
        const kept = await q.pathsStillUsed(tx, [...candidates.keys()], cutoff);
        const rows = [...candidates].filter(([p]) => !kept.has(p)).map(([p, v]) => ({ path: p, ...v }));
        const n = await q.recordRemovals(tx, rows);
        const del = await q.deleteUnusedBlobs(tx, [...new Set(rows.map((r) => r.sha256).filter((x): x is string => Boolean(x)))]);
        return { rows, n, del };
      });
      // this console's copies (other consoles' caches keep theirs until their bound evicts them)
      for (const r of removed.rows) {
        const cAddr = contentOf(r.path);
        if (cAddr) this.store.removeLocal(cAddr.sha256, cAddr.ext);
        else fs.rmSync(path.join(this.paths.images, r.path), { force: true });
      }
      out.inspections += batch.length;
      out.files += removed.n;
      out.blobs += removed.del.blobs;
      out.bytes += removed.del.bytes;
      c.progress?.(total.rows[0].n ? Math.min(1, out.inspections / total.rows[0].n) : 1, `${out.inspections} / ${total.rows[0].n} inspections`);
    }
    await writeAudit(this.job, actor, { action: 'files.retention.run', table: 'file_removals', operation: 'DELETE', target: `older than ${days} days`, after: out });
    this.logger.info(out, 'retention ran');
    return out;
  }

  /**
   * Uploads the files rows name whose blobs are missing, from this console's disk: pictures and artifacts under
   * LINEDECK_HOME/images, banks and manuals under LINEDECK_HOME. An old bank gets its `bank_sha256`. A row whose
   * file this console does not have is counted (another station may upload it).
   */
  async uploadMissing(c: Partial<JobControl> = {}): Promise<UploadMissingOutcome> {
    const refs = await q.referencedFiles(this.job);
    const out: UploadMissingOutcome = { checked: refs.length, uploaded: 0, bytes: 0, missingLocally: 0 };
    const done = new Set<string>();
    let i = 0;
    for (const r of refs) {
      i++;
      if (c.signal?.aborted) throw new Error('cancelled');
      if (!r.path || done.has(r.path)) continue;
      done.add(r.path);
      const abs = r.kind === 'bank' || r.kind === 'manual' ? path.join(this.paths.home, r.path) : path.join(this.paths.images, r.path);
      if (!fs.existsSync(abs)) {
        out.missingLocally++;
        continue;
      }
      const sha = await sha256OfFile(abs);
      if (r.sha256 && r.sha256 !== sha) {
        this.logger.warn({ path: r.path, expected: r.sha256, got: sha }, 'a local file does not match its row: not uploaded');
        continue;
      }
      const put = await this.store.putFile(abs, r.kind, sha);
      if (put.uploaded) {
        out.uploaded++;
        out.bytes += put.size;
      }
      if (r.kind === 'bank') await q.setBankSha(this.job, r.path, sha);
      // an old artifact folder's file: its path names no content, so the content is recorded for it
      if (r.kind === 'artifact' && !r.sha256) await q.setLegacyPath(this.job, r.path, sha);
      // a bank and a manual are also cached by content, so this console resolves them like any other
      if (r.kind === 'bank' || r.kind === 'manual') {
        const ext = r.kind === 'bank' ? 'ldb' : path.extname(abs).slice(1).toLowerCase();
        const dest = /^[a-z0-9]{1,8}$/.test(ext) ? this.store.abs(sha, ext) : null;
        if (dest && !fs.existsSync(dest)) {
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          fs.copyFileSync(abs, `${dest}.${process.pid}.tmp`);
          fs.renameSync(`${dest}.${process.pid}.tmp`, dest);
        }
      }
      c.progress?.(i / refs.length, `${out.uploaded} uploaded`);
    }
    this.store.flush();
    return out;
  }
}
