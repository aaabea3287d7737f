/**
 * The files domain's SQL: blobs and their chunks, the space they take, retention's reads and writes, and the rows
 * of other domains that name files (read here by their tables' names: the files domain is below inspection and
 * imports none of it). Transactions stay with the callers.
 */
import type pg from 'pg';
import type { FileKind } from './types';

/** A pool or a client inside a transaction. */
export interface Queryable {
  query: pg.Pool['query'];
}

/**
 * Small files (pictures, artifacts) with all their chunks in one statement, inside the caller's transaction when
 * `q` is its client; contents already stored are skipped (their chunks are sent but not inserted). The chunks are separate parameters: pg sends a Buffer in binary, no hex text. Returns the shas that were new.
 */
export async function insertSmallBlobs(q: Queryable, blobs: { sha256: string; kind: FileKind; chunks: Buffer[]; size: number; chunkSize: number }[]): Promise<string[]> {
  if (!blobs.length) return [];
  const values: unknown[] = [blobs.map((b) => b.sha256), blobs.map((b) => b.size), blobs.map((b) => b.kind), blobs.map((b) => b.chunkSize)];
  const rows: string[] = [];
  for (const b of blobs)
    b.chunks.forEach((c, i) => {
      values.push(b.sha256, i, c);
      const n = values.length;
      rows.push(`($${n - 2}::text, $${n - 1}::int, $${n}::bytea)`);
    });
  const r = await q.query<{ sha256: string }>(
    `with b as (
       insert into file_blobs (sha256, size, kind, chunk_size)
       select * from unnest($1::text[], $2::bigint[], $3::text[], $4::int[])
       on conflict (sha256) do nothing returning sha256
     ), c as (
       insert into file_chunks (sha256, seq, data)
       select v.sha256, v.seq, v.data from (values ${rows.join(', ')}) as v(sha256, seq, data) join b using (sha256)
     )
     select sha256 from b`,
    values,
  );
  return r.rows.map((x) => x.sha256);
}

/** Claims a blob row (inside the caller's transaction); false when the content is already stored. */
export async function claimBlob(q: Queryable, sha256: string, size: number, kind: FileKind, chunkSize: number): Promise<boolean> {
  const r = await q.query(`insert into file_blobs (sha256, size, kind, chunk_size) values ($1, $2, $3, $4) on conflict (sha256) do nothing`, [sha256, size, kind, chunkSize]);
  return r.rowCount === 1;
}

export async function insertChunk(q: Queryable, sha256: string, seq: number, data: Buffer): Promise<void> {
  await q.query('insert into file_chunks (sha256, seq, data) values ($1, $2, $3)', [sha256, seq, data]);
}

export async function blobInfo(q: Queryable, sha256: string): Promise<{ size: number; chunks: number; kind: FileKind } | undefined> {
  const r = await q.query<{ size: string; chunks: number; kind: FileKind }>(
    'select b.size, b.kind, (select count(*)::int from file_chunks c where c.sha256 = b.sha256) as chunks from file_blobs b where b.sha256 = $1',
    [sha256],
  );
  const row = r.rows[0];
  return row ? { size: Number(row.size), chunks: row.chunks, kind: row.kind } : undefined;
}

/** Chunks `from` … `from + count - 1` of a blob, in order. */
export async function readChunks(q: Queryable, sha256: string, from: number, count: number): Promise<{ seq: number; data: Buffer }[]> {
  const r = await q.query<{ seq: number; data: Buffer }>('select seq, data from file_chunks where sha256 = $1 and seq >= $2 and seq < $3 order by seq', [sha256, from, from + count]);
  return r.rows;
}

/** Which of these contents are stored. */
export async function presentBlobs(q: Queryable, shas: string[]): Promise<Set<string>> {
  if (!shas.length) return new Set();
  const r = await q.query<{ sha256: string }>('select sha256 from file_blobs where sha256 = any($1::text[])', [shas]);
  return new Set(r.rows.map((x) => x.sha256));
}

