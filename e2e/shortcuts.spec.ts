/**
 * Shortcuts in Korean input mode (#19): with the Korean IME on, a key press reaches the page as key 'ㅗ' (or
 * 'Process') with code 'KeyH'. A worker in Korean inspects an upload on the station; the heatmap, the camera and
 * the mask answer to such events, a text field keeps its letters, and the `?` overlay lists every active shortcut
 * with its key and its Korean description (from renderer/src/locales/ko/shortcuts.json).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { generateImage, setSpecs } from '../main/inspection/synth/generate';
import { test, expect, login } from './fixtures';
import { DEMO_PASSWORD } from './station';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ko = JSON.parse(fs.readFileSync(path.join(ROOT, 'renderer/src/locales/ko/shortcuts.json'), 'utf8'));
const descOf = (id: string): string => id.split('.').reduce((o, k) => o[k], ko.desc);

/** a keydown as the Korean IME sends it: the jamo (or 'Process') as the key, the physical key as the code */
function imeKey(page: Page, key: string, code: string) {
  return page.evaluate(
    ([key, code]) => {
      const target = document.activeElement ?? document.body;
      target.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
      target.dispatchEvent(new KeyboardEvent('keyup', { key, code, bubbles: true, cancelable: true }));
    },
    [key, code],
  );
}

async function defectImageFile(): Promise<string> {
  const [spec] = setSpecs({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 1, kinds: ['hole'], seed: 'e2e-shortcuts', size: 256 });
  const img = await generateImage(spec);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-e2e-keys-')), 'hole-shortcuts.png');
  fs.writeFileSync(file, img.png);
  return file;
}

test('shortcuts in Korean input mode: ㅗ (KeyH) toggles the heatmap, ㅏ (KeyK) the camera; ? lists every shortcut in Korean', async ({ console: page }) => {
  test.setTimeout(180_000);
  const file = await defectImageFile();
  await login(page, 'worker1', DEMO_PASSWORD);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByTestId('station')).toBeVisible();
  await page.getByTestId('product-select').selectOption({ label: 'prod1 · 주조 제품 A형' });
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('result')).toBeVisible({ timeout: 60_000 });
  const toggle = page.getByTestId('toggle-overlay');
  const overlay = page.getByTestId('heatmap-overlay');
  await expect(toggle).toBeChecked();
  await expect(overlay).toBeVisible();
  // no control focused (a focused control keeps its own keys)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

  // the heatmap: ㅗ with code KeyH (the Korean IME), then Process/KeyH, then a plain h
  await imeKey(page, 'ㅗ', 'KeyH');
  await expect(toggle).not.toBeChecked();
  await expect(overlay).toBeHidden();
  await imeKey(page, 'Process', 'KeyH');
  await expect(toggle).toBeChecked();
  await expect(overlay).toBeVisible();
  await page.keyboard.press('KeyH');
  await expect(toggle).not.toBeChecked();
  await imeKey(page, 'ㅗ', 'KeyH');
  await expect(toggle).toBeChecked();
  // the mask (ㅡ = KeyM) and the camera (ㅏ = KeyK)
  const mask = page.getByTestId('toggle-mask');
  const maskWas = await mask.isChecked();
  await imeKey(page, 'ㅡ', 'KeyM');
  await expect(mask).toBeChecked({ checked: !maskWas });
  await imeKey(page, 'ㅡ', 'KeyM');
  await expect(mask).toBeChecked({ checked: maskWas });
  await expect(page.getByTestId('camera-toggle')).toHaveAttribute('aria-pressed', 'false');
  await imeKey(page, 'ㅏ', 'KeyK');
  await expect(page.getByTestId('camera-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('camera')).toBeVisible();

  // typing in a text field: the letters are the field's
  await page.getByTestId('action-text').fill('');
  await page.getByTestId('action-text').focus();
  await imeKey(page, 'ㅗ', 'KeyH');
  await page.keyboard.type('h');
  await expect(toggle).toBeChecked();
  await expect(page.getByTestId('action-text')).toHaveValue('h');
  await page.getByTestId('action-text').fill('');
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

  // ? (Shift+/): the overlay, a labelled modal dialog listing every active shortcut in Korean
  await page.keyboard.press('Shift+Slash');
  const dialog = page.getByRole('dialog', { name: ko.title });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  const rows = dialog.locator('[data-testid^="shortcut-row-"]');
  const ids = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('shortcut-row-'.length)))).sort();
  // a worker on the station with a result and the camera on: all but Alt+4 (the admin workspace is not a worker's)
  const expected = ['help', 'nav.cylinders', 'nav.telemetry', 'nav.inspection', 'station.open', 'station.camera', 'station.capture', 'result.heatmap', 'result.mask', 'result.reference', 'result.thresholdDown', 'result.thresholdUp'];
  expect(ids).toEqual([...expected].sort());
  for (const id of ids) await expect(dialog.getByTestId(`shortcut-desc-${id}`)).toHaveText(descOf(id));
  await expect(dialog.getByTestId('shortcut-row-result.heatmap')).toContainText('H');
  await expect(dialog.getByTestId('shortcut-row-result.heatmap')).toContainText('히트맵 켜기/끄기');
  await expect(dialog.getByTestId('shortcut-keys-station.capture')).toHaveText('스페이스바');
  await expect(dialog.getByTestId('shortcut-keys-nav.inspection')).toHaveText('Alt+3');
  for (const g of ['general', 'station', 'result']) await expect(dialog.getByRole('heading', { name: ko.groups[g] })).toBeVisible();
  // keyboard: focus is inside and stays there; shortcuts do not fire behind it; Esc closes
  await expect(dialog.getByTestId('shortcut-help-close')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByTestId('shortcut-help-close')).toBeFocused();
  await imeKey(page, 'ㅗ', 'KeyH');
  await expect(toggle).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // the ? button in the top bar opens it too (44 px target)
  const open = page.getByTestId('shortcut-help-open');
  const box = (await open.boundingBox())!;
  expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(44);
  await open.click();
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('shortcut-help-close').click();
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
  // Alt+2 / Alt+3 switch workspaces (the physical digit, whatever the key says)
  await page.keyboard.press('Alt+Digit2');
  await expect(page).toHaveURL(/#\/telemetry/);
  await imeKey(page, '3', 'Digit3'); // no Alt: nothing
  await expect(page).toHaveURL(/#\/telemetry/);
  await page.keyboard.press('Alt+Digit3');
  await expect(page).toHaveURL(/#\/inspection/);
});
