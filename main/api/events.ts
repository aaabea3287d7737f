/**
 * Events main pushes to the windows (IPC `webContents.send`, browser host WebSocket) — only to logged-in sessions
 * whose role may read what the event tells (main/api/audience.ts). The core's are here; each domain adds its own
 * from its types.ts with
 *   declare module '../api/events' { interface ApiEvents { '<domain>.<event>': Payload } }
 * so this file never imports a domain (see main/inspection/types.ts), and a line in audience.ts's EVENT_READS.
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

/** What the windows are told about the desktop app's backend process (Electron main sends it; main/backend/). */
export interface BackendStatus {
  state: 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';
  /** restarts since the last stable run */
  restarts: number;
  message?: string;
}

export interface ApiEvents {
  /** the backend process stopped, is being restarted, is back, or could not be restarted (Electron only) */
  'backend.status': BackendStatus;
  /** database reachability per source, pushed on change */
  'db.status': { sources: { source: string; ok: boolean; error?: string }[]; embedded: boolean; at: string };
  /** progress of long work (resyncs, refreshes, bank builds, inspections) */
  'job.progress': JobProgress;
}
export type EventName = keyof ApiEvents;
