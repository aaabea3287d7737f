/**
 * One set of specs, two targets: Chromium through the browser host (here and in CI), or the Electron app
 * (`npm run test:electron`, where the binary exists). Specs use `test` and `expect` from this file.
 */
import { test as base, expect, _electron, chromium, type Page, type Browser } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN, hostCall, startStation, type RunningStation, type StationInfo } from './station';

export const TARGET = process.env.LINEDECK_E2E_TARGET === 'electron' ? 'electron' : 'chromium';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

interface WorkerFixtures {
  station: RunningStation;
  browserInstance: Browser | null;
}
interface TestFixtures {
  /** the console page, opened and ready (not logged in) */
  console: Page;
  info: StationInfo;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  station: [
    async ({}, use) => {
      const st = await startStation();
      // the demo seed leaves the admin to the first-run setup; create it over the API so specs can log in as admin
      const status = await hostCall(st.info, 'auth.status', {});
      if (status.value?.needsSetup) await hostCall(st.info, 'auth.setup', { ...ADMIN, setupCode: status.value.setupCode });
      await use(st);
      await st.stop();
    },
    { scope: 'worker', timeout: 300_000 },
  ],
  browserInstance: [
    async ({}, use) => {
      if (TARGET === 'electron') return use(null);
      const b = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
      await use(b);
      await b.close();
    },
    { scope: 'worker' },
  ],
  info: async ({ station }, use) => use(station.info),
  console: async ({ station, browserInstance }, use) => {
    if (TARGET === 'electron') {
      const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-electron-'));
      const app = await _electron.launch({ args: ['.'], cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), env: { ...process.env, LINEDECK_HOME: station.info.home, LINEDECK_DATABASE_URL: station.info.databaseUrl ?? '' } as Record<string, string> });
      const page = await app.firstWindow();
      await use(page);
      await app.close();
      fs.rmSync(userData, { recursive: true, force: true });
      return;
    }
    const context = await browserInstance!.newContext({ locale: 'ko-KR', timezoneId: 'Asia/Seoul', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(station.info.openUrl);
    await use(page);
    await context.close();
  },
});
export { expect };

export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await expect(page.getByTestId('user')).toBeVisible();
}
