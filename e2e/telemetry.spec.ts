import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { startEmbedded } from '../main/db/embedded';
import { test, expect, login, TARGET, CHROMIUM_ARGS } from './fixtures';
import { ADMIN, DEMO_PASSWORD, cliJson, hostCall, startStation } from './station';

test('telemetry: dashboard tiles and latest table, a window change, trend toggles, tech, heatmap cell details', async ({ console: page }) => {
  await login(page, 'manager1', DEMO_PASSWORD);
  await page.getByRole('navigation', { name: '작업 공간' }).getByRole('link', { name: '텔레메트리' }).click();
  const tiles = page.getByTestId('kpi-tiles');
  await expect(tiles.locator('article')).toHaveCount(9);
  await expect(page.getByTestId('latest-table').locator('tbody tr')).toHaveCount(9);
  await expect(page.getByTestId('tile-D100').getByTestId('tile-value')).not.toHaveText('—');
  await page.getByTestId('window-select').selectOption('24h');
  await expect(page.getByText('버킷: 1m')).toBeVisible();
  await page.getByTestId('window-select').selectOption('7d');
  await expect(page.getByText('버킷: 10m')).toBeVisible();

  await page.getByRole('link', { name: '트렌드' }).click();
  await page.getByTestId('window-select').selectOption('60m');
  const chart = page.getByTestId('trend-chart');
  await expect(chart).toHaveAttribute('data-points', /^[1-9]\d*$/);
  const points = Number(await chart.getAttribute('data-points'));
  // one table row per bucket = one chart point per series
  await expect(page.getByTestId('trend-table').locator('tbody tr')).toHaveCount(points);
  await expect(chart.locator('canvas')).toHaveCount(1);
  await page.getByTestId('series-min').uncheck();
  await page.getByTestId('series-max').uncheck();
  await expect(chart).toHaveAttribute('data-series', 'avg,last,first');

  await page.getByRole('link', { name: '기술 지표' }).click();
  await expect(page.getByTestId('tech-chart')).toHaveAttribute('data-points', /^[1-9]\d*$/);
  await page.getByTestId('tech-bb_top').uncheck();

  await page.getByRole('link', { name: '통신 성공률' }).click();
  const heat = page.getByTestId('heatmap');
  await expect(heat.locator('[role=gridcell]')).toHaveCount(720);
  // an hour of yesterday (UTC) has data: click it and read the details card
  const cell = heat.locator('[data-h="3"][data-d="28"]');
  await cell.click();
  await expect(page.getByTestId('cell-rate')).toHaveText(/%$/);
  // keyboard: focus moves over cells
  await cell.focus();
  await page.keyboard.press('ArrowRight');
  await expect(heat.locator('[data-h="3"][data-d="29"]')).toBeFocused();
});

test('telemetry: a live dashboard shows the stale badge when the database stops, and recovers without a restart', async () => {
  test.skip(TARGET === 'electron', 'controls its own database server');
  test.setTimeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-stale-'));
  let pg = await startEmbedded(path.join(dir, 'pgdata'), { database: 'linedeck' });
  const port = pg.port;
  cliJson(['demo', 'seed', '--only', 'telemetry', '--database-url', pg.url], { LINEDECK_DEMO_TELEMETRY_DAYS: '2' });
  const st = await startStation({ databaseUrl: pg.url, background: false });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const status = await hostCall(st.info, 'auth.status', {});
    if (status.value?.needsSetup) await hostCall(st.info, 'auth.setup', ADMIN);
    const page = await browser.newPage();
    await page.goto(st.info.openUrl);
    await login(page, 'viewer1', DEMO_PASSWORD);
    await page.goto(`${st.info.url}/#/telemetry`);
    await expect(page.getByTestId('kpi-tiles').locator('article')).toHaveCount(9);
    await expect(page.getByTestId('stale-badge')).toHaveCount(0);

    await pg.stop();
    await expect(page.getByTestId('stale-badge')).toBeVisible({ timeout: 40_000 });
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'dbDown', { timeout: 20_000 });
    // the last good tiles stay on screen
    await expect(page.getByTestId('kpi-tiles').locator('article')).toHaveCount(9);

    pg = await startEmbedded(path.join(dir, 'pgdata'), { database: 'linedeck', port });
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 40_000 });
    await expect(page.getByTestId('stale-badge')).toHaveCount(0, { timeout: 60_000 });
  } finally {
    await browser.close();
    await st.stop();
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
