/**
 * Issue #19 "Korean-first screens", layout and touch (Chromium through the browser host, 1440 × 900): the station's
 * buttons, selects and queue items are ≥ 44 px high (gloved hands), and the communication screen's outage table stays
 * inside its card. The audit log's and the history's CSV export hold every row matching the filters, not the page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateImage, setSpecs } from '../main/inspection/synth/generate';
import { test, expect, login } from './fixtures';
import { ADMIN, DEMO_PASSWORD, hostCall } from './station';

const MIN_TAP = 44;

test('station: every control a worker touches is at least 44 px high at 1440 × 900', async ({ console: page }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  const [spec] = setSpecs({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 1, kinds: ['scratch'], seed: 'e2e-habits-tap', size: 256 });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-habits-')), 'scratch.png');
  fs.writeFileSync(file, (await generateImage(spec)).png);
  await login(page, 'worker1', DEMO_PASSWORD);
  const station = page.getByTestId('station');
  await expect(station).toBeVisible();
  await page.getByTestId('product-select').selectOption({ label: 'prod1 · 주조 제품 A형' });
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('result')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('queue-item-done').first()).toBeVisible();

  const controls = station.locator('button, select, [role=button], a.btn');
  const n = await controls.count();
  expect(n).toBeGreaterThan(5);
  const small: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = controls.nth(i);
    if (!(await c.isVisible())) continue;
    const box = await c.boundingBox();
    if (!box || box.width === 0) continue;
    if (box.height < MIN_TAP - 0.5) {
      const name = await c.evaluate((el) => `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}.${(el.className || '').toString().replace(/\s+/g, '.')} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}"`);
      small.push(`${name}: ${box.height.toFixed(1)} px`);
    }
  }
  expect(small, `controls under ${MIN_TAP} px on the station`).toEqual([]);
});

test('communication: the outage table stays inside its card at 1440 × 900', async ({ console: page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await login(page, 'manager1', DEMO_PASSWORD);
  await page.getByRole('navigation', { name: '작업 공간' }).getByRole('link', { name: '텔레메트리' }).click();
  await page.getByRole('link', { name: '통신 성공률' }).click();
  // D201 was dead for 7 hours in the demo: an outage row
  await page.getByTestId('tag-select').selectOption('D201');
  await expect(page.getByTestId('heatmap').locator('[role=gridcell]')).toHaveCount(720);
  const table = page.getByTestId('outages');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  const fit = await page.getByTestId('outages-card').evaluate((card) => {
    const t = card.querySelector('table')!;
    const cardBox = card.getBoundingClientRect();
    const tableBox = t.getBoundingClientRect();
    return { cardScroll: card.scrollWidth, cardClient: card.clientWidth, tableRight: tableBox.right, cardRight: cardBox.right };
  });
  expect(fit.cardScroll, 'the card does not overflow').toBeLessThanOrEqual(fit.cardClient);
  expect(fit.tableRight, 'the table ends inside its card').toBeLessThanOrEqual(fit.cardRight + 0.5);
  // the heatmap's headers say KST
  await expect(page.getByTestId('heatmap').getByRole('columnheader').first()).toHaveText('시 (KST)');
});

/** CSV records (RFC 4180: newlines inside quotes do not end a record), header included */
function csvRecords(text: string): number {
  let n = 0;
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) n++;
  }
  return text.endsWith('\n') ? n : n + 1;
}

test('audit log and inspection history: the CSV export holds every row matching the filters, not the page shown', async ({ console: page, info }) => {
  await login(page, ADMIN.username, ADMIN.password);
  const sid = (await hostCall(info, 'auth.login', { username: ADMIN.username, password: ADMIN.password })).value.sessionId as string;
  const exportCsv = async (testId: string) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`${testId}-csv`).click()]);
    return fs.readFileSync((await d.path())!, 'utf8');
  };

  await page.evaluate(() => (window.location.hash = '#/admin/audit'));
  await expect(page.getByRole('table', { name: '감사 로그' }).locator('tbody tr')).toHaveCount(100);
  const audit = (await hostCall(info, 'admin.audit.list', { limit: 1, offset: 0 }, sid)).value as { total: number };
  // the demo's seed alone writes more entries than one page: the export has to page
  expect(audit.total).toBeGreaterThan(100);
  const csv = await exportCsv('audit-export');
  // entries written after the click are not in it; every one before it is (one header line)
  expect(csvRecords(csv) - 1).toBeGreaterThanOrEqual(audit.total);
  await expect(page.getByTestId('audit-export-message')).toHaveText(/^[\d,]+행을 내보냈습니다$/);

  await page.evaluate(() => (window.location.hash = '#/inspection/history'));
  await expect(page.getByTestId('history-table').locator('tbody tr').first()).toBeVisible();
  const history = (await hostCall(info, 'inspection.inspections.list', { limit: 1, offset: 0 }, sid)).value as { total: number };
  const hcsv = await exportCsv('history-page-export');
  expect(csvRecords(hcsv) - 1).toBe(history.total);
  // a filter narrows the export as it narrows the table
  await page.getByTestId('history-verdict').selectOption('defect');
  const ng = (await hostCall(info, 'inspection.inspections.list', { verdict: 'defect', limit: 1, offset: 0 }, sid)).value as { total: number };
  await expect(page.getByTestId('history-total')).toContainText(String(ng.total));
  expect(csvRecords(await exportCsv('history-page-export')) - 1).toBe(ng.total);
  console.log(`exports: audit ${audit.total}+ rows (100 a page), history ${history.total}, NG ${ng.total}`);
});
