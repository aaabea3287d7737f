/**
 * Migrations of the inspection data source (see main/db/migrate.ts for the rules): the defect-inspection design
 * §3.2–§3.8 (products, defect types, manuals, images, inspections, results, actions, feedback, deployments, model
 * configs and the two dashboard views). Users, roles and audit_logs are the `core` group's.
 *
 * Differences from the design, on purpose (documented in main/inspection/README.md):
 * - TIMESTAMPTZ everywhere; `product_code` also limited to file-name-safe characters (it names model folders).
 * - images: `sha256` (content address of the stored file) and one active reference image per product and content.
 * - image_metadata: one row per image, with the embedding's model and dimension.
 * - inspections: `source` (upload | camera | watch | cli), the `deployment_id` of the memory bank used, the
 *   `inspection_code` generated race-free in SQL (`INS-YYYYMMDD-NNNN`, per Asia/Seoul day, by a counter table), and
 *   summary columns kept by triggers (`defect_detected`, `defect_type_id` of the first result, `action_status` from
 *   the latest action) so that history filters and counts need no joins at a year of inspections.
 * - inspection_results: the raw PatchCore distances (`raw_anomaly_score`, `raw_max_patch_distance`), the thresholds
 *   that were applied, and `details` (normalization, nearest references, defect candidates, model names).
 * - model_configs: thresholds CHECKed to [0, 1], one active config per product and model type.
 * - the views compute per product / per inspection (the design's many-way LEFT JOIN multiplied rows: counts of
 *   images × inspections, averages weighted by duplicates), and the action status of an inspection is its latest
 *   action log.
 * No demo rows here: the design's §4 products and defect types are seeded by main/inspection/demo.ts.
 */
import type { EnsureHook, Migration } from '../db/migrate';

