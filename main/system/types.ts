/**
 * The shell's wire types: what the session, health, admin and jobs procedures return (contract.ts) and what the
 * renderer sees through main/api/types.ts. Types only.
 */
export type { UserRow } from '../auth/types';

export interface HealthReport {
  version: string;
  embedded: boolean;
  /** demo mode: every screen shows a DEMO badge */
  demo: boolean;
  /**
   * per source; `url` (password redacted) and the driver's `error` text for a manager's or an admin's session only:
   * anyone else gets ok, latency and a generic reason (main/system/health.ts)
   */
  sources: { source: string; ok: boolean; latencyMs: number; url?: string; error?: string }[];
  now: string;
}
export interface AuditRow {
  logId: number;
  loggedAt: string;
  username: string | null;
  action: string;
  tableName: string | null;
  operation: string | null;
  target: string | null;
  oldData: unknown;
  newData: unknown;
}
export interface DataSourcesView {
  embedded: boolean;
  sources: { source: string; url: string; configured: string | null; ok: boolean; error?: string }[];
  configFile: string;
}

/** admin.audit.list's filter and page (the contract's zod schema gives it). */
export interface AuditQuery {
  /** action prefix */
  action?: string;
  username?: string;
  /** ISO 8601 with an offset: from <= logged_at < to */
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}
