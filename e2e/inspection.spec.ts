/**
 * The inspection workbench in Chromium through the browser host (demo station: prod1..prod3 with banks and
 * history): a worker uploads a procedural defect image, sees the verdict and the heatmap overlay, moves the
 * threshold slider and sees the mask change, records an action and feedback, finds the inspection in History,
 * and the rows are read back from PostgreSQL; screenshots of the station in Korean and English. A viewer cannot
 * inspect. A manager previews thresholds, sets a watch folder, and a file dropped there is inspected once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateImage, setSpecs } from '../main/inspection/synth/generate';
import { test, expect, login } from './fixtures';
import { DEMO_PASSWORD, hostCall } from './station';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** screenshots for docs/ only when asked for (LINEDECK_SCREENSHOTS=1), not on every test run */
const SHOTS = process.env.LINEDECK_SCREENSHOTS ? path.join(ROOT, 'docs', 'screenshots') : null;

async function defectImageFile(kind: 'hole' | 'scratch', seed: string): Promise<string> {
  // prod1 is the cast surface; the demo's references use other seeds, so this picture is new to the station
  const [spec] = setSpecs({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 1, kinds: [kind], seed, size: 256 });
  const img = await generateImage(spec);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-insp-')), `${kind}-${seed}.png`);
  fs.writeFileSync(file, img.png);
  return file;
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

test('inspection: a worker inspects an upload, reads the overlay, redraws the mask, records action and feedback, finds it in History; rows in PostgreSQL', async ({ console: page, info }) => {
  test.setTimeout(180_000);
  const file = await defectImageFile('hole', 'e2e-upload');
  await login(page, 'worker1', DEMO_PASSWORD);
  // a worker starts on the station
  await expect(page.getByTestId('station')).toBeVisible();
  await page.getByTestId('product-select').selectOption({ label: 'prod1 · 주조 제품 A형' });

  const t0 = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  const result = page.getByTestId('result');
  await expect(result).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'NG');
  const seenMs = Date.now() - t0;
  await expect(page.getByTestId('defect-type')).not.toHaveText('—');
  // the heatmap overlay is drawn over the original (both decoded)
  const overlay = page.getByTestId('heatmap-overlay');
  await expect(overlay).toBeVisible();
  // drawn from the stored anomaly map: some pixels tinted, the rest transparent (the part shows through)
  const tinted = () =>
    overlay.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return { n, of: c.width * c.height };
    });
  await expect.poll(async () => (await tinted()).n).toBeGreaterThan(0);
  expect((await tinted()).n).toBeLessThan((await tinted()).of);
  await expect.poll(() => page.getByTestId('original-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);
  await expect(page.getByTestId('regions').locator('li')).not.toHaveCount(0);
  const latency = (await page.getByTestId('latency').textContent())?.trim();

  // the mask is redrawn on the client from the anomaly map when the slider moves
  const mask = page.getByTestId('mask-canvas');
  await expect(mask).toHaveAttribute('data-mask-pixels', /^\d+$/);
  const at = async () => Number(await mask.getAttribute('data-mask-pixels'));
  const applied = await at();
  expect(applied).toBeGreaterThan(0);
  await page.getByTestId('threshold-slider').fill('0.5');
  await expect(mask).toHaveAttribute('data-threshold', '0.50');
  const wider = await at();
  expect(wider).toBeGreaterThan(applied);
  await page.getByTestId('threshold-slider').fill('0.99');
  await expect(mask).toHaveAttribute('data-threshold', '0.99');
  expect(await at()).toBeLessThan(applied);
  // the canvas really holds those pixels
  const painted = await mask.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  expect(painted).toBe(await at());
  // keyboard: ] raises the threshold by 0.01 … back to the applied value for the screenshots
  await page.getByTestId('threshold-slider').fill('0.90');
  // (with no control focused: a focused control keeps its own keys)
  const blur = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await blur();
  await page.keyboard.press(']');
  await expect(mask).toHaveAttribute('data-threshold', '0.91');
  await page.keyboard.press('[');
  await expect(mask).toHaveAttribute('data-threshold', '0.90');
  // the overlay toggle and the reference comparison
  await page.getByTestId('toggle-overlay').uncheck();
  await expect(overlay).toBeHidden();
  await page.getByTestId('toggle-overlay').check();
  await page.getByTestId('toggle-comparison').check();
  await expect(page.getByTestId('reference-view').locator('img')).toBeVisible();
  await page.getByTestId('region-0').hover();
  await expect(page.getByTestId('region-box-0')).toHaveClass(/insp-box-hot/);

  // the station in Korean then English (screenshots when asked for)
  if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
  await page.mouse.move(0, 0);
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'inspection-station-ko.png') });
  await page.getByTestId('lang-switch').click();
  await expect(page.getByTestId('tab-station')).toHaveText('Station');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'inspection-station-en.png') });
  await page.getByTestId('lang-switch').click();
  await page.getByTestId('toggle-comparison').uncheck();

  // action and feedback
  const code = (await page.getByTestId('inspection-code').textContent())!.trim();
  const inspectionId = Number(await result.getAttribute('data-inspection-id'));
  await page.getByTestId('action-resolved').check();
  await page.getByTestId('action-text').fill('E2E: 기공 부위 연마 후 재검사');
  await page.getByTestId('action-submit').click();
  await expect(page.getByTestId('action-log')).toContainText('E2E: 기공 부위 연마 후 재검사');
  await expect(page.getByTestId('action-status')).toContainText('조치완료');
  await page.getByTestId('rating-4').check();
  await page.getByTestId('feedback-text').fill('E2E: 가이드가 정확함');
  await page.getByTestId('feedback-submit').click();
  await expect(page.getByTestId('feedback-log')).toContainText('E2E: 가이드가 정확함');

  // History: filter by code, reopen with its artifacts
  await page.getByTestId('tab-history').click();
  await page.getByTestId('history-q').fill(code);
  const row = page.getByTestId(`history-row-${code}`);
  await expect(row).toBeVisible();
  await expect(page.getByTestId('history-table').locator('tbody tr')).toHaveCount(1);
  await expect(row).toContainText('조치완료');
  await expect(row).toContainText('worker1');
  await row.click();
  await expect(page.getByTestId('result')).toHaveAttribute('data-inspection-code', code);
  await expect(page.getByTestId('heatmap-overlay')).toBeVisible();
  await expect(page.getByTestId('mask-canvas')).toHaveAttribute('data-mask-pixels', String(applied));
  await expect(page.getByTestId('action-log')).toContainText('E2E: 기공 부위 연마 후 재검사');
  await page.getByTestId('history-back').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('history-export').click();
  const csv = fs.readFileSync(await (await download).path(), 'utf8');
  expect(csv.charCodeAt(0)).toBe(0xfeff);
  expect(csv).toContain(code);

  // the rows in PostgreSQL
  expect(info.databaseUrl).toBeTruthy();
  const [ins] = await sql<{ inspection_code: string; source: string; username: string; defect_detected: boolean; anomaly_score: number; details: { anomalyMap: string } }>(
    info.databaseUrl!,
    `select ins.inspection_code, ins.source, u.username, r.defect_detected, r.anomaly_score, r.details
     from inspections ins join users u on u.user_id = ins.inspector_id join inspection_results r on r.inspection_id = ins.inspection_id where ins.inspection_id = $1`,
    [inspectionId],
  );
  expect(ins).toMatchObject({ inspection_code: code, source: 'upload', username: 'worker1', defect_detected: true });
  // content-addressed like every stored file (decisions.md Plant 4)
  expect(ins.details.anomalyMap).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
  const actions = await sql(info.databaseUrl!, 'select a.action_taken, a.action_result, u.username from action_logs a join users u on u.user_id = a.action_by where inspection_id = $1', [inspectionId]);
  expect(actions).toEqual([{ action_taken: 'E2E: 기공 부위 연마 후 재검사', action_result: 'resolved', username: 'worker1' }]);
  const feedbacks = await sql(info.databaseUrl!, 'select f.rating, f.feedback_text, f.feedback_type, u.username from feedbacks f join users u on u.user_id = f.user_id where inspection_id = $1', [inspectionId]);
  expect(feedbacks).toEqual([{ rating: 4, feedback_text: 'E2E: 가이드가 정확함', feedback_type: 'guide_quality', username: 'worker1' }]);
  console.log(`inspection e2e: verdict on screen ${seenMs} ms after the upload; latency shown: ${latency}; mask ${applied} px at the applied threshold, ${wider} px at 0.50`);
});

