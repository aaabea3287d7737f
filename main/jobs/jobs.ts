/**
 * Long work (resyncs, refreshes, bank builds) as jobs: an id, progress events on the bus, cancellation through an
 * AbortSignal. Work that is CPU-heavy runs in a worker thread inside the job (see inspection/engine); the job
 * wrapper only reports.
 */
import crypto from 'node:crypto';
import type { JobProgress } from '../api/events';
import type { EventBus } from '../events';

export interface JobControl {
  signal: AbortSignal;
  progress(fraction: number | null, message?: string): void;
}

export class JobRunner {
  private running = new Map<string, { kind: string; ctrl: AbortController; last: JobProgress }>();
  constructor(private bus: EventBus) {}

  /** Starts `work` and returns its id at once; the outcome arrives as `job.progress` events. */
  start<T>(kind: string, work: (c: JobControl) => Promise<T>): { jobId: string; done: Promise<T> } {
    const jobId = crypto.randomUUID();
    const ctrl = new AbortController();
    const emit = (p: Omit<JobProgress, 'jobId' | 'kind'>) => {
      const ev: JobProgress = { jobId, kind, ...p };
      const r = this.running.get(jobId);
      if (r) r.last = ev;
      this.bus.emit('job.progress', ev);
    };
    this.running.set(jobId, { kind, ctrl, last: { jobId, kind, progress: 0, state: 'running' } });
    let lastEmit = 0;
    const done = (async () => {
      emit({ progress: 0, state: 'running' });
      try {
        const result = await work({
          signal: ctrl.signal,
          progress: (fraction, message) => {
            const now = Date.now();
            if (now - lastEmit < 100 && fraction !== 1) return; // at most 10 events a second
            lastEmit = now;
            emit({ progress: fraction, message, state: 'running' });
          },
        });
        emit({ progress: 1, state: 'completed', result });
        return result;
      } catch (e) {
        const cancelled = ctrl.signal.aborted;
        emit({ progress: null, state: cancelled ? 'cancelled' : 'failed', error: (e as Error)?.message ?? String(e) });
        throw e;
      } finally {
        this.running.delete(jobId);
      }
    })();
    done.catch(() => undefined);
    return { jobId, done };
  }

  cancel(jobId: string): boolean {
    const r = this.running.get(jobId);
    if (!r) return false;
    r.ctrl.abort();
    return true;
  }

  list(): JobProgress[] {
    return [...this.running.values()].map((r) => r.last);
  }
}