export async function spaceByKind(q: Queryable): Promise<{ kind: FileKind; blobs: number; bytes: number }[]> {
  const r = await q.query<{ kind: FileKind; blobs: number; bytes: string }>('select kind, count(*)::int as blobs, coalesce(sum(size), 0)::bigint as bytes from file_blobs group by kind order by kind');
  return r.rows.map((x) => ({ kind: x.kind, blobs: x.blobs, bytes: Number(x.bytes) }));
}

export async function removalSummary(q: Queryable): Promise<{ count: number; lastAt: Date | null }> {
  const r = await q.query<{ count: number; last_at: Date | null }>('select count(*)::int as count, max(removed_at) as last_at from file_removals');
  return { count: r.rows[0].count, lastAt: r.rows[0].last_at };
}

export async function retentionDays(q: Queryable): Promise<number> {
  const r = await q.query<{ retention_days: number }>('select retention_days from file_settings');
  return r.rows[0]?.retention_days ?? 180;
}

export async function setRetentionDays(q: Queryable, days: number): Promise<number> {
  const r = await q.query<{ before: number }>(
    `with old as (select retention_days as before from file_settings)
     insert into file_settings (id, retention_days, updated_at) values (true, $1, now())
     on conflict (id) do update set retention_days = excluded.retention_days, updated_at = now()
     returning (select before from old)`,
    [days],
  );
  return r.rows[0]?.before ?? 180;
}