test('inspection: the camera captures with Space; a second picture queues behind the first', async ({ console: page }) => {
  test.setTimeout(120_000);
  await login(page, 'worker1', DEMO_PASSWORD);
  await page.getByTestId('product-select').selectOption({ label: 'prod1 · 주조 제품 A형' });
  await page.getByTestId('camera-toggle').click();
  await expect(page.getByTestId('capture')).toBeEnabled({ timeout: 20_000 });
  await expect.poll(() => page.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  // Space captures when no control has the focus (on a focused button Space presses that button)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Space');
  await page.getByTestId('capture').click();
  // two pictures: both get inspected, one after the other
  await expect(page.getByTestId('queue').locator('[data-testid="queue-item-done"]')).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId('result')).toBeVisible();
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', /^(OK|NG)$/);
  const ms = await page.getByTestId('queue').locator('[data-testid="queue-item-done"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ms'))));
  // a file that is not a picture is refused in Korean, main's particulars underneath, and the queue goes on
  await page.getByTestId('file-input').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is not a picture') });
  const refused = page.getByTestId('queue-error');
  await expect(refused).toContainText('이미지 파일이 아닙니다', { timeout: 30_000 });
  await expect(refused).toContainText('not a readable image');
  await expect(page.getByTestId('queue').locator('[data-testid="queue-item-done"]')).toHaveCount(2);
  // the device choice is remembered
  const stored = await page.evaluate(() => localStorage.getItem('linedeck.inspection'));
  expect(stored).toContain('cameraId');
  // kiosk mode: the station alone, without the workspace navigation; and back
  await page.getByTestId('kiosk-toggle').click();
  await expect(page.getByTestId('inspection-workspace')).toHaveAttribute('data-kiosk', '1');
  await expect(page.getByRole('navigation', { name: '작업 공간' })).toBeHidden();
  await expect(page.getByTestId('tab-history')).toHaveCount(0);
  await expect(page.getByTestId('station')).toBeVisible();
  await page.getByTestId('kiosk-toggle').click();
  await expect(page.getByTestId('tab-history')).toBeVisible();
  console.log(`inspection e2e: camera captures inspected in ${ms.join(' ms, ')} ms (round trip, newest first)`);
});

