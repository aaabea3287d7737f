import type { WatchQueueState } from '../inspection/types';

/**
 * Events main pushes to every window (IPC `webContents.send`, browser host WebSocket). Each domain adds its own.
 */
export interface JobProgress {
  jobId: string;
  kind: string;
  /** 0..1, or null when unknown */
  progress: number | null;
  message?: string;
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  result?: unknown;
  error?: string;
}

export interface ApiEvents {
  /** database reachability per source, pushed on change */
  'db.status': { sources: { source: string; ok: boolean; error?: string }[]; embedded: boolean; at: string };
  /** progress of long work (resyncs, refreshes, bank builds, inspections) */
  'job.progress': JobProgress;
  /** new telemetry rows arrived (simulator or ingest), so dashboards may refresh */
  'telemetry.appended': { tags: string[]; lastTs: string };
  /** an inspection finished (station screen, watch folder) */
  'inspection.completed': { inspectionId: number; inspectionCode: string; productCode: string; source: string; defectDetected: boolean };
  /** the watch-folder queue changed (waiting, in progress, last result) */
  'inspection.queue': WatchQueueState;
}
export type EventName = keyof ApiEvents;
