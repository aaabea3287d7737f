/**
 * Events main pushes to every window (IPC `webContents.send`, browser host WebSocket). The core's are here; each
 * domain adds its own from its types.ts with
 *   declare module '../api/events' { interface ApiEvents { '<domain>.<event>': Payload } }
 * so this file never imports a domain (see main/inspection/types.ts).
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
}
export type EventName = keyof ApiEvents;
