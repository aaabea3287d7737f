/**
 * Issue #19 "Korean-first screens", layout and touch (Chromium through the browser host, 1440 × 900): the station's
 * buttons, selects and queue items are ≥ 44 px high (gloved hands), and the communication screen's outage table stays
 * inside its card.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateImage, setSpecs } from '../main/inspection/synth/generate';
import { test, expect, login } from './fixtures';
import { DEMO_PASSWORD } from './station';

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
