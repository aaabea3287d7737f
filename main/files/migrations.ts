/**
 * Migrations of the files domain: content-addressed blobs in the plant database (decisions.md, Plant rule 4). They
 * live in the inspection database (group 'inspection'): the rows that name files (images, inspection_results,
 * deployments, manuals) are there, so a row and its blob commit in one transaction.
 *
 * - file_blobs: one row per content (sha256, lower-case hex), its size, a kind (what it was first stored as:
 *   image, reference, artifact, bank, manual; for the Admin space figures) and the chunk size it was cut with.
 *   A blob row is inserted in the same transaction as its chunks: a visible row is a complete blob.
 * - file_chunks: the bytes in chunks of at most 1 MiB, (sha256, seq) from 0, so a 100 MB bank goes in and out
 *   one chunk at a time and never as one query parameter.
 * - file_removals: what retention removed (Plant rule 5), by content and by the row's path, with the date, so the
 *   History and the result view say "removed by retention (date)" instead of a broken picture.
 * - file_settings: one row (retention days, default 180).
 */
import type { Migration } from '../db/migrate';

export const filesMigrations: Migration[] = [
  {
    name: '202612071700_inspection_files',
    group: 'inspection',
    sql: /* sql */ `
CREATE TABLE file_blobs (
    sha256 CHAR(64) PRIMARY KEY,
    size BIGINT NOT NULL,
    kind VARCHAR(16) NOT NULL DEFAULT 'other',
    chunk_size INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT file_blobs_sha_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT file_blobs_size_check CHECK (size >= 0),
    CONSTRAINT file_blobs_kind_check CHECK (kind IN ('image', 'reference', 'artifact', 'bank', 'manual', 'other')),
    CONSTRAINT file_blobs_chunk_check CHECK (chunk_size > 0)
);
CREATE TABLE file_chunks (
    sha256 CHAR(64) NOT NULL REFERENCES file_blobs (sha256) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (sha256, seq),
    CONSTRAINT file_chunks_seq_check CHECK (seq >= 0)
);
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE file_removals (
    path VARCHAR(500) PRIMARY KEY,
    sha256 CHAR(64),
    kind VARCHAR(16) NOT NULL,
    reason VARCHAR(20) NOT NULL DEFAULT 'retention',
    removed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX file_removals_sha ON file_removals (sha256);
CREATE TABLE file_settings (
    id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    retention_days INTEGER NOT NULL DEFAULT 180 CHECK (retention_days >= 1),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO file_settings DEFAULT VALUES;
CREATE INDEX IF NOT EXISTS images_sha256 ON images (sha256);
COMMENT ON TABLE file_blobs IS '내용 주소(sha256) 파일: 이미지, 산출물, 메모리 뱅크, 매뉴얼';
COMMENT ON TABLE file_chunks IS '파일 내용 (1 MiB 조각)';
COMMENT ON TABLE file_removals IS '보존 기간으로 삭제된 사진 (경로, 날짜)';
`,
  },
  {
    // artifact folders of inspections from before content addressing (`ab/cd/<sha>.INS-…/heatmap.png`): the path
    // names no content, so upload-missing records which content it holds; another console resolves the path by it,
    // and the next upload-missing does not hash the file again
    name: '202612071710_inspection_file_legacy_paths',
    group: 'inspection',
    sql: /* sql */ `
CREATE TABLE file_legacy_paths (
    path VARCHAR(500) PRIMARY KEY,
    sha256 CHAR(64) NOT NULL,
    CONSTRAINT file_legacy_paths_sha_check CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE file_legacy_paths IS '내용 주소가 아닌 예전 산출물 경로와 그 내용(sha256)';
`,
  },
];
