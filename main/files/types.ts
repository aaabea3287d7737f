/**
 * The files domain's wire types: the space the plant's shared files take in the database, the retention setting
 * and what retention removed. Types and constant lists only.
 */

/** What a blob was stored as (file_blobs.kind). */
export const FILE_KINDS = ['image', 'reference', 'artifact', 'bank', 'manual', 'other'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** decisions.md, Plant rule 5: inspection pictures older than this are removed (never rows, never references). */
export const DEFAULT_RETENTION_DAYS = 180;
/** the local cache's bound when LINEDECK_FILE_CACHE_MB is not set */
export const DEFAULT_CACHE_MB = 4096;

export interface FileSpaceRow {
  kind: FileKind;
  blobs: number;
  bytes: number;
}

export interface FileSpace {
  kinds: FileSpaceRow[];
  total: { blobs: number; bytes: number };
  retentionDays: number;
  /** pictures removed by retention so far, and when last */
  removed: { count: number; lastAt: string | null };
  /** this console's cache: bytes held and its bound */
  cache: { bytes: number; files: number; limitBytes: number };
}

export interface RetentionOutcome {
  cutoff: string;
  inspections: number;
  files: number;
  blobs: number;
  bytes: number;
}

export interface UploadMissingOutcome {
  checked: number;
  uploaded: number;
  bytes: number;
  missingLocally: number;
}

/** A picture retention removed: its row path and when (ISO 8601, UTC). */
export interface FileRemoval {
  path: string;
  removedAt: string;
  reason: string;
}
