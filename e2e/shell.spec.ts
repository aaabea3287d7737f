import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, expect, login, TARGET, CHROMIUM_ARGS } from './fixtures';
import { chromium } from '@playwright/test';
import { ADMIN, DEMO_PASSWORD, hostCall, startStation } from './station';

const SHOTS = process.env.LINEDECK_SCREENSHOTS ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;

test('a production first run has no users and asks for the administrator and the setup code', async () => {
  test.skip(TARGET === 'electron', 'the Electron target shares the worker station');
  const st = await startStation({ demo: false, background: false });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(st.info.openUrl);
    await expect(page.getByRole('heading', { name: '첫 관리자 계정 만들기' })).toBeVisible();
    await page.locator('input[name=email]').fill('boss@plant.example');
    await page.locator('input[name=password]').fill('short');
    await page.locator('input[name=confirm]').fill('short');
    await page.locator('button[type=submit]').click();
    // the form refuses a short password before sending, and main refuses it too
    await expect(page.locator('input[name=password]:invalid')).toHaveCount(1);
    const short = await hostCall(st.info, 'auth.setup', { username: 'admin', email: 'boss@plant.example', password: 'short' });
    expect(short).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(short.error?.message).toContain('at least 10 characters');
    await page.locator('input[name=password]').fill('a-long-password');
    await page.locator('input[name=confirm]').fill('a-long-password');
    // no DEMO badge, and the code is not on the screen: a wrong one is refused
    await expect(page.getByTestId('demo-badge')).toHaveCount(0);
    await expect(page.locator('input[name=setupCode]')).toHaveValue('');
    await page.locator('input[name=setupCode]').fill('AAAA-BBBB-CCCC');
    await page.locator('button[type=submit]').click();
    await expect(page.getByRole('alert')).toContainText('setup code');
    // the code the machine's administrator reads (linedeck setup-code; the file in LINEDECK_HOME)
    await page.locator('input[name=setupCode]').fill(fs.readFileSync(path.join(st.info.home, 'setup-code'), 'utf8').trim());
    await page.locator('button[type=submit]').click();
    await expect(page.getByTestId('user')).toContainText('관리자');
    // a second setup is refused once an admin exists
    const again = await hostCall(st.info, 'auth.setup', { username: 'intruder', email: 'x@y.zz', password: 'whatever-long' });
    expect(again.ok).toBe(false);
    expect(again.error?.kind).toBe('conflict');
  } finally {
    await browser.close();
    await st.stop();
  }
});

test('admin logs in, visits every workspace, switches language and theme, logs out', async ({ console: page }) => {
  await expect(page.getByRole('button', { name: '로그인' })).toBeVisible();
  // the e2e station runs the demo: the login screen and every screen say so
  await expect(page.getByTestId('demo-badge')).toHaveText('데모');
  await login(page, ADMIN.username, ADMIN.password);
  await expect(page.getByTestId('demo-badge')).toBeVisible();
  // the nav's name follows the language (작업 공간 / Workspaces)
  const nav = page.getByRole('navigation', { name: /^(작업 공간|Workspaces)$/ });
  for (const name of ['실린더', '텔레메트리', '검사', '관리']) {
    await nav.getByRole('link', { name }).click();
    await expect(page.locator('main h1').first()).toBeVisible();
  }
  await expect(page.getByRole('table', { name: '사용자' })).toContainText('worker1');
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'shell-admin-ko.png') });

  await page.getByTestId('lang-switch').click();
  await expect(nav.getByRole('link', { name: 'Cylinders' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Admin' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByTestId('theme-switch').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'shell-admin-en-dark.png') });
  await page.getByTestId('theme-switch').click();
  await page.getByTestId('lang-switch').click();
  await expect(nav.getByRole('link', { name: '실린더' })).toBeVisible();

  await page.getByTestId('logout').click();
  await expect(page.getByRole('button', { name: '로그인' })).toBeVisible();
});

test('wrong password is refused with a clear message', async ({ console: page }) => {
  await page.locator('input[name=username]').fill('worker1');
  await page.locator('input[name=password]').fill('not-the-password');
  await page.locator('button[type=submit]').click();
  await expect(page.getByRole('alert')).toContainText('wrong user name or password');
});

test('a worker sees no Admin workspace, and main refuses calls without a session or with too low a role', async ({ console: page, info }) => {
  await login(page, 'worker1', DEMO_PASSWORD);
  // the nav's name follows the language (작업 공간 / Workspaces)
  const nav = page.getByRole('navigation', { name: /^(작업 공간|Workspaces)$/ });
  await expect(nav.getByRole('link', { name: '검사' })).toBeVisible();
  await expect(nav.getByRole('link', { name: '관리' })).toHaveCount(0);

  const anonymous = await hostCall(info, 'admin.users.list', {});
  expect(anonymous).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
  const worker = await hostCall(info, 'auth.login', { username: 'worker1', password: DEMO_PASSWORD });
  expect(worker.ok).toBe(true);
  const forbidden = await hostCall(info, 'admin.users.list', {}, worker.value.sessionId);
  expect(forbidden).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  const bad = await hostCall(info, 'admin.users.update', { userId: 'one' }, worker.value.sessionId);
  expect(bad.error?.kind).toBe('forbidden');
  // the token guards the host itself
  const noToken = await fetch(`${info.url}/api/call/auth.status`, { method: 'POST', body: '{}' });
  expect(noToken.status).toBe(401);
  const otherOrigin = await fetch(`${info.url}/api/call/auth.status`, { method: 'POST', body: '{}', headers: { origin: 'http://evil.example', authorization: `Bearer ${info.token}` } });
  expect(otherOrigin.status).toBe(403);
});
