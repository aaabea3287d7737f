/**
 * The full, set-based resync of the snapshot (`cy_resync_all()`, migrations.ts): `linedeck cylinders sync`, the
 * managers' button (`cylinders.sync`, a job) and the daily repair of design §7.2.
 */
import { ApiError } from '../api/kit';
import { because } from '../api/reasons';
import { missingFcmsNote, missingFcmsTables } from './migrations';
import type { CylinderDb } from './queries';
import type { SyncResult } from './types';
import { jobMessage } from '../jobs/message';

export interface SyncOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number | null, message: string) => void;
}

/** Full, set-based resync (cy_resync_all). Cancellable: an aborted signal cancels the statement on the server. */
export async function runFullSync(db: CylinderDb, opts: SyncOptions = {}): Promise<SyncResult> {
  return db.guard(async () => {
    const missing = await missingFcmsTables(db.job);
    if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }));
    const c = await db.job.connect();
    const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    const onAbort = () => void db.job.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      opts.onProgress?.(null, jobMessage('cylRecompute'));
      const t0 = performance.now();
      const r = await c.query<{ synced: number; changed: number; deleted: number }>('select synced, changed, deleted from cy_resync_all()');
      const ms = Math.round(performance.now() - t0);
      const out = { ...r.rows[0], ms };
      db.logger.info(out, 'cylinders.resync');
      opts.onProgress?.(1, jobMessage('cylSynced', { synced: out.synced, changed: out.changed, deleted: out.deleted }));
      return out;
    } catch (e) {
      if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      c.release();
    }
  });
}