test('inspection: a viewer cannot inspect (no capture on screen, refused by main)', async ({ console: page, info }) => {
  await login(page, 'viewer1', DEMO_PASSWORD);
  await page.goto(`${info.url}/#/inspection`);
  await expect(page.getByTestId('station-readonly')).toBeVisible();
  await expect(page.getByTestId('file-input')).toHaveCount(0);
  await expect(page.getByTestId('camera-toggle')).toHaveCount(0);
  await expect(page.getByTestId('tab-products')).toHaveCount(0);
  // history and overview are readable
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-table').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('action-form')).toHaveCount(0);
  // main refuses: the role is checked by the dispatcher, whatever the screen shows
  const s = await hostCall(info, 'auth.login', { username: 'viewer1', password: DEMO_PASSWORD });
  const img = fs.readFileSync(await defectImageFile('scratch', 'e2e-viewer')).toString('base64');
  const r = await hostCall(info, 'inspection.inspect', { productCode: 'prod1', image: { base64: img } }, s.value.sessionId);
  expect(r).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  const a = await hostCall(info, 'inspection.actions.create', { inspectionId: 1, actionTaken: 'x', actionResult: 'resolved' }, s.value.sessionId);
  expect(a).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  const w = await hostCall(info, 'auth.login', { username: 'worker1', password: DEMO_PASSWORD });
  expect(await hostCall(info, 'inspection.config.setThresholds', { productId: 1, imageThreshold: 0.8, pixelThreshold: 0.9 }, w.value.sessionId)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  expect(await hostCall(info, 'inspection.watch.set', { productId: 1, folderPath: os.tmpdir() }, w.value.sessionId)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
});

test('inspection: a manager previews thresholds, sets a watch folder whose file is inspected once, and reads the overview', async ({ console: page, info }) => {
  test.setTimeout(150_000);
  await login(page, 'manager1', DEMO_PASSWORD);
  await page.goto(`${info.url}/#/inspection/products`);
  await page.getByTestId('product-prod1').click();
  await expect(page.getByTestId('defect-types').locator('tbody tr')).toHaveCount(3);
  await page.getByTestId('ptab-model').click();
  await expect(page.getByTestId('model-folders')).toContainText('linedeck-patchcore-default');
  const preview = page.getByTestId('threshold-preview');
  await expect(preview).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('preview-chart').locator('canvas')).toHaveCount(1);
  await expect(page.getByTestId('preview-caught')).toHaveText(/^\d+ \/ 9$/);
  // a threshold near 0 flags every held-out normal: the preview follows the slider without saving
  await page.getByTestId('image-threshold').fill('0.5');
  await expect(page.getByTestId('image-threshold-value')).toHaveText('0.50');
  await expect(page.getByTestId('preview-caught')).toHaveText('9 / 9');
  await expect(page.getByTestId('threshold-save')).toBeEnabled();

  // watch folder: set in the UI, a file dropped there is inspected once (source watch)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-watch-'));
  await page.getByTestId('ptab-watch').click();
  await page.getByTestId('watch-path').fill(dir);
  await page.getByTestId('watch-save').click();
  await expect(page.getByTestId('watch-info')).toContainText(/0/);
  fs.copyFileSync(await defectImageFile('scratch', 'e2e-watch'), path.join(dir, 'line-0001.png'));
  await expect
    .poll(async () => (await sql<{ n: number }>(info.databaseUrl!, "select count(*)::int as n from inspection_watch_files where file_path like $1 and status = 'inspected'", [`${dir}%`]))[0].n, { timeout: 60_000 })
    .toBe(1);
  await page.goto(`${info.url}/#/inspection/history`);
  await page.getByTestId('history-q').fill('');
  await expect(page.getByTestId('history-table')).toContainText('감시 폴더');

  // overview: the design's dashboard_stats per product and the charts
  await page.getByTestId('tab-overview').click();
  await expect(page.getByTestId('stats-table').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('rate-chart').locator('canvas')).toHaveCount(1);
  await expect(page.getByTestId('rate-chart')).toHaveAttribute('data-days', /^(30|31)$/);
  await expect(page.getByTestId('type-chart')).not.toHaveAttribute('data-types', '0');
  await expect(page.getByTestId('pending-table').locator('tbody tr').first()).toBeVisible();
  // the watch folder is removed again so other specs see the station as it was
  const s = await hostCall(info, 'auth.login', { username: 'manager1', password: DEMO_PASSWORD });
  const prod1 = await hostCall(info, 'inspection.products.get', { productCode: 'prod1' }, s.value.sessionId);
  expect(await hostCall(info, 'inspection.watch.remove', { productId: prod1.value.productId }, s.value.sessionId)).toMatchObject({ ok: true, value: { deleted: true } });
});

test('inspection: a manager sets up a new product in the UI — defect type, reference uploads, manual sections, bank build with progress — and its first inspection shows the type and the guide', async ({ console: page, info }) => {
  test.setTimeout(240_000);
  const code = `E2E-NEW-${Date.now().toString(36).toUpperCase()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-newprod-'));
  // a brushed part this station has never seen: 12 normals and 2 hole exemplars; a third hole is the test picture
  const specs = setSpecs({ surface: 'brushed', level: 'plain', normals: 12, defectsPerKind: 3, kinds: ['hole'], seed: 'e2e-newprod', size: 256 });
  const files: { normal: string[]; hole: string[] } = { normal: [], hole: [] };
  for (const spec of specs) {
    const img = await generateImage(spec);
    const f = path.join(dir, img.name);
    fs.writeFileSync(f, img.png);
    files[img.label === 'normal' ? 'normal' : 'hole'].push(f);
  }
  const testPicture = files.hole.pop()!;

  await login(page, 'manager1', DEMO_PASSWORD);
  await page.goto(`${info.url}/#/inspection/products`);
  const newProduct = page.getByRole('form', { name: '제품 추가' });
  await newProduct.getByLabel('제품 코드').fill(code);
  await newProduct.getByLabel('제품명').fill('신규 브러시 부품');
  await newProduct.getByRole('button', { name: '추가' }).click();
  await expect(page.locator('#product-title')).toContainText(code);

  // defect type
  await page.getByTestId('new-type-code').fill('hole');
  await page.getByTestId('new-type-ko').fill('구멍');
  await page.getByRole('form', { name: '불량 유형 추가' }).getByRole('button', { name: '추가' }).click();
  await expect(page.getByTestId('defect-types').locator('tbody tr')).toHaveCount(1);

  // reference images: normals, then defect exemplars of that type
  await page.getByTestId('ptab-images').click();
  await page.getByTestId('ref-upload').setInputFiles(files.normal);
  await expect(page.locator('[data-testid^="ref-"]:not([data-testid="ref-upload"])')).toHaveCount(12, { timeout: 60_000 });
  await page.getByRole('radio', { name: /불량/ }).check();
  await page.getByTestId('ref-upload').setInputFiles(files.hole);
  await expect(page.locator('[data-testid^="ref-"]:not([data-testid="ref-upload"])')).toHaveCount(2, { timeout: 30_000 });

  // the manual: a new manual with a cause and an action for the type
  await page.getByTestId('ptab-manuals').click();
  const newManual = page.getByRole('form', { name: '매뉴얼 추가' });
  await newManual.getByLabel('제목').fill('브러시 부품 작업 표준');
  await newManual.getByRole('button', { name: '추가' }).click();
  await expect(page.getByRole('heading', { name: '브러시 부품 작업 표준' })).toBeVisible();
  const newSection = page.getByRole('form', { name: '섹션 추가' });
  for (const [kind, text] of [
    ['cause', '주조 기공이 표면으로 드러남'],
    ['action', '해당 로트 격리 후 재검사'],
  ] as const) {
    await newSection.getByLabel('불량 유형').selectOption({ label: 'hole · 구멍' });
    await newSection.getByLabel('구분').selectOption(kind);
    await newSection.getByLabel('내용').fill(text);
    await newSection.getByRole('button', { name: '추가' }).click();
    // the section is listed under its type, and the form is cleared for the next one
    await expect(page.getByRole('region', { name: 'hole' }).getByText(text)).toBeVisible();
    await expect(newSection.getByLabel('내용')).toHaveValue('');
  }

  // the bank: built as a job with a progress bar, then in use
  await page.getByTestId('ptab-model').click();
  await page.getByTestId('bank-build').click();
  const progress = page.getByTestId('bank-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toHaveAttribute('data-state', 'completed', { timeout: 150_000 });
  await expect(page.getByTestId('bank-info')).toContainText('12');

  // the first inspection of the new product: a hole, typed from the exemplars, with the manual's guide
  await page.goto(`${info.url}/#/inspection`);
  await page.getByTestId('product-select').selectOption({ label: `${code} · 신규 브러시 부품` });
  await page.getByTestId('file-input').setInputFiles(testPicture);
  await expect(page.getByTestId('result')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('verdict')).toHaveAttribute('data-verdict', 'NG');
  await expect(page.getByTestId('defect-type')).toContainText('구멍');
  await expect(page.getByTestId('guide')).toContainText('주조 기공이 표면으로 드러남');
  await expect(page.getByTestId('guide')).toContainText('해당 로트 격리 후 재검사');

  // leave the station as the other specs expect it: the product deactivated
  const s = await hostCall(info, 'auth.login', { username: 'manager1', password: DEMO_PASSWORD });
  const p = await hostCall(info, 'inspection.products.get', { productCode: code }, s.value.sessionId);
  expect(await hostCall(info, 'inspection.products.update', { productId: p.value.productId, isActive: false }, s.value.sessionId)).toMatchObject({ ok: true });
});