/** Removals recorded for these row paths. */
export async function removalsOf(q: Queryable, paths: string[]): Promise<{ path: string; removed_at: Date; reason: string }[]> {
  if (!paths.length) return [];
  const r = await q.query<{ path: string; removed_at: Date; reason: string }>('select path, removed_at, reason from file_removals where path = any($1::text[])', [paths]);
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// retention

export interface OldInspectionFiles {
  inspection_id: number;
  image_path: string;
  image_sha: string;
  paths: (string | null)[];
}

/** Inspections older than `cutoff`, after the id `after`, with their picture and artifact paths (a batch). */
export async function oldInspectionFiles(q: Queryable, cutoff: Date, after: number, limit: number): Promise<OldInspectionFiles[]> {
  const r = await q.query<OldInspectionFiles>(
    `select i.inspection_id, t.file_path as image_path, t.sha256 as image_sha,
            array[r.heatmap_path, r.mask_path, r.overlay_path, r.comparison_path, r.details->>'anomalyMap'] as paths
       from inspections i join images t on t.image_id = i.test_image_id
       left join inspection_results r on r.inspection_id = i.inspection_id
      where i.inspection_date < $1 and i.inspection_id > $2 and t.image_type = 'test'
      order by i.inspection_id limit $3`,
    [cutoff, after, limit],
  );
  return r.rows;
}

/** Of these paths, the ones a row that retention keeps still names (a reference image, a newer inspection). */
export async function pathsStillUsed(q: Queryable, paths: string[], cutoff: Date): Promise<Set<string>> {
  if (!paths.length) return new Set();
  const r = await q.query<{ p: string }>(
    `select t.file_path as p from images t
      where t.file_path = any($1::text[])
        and (t.image_type <> 'test' or exists (select 1 from inspections i where i.test_image_id = t.image_id and i.inspection_date >= $2))
     union
     select p from inspection_results r join inspections i on i.inspection_id = r.inspection_id,
       unnest(array[r.heatmap_path, r.mask_path, r.overlay_path, r.comparison_path, r.details->>'anomalyMap']) as p
      where i.inspection_date >= $2 and p = any($1::text[])`,
    [paths, cutoff],
  );
  return new Set(r.rows.map((x) => x.p));
}

export async function recordRemovals(q: Queryable, rows: { path: string; sha256: string | null; kind: FileKind }[]): Promise<number> {
  if (!rows.length) return 0;
  const r = await q.query(
    `insert into file_removals (path, sha256, kind, reason) select p, s, k, 'retention' from unnest($1::text[], $2::text[], $3::text[]) as x(p, s, k) on conflict (path) do nothing`,
    [rows.map((x) => x.path), rows.map((x) => x.sha256), rows.map((x) => x.kind)],
  );
  return r.rowCount ?? 0;
}

/** Deletes the blobs of these contents that no kept row names any more; returns what was deleted. */
export async function deleteUnusedBlobs(q: Queryable, shas: string[]): Promise<{ blobs: number; bytes: number }> {
  if (!shas.length) return { blobs: 0, bytes: 0 };
  const r = await q.query<{ size: string }>(
    `delete from file_blobs b where b.sha256 = any($1::text[])
        and not exists (select 1 from images i where i.sha256 = b.sha256 and not exists (select 1 from file_removals f where f.path = i.file_path))
      returning b.size`,
    [shas],
  );
  return { blobs: r.rowCount ?? 0, bytes: r.rows.reduce((n, x) => n + Number(x.size), 0) };
}

// ---------------------------------------------------------------------------------------------------------------
// files other domains' rows name (upload of a station's existing files)

export interface ReferencedFile {
  /** relative to the image store (images) or to LINEDECK_HOME (banks, manuals: `models/…`, `manuals/…`) */
  path: string;
  /** the content's hash when the row knows it */
  sha256: string | null;
  kind: FileKind;
}

/** Every file a row names whose blob is not stored (by the row's hash; artifacts by the hash in their name, or all old-style ones). */
export async function referencedFiles(q: Queryable): Promise<ReferencedFile[]> {
  const r = await q.query<ReferencedFile>(
    `select i.file_path as path, i.sha256, case when i.image_type = 'test' then 'image' else 'reference' end as kind
       from images i where not exists (select 1 from file_blobs b where b.sha256 = i.sha256)
         and not exists (select 1 from file_removals f where f.path = i.file_path)
     union all
     select p as path, substring(p from '([0-9a-f]{64})\\.[a-z]+$') as sha256, 'artifact' as kind
       from inspection_results r,
       unnest(array[r.heatmap_path, r.mask_path, r.overlay_path, r.comparison_path, r.details->>'anomalyMap']) as p
      where p is not null
        and not exists (select 1 from file_blobs b where b.sha256 = coalesce(substring(p from '([0-9a-f]{64})\\.[a-z]+$'),
                          (select l.sha256 from file_legacy_paths l where l.path = p)))
        and not exists (select 1 from file_removals f where f.path = p)
     union all
     select d.result_summary->>'bank_path' as path, d.result_summary->>'bank_sha256' as sha256, 'bank' as kind
       from deployments d where d.deployment_type = 'patchcore_bank' and d.status = 'completed' and d.result_summary ? 'bank_path'
        and not exists (select 1 from file_blobs b where b.sha256 = d.result_summary->>'bank_sha256')
     union all
     select m.file_path as path, substring(m.file_path from '([0-9a-f]{64})\\.[a-z]+$') as sha256, 'manual' as kind
       from manuals m where not exists (select 1 from file_blobs b where b.sha256 = substring(m.file_path from '([0-9a-f]{64})\\.[a-z]+$'))`,
  );
  return r.rows;
}

/** Records a bank's hash on a deployment that has only its path (an old bank, uploaded by upload-missing). */
export async function setBankSha(q: Queryable, bankPath: string, sha256: string): Promise<void> {
  await q.query(
    `update deployments set result_summary = result_summary || jsonb_build_object('bank_sha256', $2::text)
      where deployment_type = 'patchcore_bank' and result_summary->>'bank_path' = $1 and not (result_summary ? 'bank_sha256')`,
    [bankPath, sha256],
  );
}

/** Records the content of an old-style path (an artifact folder's file) once it is uploaded. */
export async function setLegacyPath(q: Queryable, p: string, sha256: string): Promise<void> {
  await q.query('insert into file_legacy_paths (path, sha256) values ($1, $2) on conflict (path) do update set sha256 = excluded.sha256', [p, sha256]);
}

/** The content an old-style path holds, when it was uploaded. */
export async function legacyPathSha(q: Queryable, p: string): Promise<string | undefined> {
  const r = await q.query<{ sha256: string }>('select sha256 from file_legacy_paths where path = $1', [p]);
  return r.rows[0]?.sha256;
}
