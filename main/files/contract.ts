/**
 * Procedures of the files domain: the space the plant's shared files take (blobs by kind, this console's cache),
 * the retention setting and its job (admin, audited), and what retention removed of given paths.
 */
import { z } from 'zod';
import { proc, type ProcedureTable } from '../api/kit';
import type { FileRemoval, FileSpace } from './types';

export const filesProcedures = {
  'files.space': proc<FileSpace>()({ role: 'manager', input: z.object({}), summary: 'blobs count and bytes by kind, the retention setting, this console’s cache' }),
  'files.retention.set': proc<{ retentionDays: number }>()({
    role: 'admin',
    input: z.object({ retentionDays: z.number().int().min(1).max(36500) }),
    summary: 'how many days inspection pictures are kept (default 180); audited',
  }),
  'files.retention.run': proc<{ jobId: string }>()({
    role: 'admin',
    input: z.object({}),
    summary: 'remove inspection pictures older than the retention setting, as a job (progress, cancel); audited',
  }),
  'files.removals': proc<FileRemoval[]>()({
    role: 'viewer',
    input: z.object({ paths: z.array(z.string().min(1).max(500)).max(200) }),
    summary: 'which of these stored paths retention removed, and when',
  }),
} satisfies ProcedureTable;