export const inspectionMigrations: Migration[] = [
  {
    name: '202611230300_inspection_schema',
    group: 'inspection',
    sql: /* sql */ `
-- §3.2 products
CREATE TABLE products (
    product_id SERIAL PRIMARY KEY,
    product_code VARCHAR(50) UNIQUE NOT NULL,
    product_name VARCHAR(100) NOT NULL,
    description TEXT,
    category VARCHAR(50),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER REFERENCES users(user_id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT products_code_check CHECK (LENGTH(product_code) >= 2),
    CONSTRAINT products_code_chars_check CHECK (product_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$')
);
CREATE INDEX idx_products_active ON products(is_active);
COMMENT ON TABLE products IS '제품 마스터';
COMMENT ON COLUMN products.product_code IS '제품 코드 (예: prod1, prod2)';

-- §3.2 defect_types
CREATE TABLE defect_types (
    defect_type_id SERIAL PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    defect_code VARCHAR(50) NOT NULL,
    defect_name_ko VARCHAR(100) NOT NULL,
    defect_name_en VARCHAR(100),
    full_name_ko VARCHAR(200),
    description TEXT,
    severity_level INTEGER NOT NULL DEFAULT 3,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (product_id, defect_code),
    CONSTRAINT defect_severity_check CHECK (severity_level BETWEEN 1 AND 5),
    CONSTRAINT defect_code_check CHECK (defect_code ~ '^[a-z0-9][a-z0-9_-]*$')
);
CREATE INDEX idx_defect_types_code ON defect_types(defect_code);
CREATE INDEX idx_defect_types_active ON defect_types(is_active);
COMMENT ON TABLE defect_types IS '제품별 불량 유형 정의';
COMMENT ON COLUMN defect_types.defect_code IS '시스템 내부 코드 (영문)';
COMMENT ON COLUMN defect_types.severity_level IS '1=경미, 5=치명적';

-- §3.3 manuals
CREATE TABLE manuals (
    manual_id SERIAL PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    manual_title VARCHAR(200) NOT NULL,
    file_name VARCHAR(255) NOT NULL,
    file_path VARCHAR(500) NOT NULL,
    file_size BIGINT,
    file_type VARCHAR(50),
    version VARCHAR(20),
    upload_date TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    uploaded_by INTEGER REFERENCES users(user_id),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    vector_indexed BOOLEAN NOT NULL DEFAULT FALSE,
    indexed_at TIMESTAMPTZ,
    UNIQUE (product_id, version),
    CONSTRAINT manual_file_size_check CHECK (file_size IS NULL OR file_size >= 0)
);
CREATE INDEX idx_manuals_active ON manuals(is_active);
COMMENT ON TABLE manuals IS '제품별 대응 매뉴얼';
COMMENT ON COLUMN manuals.file_path IS 'path of the manual file, relative to LINEDECK_HOME';

-- §3.3 manual_sections
CREATE TABLE manual_sections (
    section_id SERIAL PRIMARY KEY,
    manual_id INTEGER NOT NULL REFERENCES manuals(manual_id) ON DELETE CASCADE,
    defect_type_id INTEGER REFERENCES defect_types(defect_type_id) ON DELETE SET NULL,
    section_type VARCHAR(20) NOT NULL,
    section_title VARCHAR(200),
    section_content TEXT NOT NULL,
    page_number INTEGER,
    chunk_index INTEGER,
    embedding_vector BYTEA,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT section_type_check CHECK (section_type IN ('cause', 'action', 'other')),
    CONSTRAINT section_content_check CHECK (LENGTH(BTRIM(section_content)) > 0),
    CONSTRAINT section_page_check CHECK (page_number IS NULL OR page_number >= 1)
);
CREATE INDEX idx_manual_sections_manual ON manual_sections(manual_id);
CREATE INDEX idx_manual_sections_defect ON manual_sections(defect_type_id);
CREATE INDEX idx_manual_sections_type ON manual_sections(section_type);
COMMENT ON TABLE manual_sections IS '매뉴얼 내 섹션 (원인/조치)';
COMMENT ON COLUMN manual_sections.section_type IS 'cause: 발생원인, action: 조치가이드';

-- §3.4 images
CREATE TABLE images (
    image_id SERIAL PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(product_id),
    image_type VARCHAR(20) NOT NULL,
    defect_type_id INTEGER REFERENCES defect_types(defect_type_id),
    file_name VARCHAR(255) NOT NULL,
    file_path VARCHAR(500) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    file_size BIGINT,
    width INTEGER,
    height INTEGER,
    format VARCHAR(10),
    uploaded_by INTEGER REFERENCES users(user_id),
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    CONSTRAINT image_type_check CHECK (image_type IN ('normal', 'defect', 'test')),
    CONSTRAINT defect_image_check CHECK (
        (image_type = 'defect' AND defect_type_id IS NOT NULL) OR
        (image_type <> 'defect' AND defect_type_id IS NULL)
    ),
    CONSTRAINT image_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT image_size_check CHECK ((width IS NULL OR width > 0) AND (height IS NULL OR height > 0) AND (file_size IS NULL OR file_size >= 0))
);
CREATE INDEX idx_images_product_type ON images(product_id, image_type) WHERE is_active;
CREATE INDEX idx_images_type ON images(image_type);
CREATE INDEX idx_images_defect ON images(defect_type_id);
CREATE INDEX idx_images_active ON images(is_active);
CREATE UNIQUE INDEX uq_images_reference_content ON images(product_id, sha256) WHERE is_active AND image_type <> 'test';
COMMENT ON TABLE images IS '이미지 메타데이터';
COMMENT ON COLUMN images.image_type IS 'normal: 정상, defect: 불량, test: 검사용';
COMMENT ON COLUMN images.file_path IS 'path relative to the image store (LINEDECK_HOME/images), content-addressed';

-- §3.4 image_metadata
CREATE TABLE image_metadata (
    metadata_id SERIAL PRIMARY KEY,
    image_id INTEGER NOT NULL UNIQUE REFERENCES images(image_id) ON DELETE CASCADE,
    exif_data JSONB,
    preprocessing_applied JSONB,
    embedding_vector BYTEA,
    embedding_model VARCHAR(200),
    embedding_dim INTEGER,
    quality_score FLOAT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT embedding_dim_check CHECK (
        (embedding_vector IS NULL AND embedding_dim IS NULL) OR
        (embedding_vector IS NOT NULL AND embedding_dim > 0 AND octet_length(embedding_vector) = 4 * embedding_dim)
    ),
    CONSTRAINT quality_check CHECK (quality_score IS NULL OR quality_score BETWEEN 0 AND 1)
);
COMMENT ON TABLE image_metadata IS '이미지 상세 메타데이터';
COMMENT ON COLUMN image_metadata.embedding_vector IS 'L2-normalized CLIP image embedding, float32 little-endian';

-- §3.7 deployments (before inspections: an inspection records the bank it used)
CREATE TABLE deployments (
    deployment_id SERIAL PRIMARY KEY,
    deployment_type VARCHAR(50) NOT NULL,
    product_id INTEGER REFERENCES products(product_id),
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    deployed_by INTEGER REFERENCES users(user_id),
    config_params JSONB,
    result_summary JSONB,
    error_message TEXT,
    CONSTRAINT deployment_type_check CHECK (deployment_type IN ('clip_embedding', 'patchcore_bank', 'rag_indexing', 'model_update')),
    CONSTRAINT deployment_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT deployment_lifecycle_check CHECK (
        (status = 'pending' AND completed_at IS NULL) OR
        (status = 'running' AND started_at IS NOT NULL AND completed_at IS NULL) OR
        (status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL AND result_summary IS NOT NULL) OR
        (status = 'failed' AND completed_at IS NOT NULL AND error_message IS NOT NULL) OR
        (status = 'cancelled' AND completed_at IS NOT NULL)
    )
);
CREATE INDEX idx_deployments_type ON deployments(deployment_type);
CREATE INDEX idx_deployments_product_latest ON deployments(product_id, deployment_type, completed_at DESC) WHERE status = 'completed';
CREATE INDEX idx_deployments_status ON deployments(status);
CREATE INDEX idx_deployments_created ON deployments(created_at);
COMMENT ON TABLE deployments IS '모델 배포 이력';
COMMENT ON COLUMN deployments.deployment_type IS 'clip_embedding: CLIP 재구축, patchcore_bank: 메모리뱅크 생성';

-- §3.5 inspections, with a race-free per-day code
CREATE TABLE inspection_code_counters (
    day DATE PRIMARY KEY,
    last_value INTEGER NOT NULL CHECK (last_value >= 1)
);
COMMENT ON TABLE inspection_code_counters IS 'last inspection number per Asia/Seoul day (INS-YYYYMMDD-NNNN)';

CREATE FUNCTION next_inspection_code(at TIMESTAMPTZ) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
    d DATE := (at AT TIME ZONE 'Asia/Seoul')::date;
    n INTEGER;
BEGIN
    -- one row per day; the upsert takes the row lock, so concurrent inserts serialize on it until commit
    INSERT INTO inspection_code_counters AS c (day, last_value) VALUES (d, 1)
    ON CONFLICT (day) DO UPDATE SET last_value = c.last_value + 1
    RETURNING c.last_value INTO n;
    RETURN 'INS-' || to_char(d, 'YYYYMMDD') || '-' || CASE WHEN n < 10000 THEN lpad(n::text, 4, '0') ELSE n::text END;
END $$;

CREATE TABLE inspections (
    inspection_id SERIAL PRIMARY KEY,
    inspection_code VARCHAR(50) UNIQUE NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products(product_id),
    test_image_id INTEGER REFERENCES images(image_id),
    reference_image_id INTEGER REFERENCES images(image_id),
    inspector_id INTEGER REFERENCES users(user_id),
    inspection_date TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    processing_time FLOAT,
    source VARCHAR(20) NOT NULL DEFAULT 'upload',
    deployment_id INTEGER REFERENCES deployments(deployment_id),
    -- kept by triggers from the first result and the latest action (filters and counts without joins)
    defect_detected BOOLEAN,
    defect_type_id INTEGER REFERENCES defect_types(defect_type_id),
    action_status VARCHAR(10) NOT NULL DEFAULT 'none',
    CONSTRAINT inspection_status_check CHECK (status IN ('pending', 'in_progress', 'completed', 'cancelled')),
    CONSTRAINT inspection_action_status_check CHECK (action_status IN ('resolved', 'pending', 'none')),
    CONSTRAINT inspection_source_check CHECK (source IN ('upload', 'camera', 'watch', 'cli')),
    CONSTRAINT inspection_code_format_check CHECK (inspection_code ~ '^INS-[0-9]{8}-[0-9]{4,}$'),
    CONSTRAINT processing_time_check CHECK (processing_time IS NULL OR processing_time >= 0)
);

CREATE FUNCTION inspections_set_code() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.inspection_code IS NULL THEN
        NEW.inspection_code := next_inspection_code(COALESCE(NEW.inspection_date, now()));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER trg_inspections_code BEFORE INSERT ON inspections FOR EACH ROW EXECUTE FUNCTION inspections_set_code();

CREATE INDEX idx_inspections_inspector_date ON inspections(inspector_id, inspection_date DESC);
CREATE INDEX idx_inspections_status ON inspections(status);
CREATE INDEX idx_inspections_date ON inspections(inspection_date DESC, inspection_id DESC);
CREATE INDEX idx_inspections_product_date ON inspections(product_id, inspection_date DESC, inspection_id DESC);
CREATE INDEX idx_inspections_pending ON inspections(inspection_date, inspection_id) WHERE action_status = 'pending';
CREATE INDEX idx_inspections_defect_type ON inspections(defect_type_id) WHERE defect_type_id IS NOT NULL;
COMMENT ON TABLE inspections IS '검사 세션';
COMMENT ON COLUMN inspections.inspection_code IS '검사 고유 코드 (예: INS-20251109-0001), Asia/Seoul date';
COMMENT ON COLUMN inspections.action_status IS 'resolved: latest action resolved; pending: defect, not resolved; none: no defect (trigger-maintained)';

-- §3.5 inspection_results
CREATE TABLE inspection_results (
    result_id SERIAL PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(inspection_id) ON DELETE CASCADE,
    defect_detected BOOLEAN NOT NULL,
    defect_type_id INTEGER REFERENCES defect_types(defect_type_id),
    confidence_score FLOAT,
    anomaly_score FLOAT,
    similarity_score FLOAT,
    raw_anomaly_score FLOAT,
    raw_max_patch_distance FLOAT,
    image_threshold FLOAT,
    pixel_threshold FLOAT,
    heatmap_path VARCHAR(500),
    mask_path VARCHAR(500),
    overlay_path VARCHAR(500),
    comparison_path VARCHAR(500),
    detected_regions JSONB,
    details JSONB,
    guide_generated BOOLEAN NOT NULL DEFAULT FALSE,
    guide_content TEXT,
    guide_quality_score FLOAT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT confidence_check CHECK (confidence_score BETWEEN 0 AND 1),
    CONSTRAINT anomaly_check CHECK (anomaly_score BETWEEN 0 AND 1),
    CONSTRAINT similarity_check CHECK (similarity_score BETWEEN 0 AND 1),
    CONSTRAINT thresholds_check CHECK ((image_threshold IS NULL OR image_threshold BETWEEN 0 AND 1) AND (pixel_threshold IS NULL OR pixel_threshold BETWEEN 0 AND 1)),
    CONSTRAINT raw_score_check CHECK ((raw_anomaly_score IS NULL OR raw_anomaly_score >= 0) AND (raw_max_patch_distance IS NULL OR raw_max_patch_distance >= 0)),
    CONSTRAINT regions_array_check CHECK (detected_regions IS NULL OR jsonb_typeof(detected_regions) = 'array'),
    CONSTRAINT defect_type_when_detected_check CHECK (defect_detected OR defect_type_id IS NULL)
);
CREATE INDEX idx_results_inspection ON inspection_results(inspection_id, defect_type_id);
CREATE INDEX idx_results_defect_type ON inspection_results(defect_type_id);
CREATE INDEX idx_results_detected ON inspection_results(defect_detected);
CREATE INDEX idx_detected_regions_gin ON inspection_results USING GIN (detected_regions);
COMMENT ON TABLE inspection_results IS '검사 결과 상세';
COMMENT ON COLUMN inspection_results.anomaly_score IS 'normalized PatchCore image score in [0, 1] (raw distance in raw_anomaly_score)';
COMMENT ON COLUMN inspection_results.detected_regions IS '검출된 ROI 영역 정보 (JSON 배열)';

-- §3.5 action_logs
CREATE TABLE action_logs (
    action_id SERIAL PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(inspection_id) ON DELETE CASCADE,
    action_taken TEXT NOT NULL,
    action_result VARCHAR(50) NOT NULL,
    action_date TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    action_by INTEGER REFERENCES users(user_id),
    notes TEXT,
    CONSTRAINT action_result_check CHECK (action_result IN ('resolved', 'pending', 'failed', 'deferred')),
    CONSTRAINT action_taken_check CHECK (LENGTH(BTRIM(action_taken)) > 0)
);
CREATE INDEX idx_action_logs_inspection ON action_logs(inspection_id, action_date DESC, action_id DESC);
CREATE INDEX idx_action_logs_result ON action_logs(action_result);
CREATE INDEX idx_action_logs_date ON action_logs(action_date);
COMMENT ON TABLE action_logs IS '불량 조치 이력';

-- the inspection's summary columns follow its first result and its latest action
CREATE FUNCTION refresh_inspection_summary(p_id INTEGER) RETURNS void
LANGUAGE sql AS $$
    UPDATE inspections i SET
        defect_detected = s.defect_detected,
        defect_type_id = s.defect_type_id,
        action_status = s.action_status
    FROM (
        SELECT r.defect_detected, r.defect_type_id,
               CASE WHEN a.action_result = 'resolved' THEN 'resolved' WHEN r.defect_detected THEN 'pending' ELSE 'none' END AS action_status
        FROM (SELECT 1) one
        LEFT JOIN LATERAL (SELECT defect_detected, defect_type_id FROM inspection_results WHERE inspection_id = p_id ORDER BY result_id LIMIT 1) r ON TRUE
        LEFT JOIN LATERAL (SELECT action_result FROM action_logs WHERE inspection_id = p_id ORDER BY action_date DESC, action_id DESC LIMIT 1) a ON TRUE
    ) s
    WHERE i.inspection_id = p_id
      AND (i.defect_detected, i.defect_type_id, i.action_status) IS DISTINCT FROM (s.defect_detected, s.defect_type_id, s.action_status);
$$;

CREATE FUNCTION inspection_summary_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM refresh_inspection_summary(NEW.inspection_id); END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.inspection_id IS DISTINCT FROM NEW.inspection_id) THEN
        PERFORM refresh_inspection_summary(OLD.inspection_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER trg_results_summary AFTER INSERT OR UPDATE OR DELETE ON inspection_results FOR EACH ROW EXECUTE FUNCTION inspection_summary_trigger();
CREATE TRIGGER trg_actions_summary AFTER INSERT OR UPDATE OR DELETE ON action_logs FOR EACH ROW EXECUTE FUNCTION inspection_summary_trigger();

-- §3.6 feedbacks
CREATE TABLE feedbacks (
    feedback_id SERIAL PRIMARY KEY,
    inspection_id INTEGER NOT NULL REFERENCES inspections(inspection_id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(user_id),
    rating INTEGER NOT NULL,
    feedback_text TEXT,
    feedback_type VARCHAR(50),
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT feedback_type_check CHECK (feedback_type IS NULL OR feedback_type IN ('guide_quality', 'detection_accuracy', 'defect_type', 'other'))
);
CREATE INDEX idx_feedbacks_inspection ON feedbacks(inspection_id);
CREATE INDEX idx_feedbacks_user ON feedbacks(user_id);
CREATE INDEX idx_feedbacks_rating ON feedbacks(rating);
CREATE INDEX idx_feedbacks_type ON feedbacks(feedback_type);
COMMENT ON TABLE feedbacks IS '사용자 피드백';
COMMENT ON COLUMN feedbacks.rating IS '1: 매우 불만족 ~ 5: 매우 만족';

-- §3.7 model_configs
CREATE TABLE model_configs (
    config_id SERIAL PRIMARY KEY,
    product_id INTEGER REFERENCES products(product_id),
    model_type VARCHAR(50) NOT NULL,
    config_name VARCHAR(100),
    preprocessing JSONB,
    image_threshold FLOAT NOT NULL DEFAULT 0.85,
    pixel_threshold FLOAT NOT NULL DEFAULT 0.90,
    detection_model VARCHAR(100),
    detection_confidence FLOAT DEFAULT 0.5,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT model_type_check CHECK (model_type IN ('anomaly_detection', 'object_detection', 'hybrid')),
    CONSTRAINT model_thresholds_check CHECK (
        image_threshold > 0 AND image_threshold < 1 AND pixel_threshold > 0 AND pixel_threshold < 1 AND
        (detection_confidence IS NULL OR detection_confidence BETWEEN 0 AND 1))
);
CREATE INDEX idx_model_configs_type ON model_configs(model_type);
CREATE UNIQUE INDEX uq_model_configs_active ON model_configs(product_id, model_type) WHERE is_active;
COMMENT ON TABLE model_configs IS '제품별 모델 설정';

-- §3.8 views
CREATE VIEW inspection_action_status AS
SELECT ins.inspection_id, ins.defect_detected, ins.action_status FROM inspections ins;
COMMENT ON VIEW inspection_action_status IS 'per inspection: resolved (latest action resolved) | pending (defect, not resolved) | none';

CREATE VIEW dashboard_stats AS
SELECT
    p.product_id,
    p.product_code,
    p.product_name,
    (SELECT COUNT(*) FROM images i WHERE i.product_id = p.product_id AND i.is_active AND i.image_type = 'normal') AS normal_image_count,
    (SELECT COUNT(*) FROM images i WHERE i.product_id = p.product_id AND i.is_active AND i.image_type = 'defect') AS defect_image_count,
    s.total_inspection_count,
    s.defect_detected_count,
    s.resolved_count,
    s.pending_action_count,
    (SELECT AVG(f.rating)::float FROM feedbacks f JOIN inspections ins ON ins.inspection_id = f.inspection_id
      WHERE ins.product_id = p.product_id AND f.feedback_type = 'guide_quality') AS avg_guide_rating,
    s.last_inspection_at
FROM products p
CROSS JOIN LATERAL (
    SELECT
        COUNT(*) AS total_inspection_count,
        COUNT(*) FILTER (WHERE ins.defect_detected) AS defect_detected_count,
        COUNT(*) FILTER (WHERE ins.action_status = 'resolved') AS resolved_count,
        COUNT(*) FILTER (WHERE ins.action_status = 'pending') AS pending_action_count,
        MAX(ins.inspection_date) AS last_inspection_at
    FROM inspections ins
    WHERE ins.product_id = p.product_id AND ins.status = 'completed'
) s
WHERE p.is_active;
COMMENT ON VIEW dashboard_stats IS '대시보드 통합 통계';

CREATE VIEW recent_inspections AS
SELECT
    ins.inspection_id,
    ins.inspection_code,
    ins.inspection_date,
    p.product_code,
    p.product_name,
    dt.defect_name_ko,
    dt.defect_code,
    dt.severity_level,
    ins.defect_detected,
    ir.anomaly_score,
    ir.confidence_score,
    u.username AS inspector,
    ins.source,
    ins.action_status AS action_status_code,
    CASE ins.action_status WHEN 'resolved' THEN '조치완료' WHEN 'pending' THEN '미조치' ELSE '정상' END AS action_status
FROM inspections ins
JOIN products p ON ins.product_id = p.product_id
LEFT JOIN LATERAL (
    SELECT r.anomaly_score, r.confidence_score FROM inspection_results r WHERE r.inspection_id = ins.inspection_id ORDER BY r.result_id LIMIT 1
) ir ON TRUE
LEFT JOIN defect_types dt ON ins.defect_type_id = dt.defect_type_id
LEFT JOIN users u ON ins.inspector_id = u.user_id
WHERE ins.status = 'completed'
ORDER BY ins.inspection_date DESC, ins.inspection_id DESC
LIMIT 100;
COMMENT ON VIEW recent_inspections IS '최근 검사 이력 (상위 100건)';
`,
  },
  {
    // the station screen's watch folders (a line camera drops image files; each is inspected once, also across
    // restarts and stations: the file's row commits in the inspection's transaction, unique per product and file
    // identity) and the threshold preview's cache of reference-image scores per bank
    name: '202611250900_inspection_watch_folders',
    group: 'inspection',
    sql: /* sql */ `
CREATE TABLE inspection_watch_folders (
    watch_id SERIAL PRIMARY KEY,
    product_id INTEGER NOT NULL UNIQUE REFERENCES products(product_id) ON DELETE CASCADE,
    folder_path TEXT NOT NULL UNIQUE,
    is_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by INTEGER REFERENCES users(user_id),
    CONSTRAINT watch_folder_path_check CHECK (LENGTH(folder_path) BETWEEN 1 AND 1000)
);
COMMENT ON TABLE inspection_watch_folders IS '제품별 감시 폴더 (라인 카메라 이미지 자동 검사)';

CREATE TABLE inspection_watch_files (
    file_id BIGSERIAL PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
    file_path TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    file_mtime_ms BIGINT NOT NULL,
    sha256 CHAR(64),
    status VARCHAR(10) NOT NULL,
    inspection_id INTEGER UNIQUE REFERENCES inspections(inspection_id) ON DELETE SET NULL,
    error TEXT,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT watch_file_identity UNIQUE (product_id, file_path, file_size, file_mtime_ms),
    CONSTRAINT watch_file_status_check CHECK (status IN ('inspected', 'refused')),
    CONSTRAINT watch_file_refused_check CHECK (status <> 'refused' OR (inspection_id IS NULL AND error IS NOT NULL))
);
CREATE INDEX idx_watch_files_product_time ON inspection_watch_files(product_id, processed_at DESC);
COMMENT ON TABLE inspection_watch_files IS '감시 폴더에서 처리한 파일 (경로·크기·수정 시각으로 한 번만 검사)';

CREATE TABLE inspection_reference_scores (
    deployment_id INTEGER NOT NULL REFERENCES deployments(deployment_id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(image_id) ON DELETE CASCADE,
    anomaly_score DOUBLE PRECISION NOT NULL,
    scored_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (deployment_id, image_id),
    CONSTRAINT reference_score_check CHECK (anomaly_score BETWEEN 0 AND 1)
);
COMMENT ON TABLE inspection_reference_scores IS '임계값 미리보기: 메모리뱅크별 기준 이미지 이상 점수 캐시';
`,
  },
  {
    // store and forward (decisions.md, Plant 1–3): a journaled inspection arrives later with the UUID the station
    // gave it (unique: a result forwarded twice is one row), its station, its capture time as inspection_date and
    // the time it reached the database. No foreign key to stations: a station that started with the database away
    // forwards before it has registered, and a station row may be removed while its inspections stay.
    name: '202612071600_inspection_journal',
    group: 'inspection',
    sql: /* sql */ `
ALTER TABLE inspections ADD COLUMN client_uuid UUID;
ALTER TABLE inspections ADD COLUMN station_id UUID;
ALTER TABLE inspections ADD COLUMN received_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP;
CREATE UNIQUE INDEX inspections_client_uuid_key ON inspections(client_uuid);
CREATE INDEX idx_inspections_station_date ON inspections(station_id, inspection_date DESC) WHERE station_id IS NOT NULL;
COMMENT ON COLUMN inspections.client_uuid IS '스테이션이 만든 검사 UUID (저널 재전송 시 중복 방지)';
COMMENT ON COLUMN inspections.station_id IS '검사한 스테이션 (stations.station_id)';
COMMENT ON COLUMN inspections.received_at IS '데이터베이스에 도착한 시각 (inspection_date는 스테이션의 촬영 시각)';
`,
  },
  {
    // actions and feedback a station journaled behind an inspection not yet forwarded (or while the database was
    // away) carry their UUID too: a replay writes nothing twice
    name: '202612071700_inspection_journal_follow_ups',
    group: 'inspection',
    sql: /* sql */ `
ALTER TABLE action_logs ADD COLUMN client_uuid UUID;
CREATE UNIQUE INDEX action_logs_client_uuid_key ON action_logs(client_uuid);
ALTER TABLE feedbacks ADD COLUMN client_uuid UUID;
CREATE UNIQUE INDEX feedbacks_client_uuid_key ON feedbacks(client_uuid);
`,
  },
];

export const inspectionHooks: EnsureHook[] = [];
