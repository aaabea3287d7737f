/** The inspection schema on a real PostgreSQL: constraints, the race-free inspection code, the views. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../testing/db';

const SHA = 'a'.repeat(64);

describe('inspection schema', () => {
  let db: TestDb;
  let productId: number;
  let defectTypeId: number;
  beforeAll(async () => {
    db = await createTestDb();
    productId = (await db.pool.query("insert into products (product_code, product_name) values ('prod1', 'A') returning product_id")).rows[0].product_id;
    defectTypeId = (
      await db.pool.query("insert into defect_types (product_id, defect_code, defect_name_ko, severity_level) values ($1, 'hole', '기공', 4) returning defect_type_id", [productId])
    ).rows[0].defect_type_id;
  });
  afterAll(async () => db?.drop());

  const rejects = async (sql: string, params: unknown[], constraint: string) => {
    await expect(db.pool.query(sql, params)).rejects.toMatchObject({ constraint });
  };

  it('checks products, defect types and images', async () => {
    await rejects("insert into products (product_code, product_name) values ('x', 'too short')", [], 'products_code_check');
    await rejects("insert into products (product_code, product_name) values ('a/b', 'slash')", [], 'products_code_chars_check');
    await rejects("insert into defect_types (product_id, defect_code, defect_name_ko, severity_level) values ($1, 'burr', '버', 6)", [productId], 'defect_severity_check');
    await rejects("insert into defect_types (product_id, defect_code, defect_name_ko) values ($1, 'hole', '기공')", [productId], 'defect_types_product_id_defect_code_key');
    const img = `insert into images (product_id, image_type, defect_type_id, file_name, file_path, sha256) values ($1, $2, $3, 'f.png', 'x/f.png', $4)`;
    await rejects(img, [productId, 'defect', null, SHA], 'defect_image_check');
    await rejects(img, [productId, 'normal', defectTypeId, SHA], 'defect_image_check');
    await rejects(img, [productId, 'other', null, SHA], 'image_type_check');
    await rejects(img, [productId, 'normal', null, 'XYZ'], 'image_sha256_check');
    await db.pool.query(img, [productId, 'normal', null, SHA]);
    // one active reference image per product and content; test images may repeat
    await rejects(img, [productId, 'defect', defectTypeId, SHA], 'uq_images_reference_content');
    await db.pool.query(img, [productId, 'test', null, SHA]);
    await db.pool.query(img, [productId, 'test', null, SHA]);
  });

  it('keeps scores in [0, 1] and ratings in 1..5', async () => {
    const ins = (await db.pool.query('insert into inspections (product_id, status) values ($1, $2) returning inspection_id', [productId, 'completed'])).rows[0].inspection_id;
    const res = 'insert into inspection_results (inspection_id, defect_detected, anomaly_score, confidence_score, similarity_score) values ($1, true, $2, $3, $4)';
    await rejects(res, [ins, 1.2, 0.5, 0.5], 'anomaly_check');
    await rejects(res, [ins, 0.5, -0.1, 0.5], 'confidence_check');
    await rejects(res, [ins, 0.5, 0.5, 1.0001], 'similarity_check');
    await db.pool.query(res, [ins, 1, 0, 1]);
    await rejects('insert into inspection_results (inspection_id, defect_detected, defect_type_id) values ($1, false, $2)', [ins, defectTypeId], 'defect_type_when_detected_check');
    await rejects("insert into inspection_results (inspection_id, defect_detected, detected_regions) values ($1, true, '{}')", [ins], 'regions_array_check');
    await rejects('insert into feedbacks (inspection_id, rating) values ($1, 0)', [ins], 'rating_check');
    await rejects('insert into feedbacks (inspection_id, rating) values ($1, 6)', [ins], 'rating_check');
    await rejects("insert into action_logs (inspection_id, action_taken, action_result) values ($1, 'x', 'done')", [ins], 'action_result_check');
    await rejects("insert into inspections (product_id, source) values ($1, 'fax')", [productId], 'inspection_source_check');
    await rejects('insert into model_configs (product_id, model_type, image_threshold) values ($1, $2, 1.5)', [productId, 'anomaly_detection'], 'model_thresholds_check');
    await db.pool.query('insert into model_configs (product_id, model_type) values ($1, $2)', [productId, 'anomaly_detection']);
    await rejects('insert into model_configs (product_id, model_type) values ($1, $2)', [productId, 'anomaly_detection'], 'uq_model_configs_active');
    const d = (await db.pool.query('select image_threshold, pixel_threshold from model_configs where product_id = $1', [productId])).rows[0];
    expect(d).toEqual({ image_threshold: 0.85, pixel_threshold: 0.9 });
  });

  it('follows the deployment lifecycle', async () => {
    await rejects("insert into deployments (deployment_type, status) values ('patchcore_bank', 'running')", [], 'deployment_lifecycle_check');
    await rejects("insert into deployments (deployment_type, status, started_at, completed_at) values ('patchcore_bank', 'failed', now(), now())", [], 'deployment_lifecycle_check');
    await rejects("insert into deployments (deployment_type) values ('retrain')", [], 'deployment_type_check');
    const id = (await db.pool.query("insert into deployments (deployment_type) values ('patchcore_bank') returning deployment_id")).rows[0].deployment_id;
    await db.pool.query("update deployments set status = 'running', started_at = now() where deployment_id = $1", [id]);
    await expect(db.pool.query("update deployments set status = 'completed', completed_at = now() where deployment_id = $1", [id])).rejects.toMatchObject({
      constraint: 'deployment_lifecycle_check',
    });
    await db.pool.query(`update deployments set status = 'completed', completed_at = now(), result_summary = '{}' where deployment_id = $1`, [id]);
  });

  it('numbers inspections per Asia/Seoul day, without gaps or duplicates under concurrency', async () => {
    // 2026-03-01 15:30Z is already 2026-03-02 in Seoul; 14:59Z is still 03-01
    const code = async (at: string) =>
      (await db.pool.query('insert into inspections (product_id, inspection_date) values ($1, $2) returning inspection_code', [productId, at])).rows[0].inspection_code;
    expect(await code('2026-03-01T14:59:59Z')).toBe('INS-20260301-0001');
    expect(await code('2026-03-01T15:00:00Z')).toBe('INS-20260302-0001');
    expect(await code('2026-03-01T16:00:00+09:00')).toBe('INS-20260301-0002');

    // 40 concurrent transactions on separate connections, some rolled back: codes stay unique and dense
    const pool = new pg.Pool({ connectionString: db.url, max: 20 });
    try {
      const day = '2026-04-10T03:00:00Z';
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const c = await pool.connect();
          try {
            await c.query('begin');
            const r = await c.query('insert into inspections (product_id, inspection_date) values ($1, $2) returning inspection_code', [productId, day]);
            await new Promise((res) => setTimeout(res, (i * 7) % 11));
            if (i % 5 === 4) {
              await c.query('rollback');
              return null;
            }
            await c.query('commit');
            return r.rows[0].inspection_code as string;
          } finally {
            c.release();
          }
        }),
      );
      const codes = outcomes.filter((x): x is string => x !== null).sort();
      expect(codes).toHaveLength(32);
      expect(new Set(codes).size).toBe(32);
      // rolled-back numbers are rolled back with the counter: the committed codes are exactly 0001..0032
      expect(codes).toEqual(Array.from({ length: 32 }, (_, i) => `INS-20260410-${String(i + 1).padStart(4, '0')}`));
    } finally {
      await pool.end();
    }
    // the number keeps growing past 9999
    await db.pool.query("insert into inspection_code_counters (day, last_value) values ('2026-05-01', 9999)");
    expect(await code('2026-05-01T01:00:00Z')).toBe('INS-20260501-10000');
    await expect(
      db.pool.query("insert into inspections (product_id, inspection_code) values ($1, 'INS-1-1')", [productId]),
    ).rejects.toMatchObject({ constraint: 'inspection_code_format_check' });
  });

  it('computes dashboard_stats and recent_inspections per inspection, from the latest action', async () => {
    const p = (await db.pool.query("insert into products (product_code, product_name) values ('statp', 'Stats') returning product_id")).rows[0].product_id;
    const dt = (await db.pool.query("insert into defect_types (product_id, defect_code, defect_name_ko) values ($1, 'burr', '버') returning defect_type_id", [p])).rows[0].defect_type_id;
    for (let i = 0; i < 3; i++)
      await db.pool.query("insert into images (product_id, image_type, file_name, file_path, sha256) values ($1, 'normal', 'n.png', 'n.png', $2)", [p, String(i).repeat(64)]);
    const mk = async (defect: boolean) => {
      const id = (await db.pool.query("insert into inspections (product_id, status) values ($1, 'completed') returning inspection_id", [p])).rows[0].inspection_id;
      await db.pool.query('insert into inspection_results (inspection_id, defect_detected, defect_type_id, anomaly_score) values ($1, $2, $3, 0.5)', [id, defect, defect ? dt : null]);
      return id;
    };
    const a = await mk(true); // resolved after a pending log
    const b = await mk(true); // only a pending log → still pending
    await mk(true); // no action → pending
    await mk(false);
    await db.pool.query("insert into action_logs (inspection_id, action_taken, action_result, action_date) values ($1, 'look', 'pending', now() - interval '1 hour')", [a]);
    await db.pool.query("insert into action_logs (inspection_id, action_taken, action_result) values ($1, 'fixed', 'resolved')", [a]);
    await db.pool.query("insert into action_logs (inspection_id, action_taken, action_result) values ($1, 'later', 'pending')", [b]);
    for (const r of [5, 3]) await db.pool.query("insert into feedbacks (inspection_id, rating, feedback_type) values ($1, $2, 'guide_quality')", [a, r]);
    await db.pool.query("insert into feedbacks (inspection_id, rating, feedback_type) values ($1, 1, 'detection_accuracy')", [a]);
    const s = (await db.pool.query('select * from dashboard_stats where product_id = $1', [p])).rows[0];
    expect(s).toMatchObject({
      product_code: 'statp',
      normal_image_count: 3,
      defect_image_count: 0,
      total_inspection_count: 4,
      defect_detected_count: 3,
      resolved_count: 1,
      pending_action_count: 2,
      avg_guide_rating: 4,
    });
    // the summary columns follow later changes too: the resolved log deleted → pending again; a result flipped to normal → none
    const status = async (id: number) => (await db.pool.query('select defect_detected, defect_type_id, action_status from inspections where inspection_id = $1', [id])).rows[0];
    expect(await status(a)).toEqual({ defect_detected: true, defect_type_id: dt, action_status: 'resolved' });
    await db.pool.query("delete from action_logs where inspection_id = $1 and action_result = 'resolved'", [a]);
    expect((await status(a)).action_status).toBe('pending');
    await db.pool.query("insert into action_logs (inspection_id, action_taken, action_result) values ($1, 'fixed again', 'resolved')", [a]);
    expect((await status(a)).action_status).toBe('resolved');
    await db.pool.query('update inspection_results set defect_detected = false, defect_type_id = null where inspection_id = $1', [b]);
    expect(await status(b)).toEqual({ defect_detected: false, defect_type_id: null, action_status: 'none' });
    await db.pool.query('update inspection_results set defect_detected = true, defect_type_id = $2 where inspection_id = $1', [b, dt]);
    expect((await status(b)).action_status).toBe('pending');
    const recent = (await db.pool.query("select inspection_id, action_status, action_status_code from recent_inspections where product_code = 'statp'")).rows;
    expect(recent).toHaveLength(4); // one row per inspection, however many action logs
    expect(recent.find((r) => r.inspection_id === a)).toMatchObject({ action_status: '조치완료', action_status_code: 'resolved' });
    expect(recent.find((r) => r.inspection_id === b)).toMatchObject({ action_status: '미조치' });
  });
});
