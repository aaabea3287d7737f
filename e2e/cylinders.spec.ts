/**
 * The Cylinders workspace on the demo station (5 000 cylinders): inventory filters and totals, drill-down into the
 * virtualized list, search, the raw-vs-dashboard detail, the policy editors (exceptions with a bulk paste, default
 * rules with a preview) changing the summary, exports, freshness and resync, and what a viewer may not do.
 * Expected numbers come from the API (hostCall) so the screen is checked against main, not against constants.
 */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, login, TARGET } from './fixtures';
import { DEMO_PASSWORD, hostCall, type StationInfo } from './station';

async function apiAs(info: StationInfo, username: string) {
  const s = await hostCall(info, 'auth.login', { username, password: DEMO_PASSWORD });
  expect(s.ok).toBe(true);
  const sid = s.value.sessionId as string;
  return async (name: string, input: unknown) => {
    const r = await hostCall(info, name, input, sid);
    expect(r.ok, `${name}: ${JSON.stringify(r.error)}`).toBe(true);
    return r.value;
  };
}

/** RFC 4180, enough for the exports (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

async function download(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const p = await d.path();
  return { name: d.suggestedFilename(), bytes: fs.readFileSync(p!) };
}

const totalQty = (page: Page) => page.getByTestId('total-qty');

/** A virtualized list renders the rows in view (plus overscan): all of a short list, at least a screenful of a long one. */
async function expectRendered(list: ReturnType<Page['getByTestId']>, n: number) {
  if (n <= 8) await expect(list.getByTestId('list-no')).toHaveCount(n);
  else await expect.poll(() => list.getByTestId('list-no').count()).toBeGreaterThanOrEqual(8);
}

test('cylinders: filter the inventory, drill down, sort, search, detail with raw and dashboard values; a viewer has no editor controls', async ({ console: page, info }) => {
  const api = await apiAs(info, 'viewer1');
  await login(page, 'viewer1', DEMO_PASSWORD);
  await expect(page).toHaveURL(/#\/cylinders$/);
  await expect(totalQty(page)).toHaveAttribute('data-value', '5000');
  // freshness strip (design §8)
  await expect(page.getByTestId('fresh-total')).toHaveText('5,000');
  const fresh = await api('cylinders.freshness', {});
  await expect(page.getByTestId('freshness').locator('[data-testid^=fresh-eu-]')).toHaveCount(fresh.byEnduser.length);
  await expect(page.getByTestId('fresh-source')).not.toContainText('⚠');

  // filter by gas, then capacity and "available only": the totals follow main's
  const cf4 = await api('cylinders.summary', { gas: ['CF4'] });
  await page.getByTestId('filter-gas').selectOption('CF4');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(cf4.totals.qty));
  await expect(page.getByTestId('total-rows')).toHaveAttribute('data-value', String(cf4.totals.rows));
  expect(cf4.totals.qty).toBeLessThan(5000);
  await expect(page).toHaveURL(/gas=CF4/);
  const cf4440 = await api('cylinders.summary', { gas: ['CF4'], capacity: ['440'], availableOnly: true });
  await page.getByTestId('filter-capacity').selectOption('440');
  await page.getByTestId('filter-available').check();
  await expect(totalQty(page)).toHaveAttribute('data-value', String(cf4440.totals.qty));
  await expect(page.getByTestId('total-available')).toHaveAttribute('data-value', String(cf4440.totals.qty));
  // a status chip narrows to one status
  const stock = await api('cylinders.summary', { gas: ['CF4'], capacity: ['440'], availableOnly: true, status: ['보관'] });
  await page.getByTestId('filter-status-보관').click();
  await expect(page.getByTestId('filter-status-보관')).toHaveAttribute('aria-pressed', 'true');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(stock.totals.qty));

  // drill down: the first summary row's quantity is the number of cylinders behind it
  const summary = page.getByTestId('summary-table');
  const first = summary.locator('[role=row][aria-rowindex="2"]');
  await expect(first).toContainText('CF4');
  await expect(first).toContainText('보관');
  const qty = Number(await first.getByTestId('sum-qty').innerText());
  expect(qty).toBe(stock.rows[0].qty);
  await first.click();
  await expect(page).toHaveURL(/#\/cylinders\/list\?.*type=[0-9a-f]{32}/);
  await expect(page.getByTestId('list-total')).toHaveAttribute('data-value', String(qty));
  const list = page.getByTestId('cylinder-list');
  await expectRendered(list, qty);
  await expect(list.getByTestId('list-no').first()).toHaveText(/^CF\d+$/);
  await expect(page.getByTestId('filter-type')).toContainText('CF4');
  await page.getByTestId('back-to-summary').click();
  await expect(page).toHaveURL(/#\/cylinders\?/);
  await expect(totalQty(page)).toHaveAttribute('data-value', String(stock.totals.qty));

  // the whole list: paged loading down to the last row, sorting by cylinder number
  await page.getByTestId('tab-list').click();
  await expect(page.getByTestId('list-total')).toHaveAttribute('data-value', '5000');
  const asc = await api('cylinders.list', { sort: 'cylinderNo', dir: 'desc', limit: 1 });
  await list.locator('.vtable-body').focus();
  await page.keyboard.press('End');
  await expect(list.locator('[aria-rowindex="5001"]')).toContainText(asc.rows[0].cylinderNo);
  await list.getByRole('button', { name: /용기번호/ }).click(); // ▲ → ▼
  await expect(list.locator('[role=columnheader][aria-sort=descending]')).toContainText('용기번호');
  await expect(list.locator('[aria-rowindex="2"]').getByTestId('list-no')).toHaveText(asc.rows[0].cylinderNo);

  // search by cylinder-number prefix
  const found = await api('cylinders.list', { search: 'CF00001' });
  await page.getByTestId('list-search').fill('CF00001');
  await expect(page.getByTestId('list-total')).toHaveAttribute('data-value', String(found.total));
  await expectRendered(list, found.total);
  await page.getByTestId('list-search').fill('NOPE');
  await expect(page.getByTestId('list-empty')).toBeVisible();

  // detail: an excepted cylinder (the design's "29 cylinders delivered to LGD only")
  const exc = (await api('cylinders.exceptions.list', { activeOnly: true })).find((e: { enduser: string }) => e.enduser === 'LGD');
  await page.getByTestId('list-search').fill(exc.cylinderNo);
  await page.getByTestId('list-search').press('Enter');
  const detail = page.getByTestId('detail');
  await expect(detail.getByRole('heading', { name: exc.cylinderNo })).toBeVisible();
  await expect(detail.getByTestId('detail-source')).toHaveText('예외');
  await expect(detail.getByTestId('dash-enduser')).toHaveText('LGD');
  await expect(detail.getByTestId('why-enduser')).toContainText(`이 용기의 예외 #${exc.id} → LGD`);
  await expect(detail.getByTestId('detail-fields').locator('tbody tr')).toHaveCount(8);
  await expect(detail.getByTestId('detail-sync')).toHaveText('스냅샷이 규칙과 일치');
  // a grouped valve: FCMS name beside the group's primary valve, with the mapping that decided it
  const grouped = await api('cylinders.list', { valve: ['COS_CGA330'], limit: 50 });
  let hamai: string | null = null;
  for (const r of grouped.rows) {
    const d = await api('cylinders.detail', { cylinderNo: r.cylinderNo });
    if (d.fields.find((f: { field: string; differs: boolean }) => f.field === 'valve').differs) {
      hamai = r.cylinderNo;
      break;
    }
  }
  expect(hamai).not.toBeNull();
  await page.getByTestId('list-search').fill(hamai!);
  await page.getByTestId('list-search').press('Enter');
  await expect(detail.getByRole('heading', { name: hamai! })).toBeVisible();
  await expect(detail.locator('tr[data-field=valve]')).toHaveAttribute('data-differs', 'true');
  await expect(detail.getByTestId('raw-valve')).toHaveText('SUS general Y CGA330 Y HAMAI');
  await expect(detail.getByTestId('dash-valve')).toHaveText('SUS general Y CGA330 Y NERIKI');
  await expect(detail.getByTestId('why-valve')).toContainText('밸브 그룹 COS_CGA330');
  await page.keyboard.press('Escape');
  await expect(detail).toHaveCount(0);

  // a viewer sees no editor controls …
  await expect(page.getByTestId('read-only')).toBeVisible();
  await expect(page.getByTestId('resync')).toHaveCount(0);
  await page.getByTestId('tab-defaults').click();
  await expect(page.getByTestId('rules-table').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('rule-new')).toHaveCount(0);
  await expect(page.getByTestId('rules-table').locator('button')).toHaveCount(0);
  await page.getByTestId('tab-exceptions').click();
  await expect(page.getByTestId('exceptions-table')).toBeVisible();
  await expect(page.getByTestId('exception-new')).toHaveCount(0);
  await expect(page.getByTestId('exceptions-table').locator('button, input')).toHaveCount(0);
  await page.getByTestId('tab-valves').click();
  await expect(page.getByTestId('group-COS_CGA330')).toBeVisible();
  await expect(page.getByTestId('group-new')).toHaveCount(0);
  await expect(page.getByTestId('group-COS_CGA330').locator('button, select')).toHaveCount(0);
  // … and main refuses a viewer's changes anyway
  const s = await hostCall(info, 'auth.login', { username: 'viewer1', password: DEMO_PASSWORD });
  for (const [name, input] of [
    ['cylinders.defaults.save', { gasName: 'Ar', defaultEnduser: 'SKH' }],
    ['cylinders.exceptions.save', { cylinderNos: [exc.cylinderNo], enduser: 'SKH' }],
    ['cylinders.valveGroups.save', { groupName: 'X' }],
    ['cylinders.sync', {}],
  ] as const) {
    const r = await hostCall(info, name, input, s.value.sessionId);
    expect(r, name).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  }
});

test('cylinders: a manager adds exceptions (unknown numbers refused) and a default rule with a preview, and the summary follows; resync', async ({ console: page, info }) => {
  const api = await apiAs(info, 'manager1');
  await login(page, 'manager1', DEMO_PASSWORD);
  await expect(totalQty(page)).toHaveAttribute('data-value', '5000');

  // three He cylinders that fall back to SDC today (He has no default rule and no exception)
  const he = await api('cylinders.list', { gas: ['He'], enduser: ['SDC'], limit: 3 });
  const nos: string[] = he.rows.map((r: { cylinderNo: string }) => r.cylinderNo);
  expect(nos).toHaveLength(3);
  const heLgd = (await api('cylinders.summary', { gas: ['He'], enduser: ['LGD'] })).totals.qty;
  const heSdc = (await api('cylinders.summary', { gas: ['He'], enduser: ['SDC'] })).totals.qty;
  await page.getByTestId('filter-gas').selectOption('He');
  await page.getByTestId('filter-enduser').selectOption('SDC');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(heSdc));

  // a bulk paste with an unknown number is refused as a whole, and the number is listed
  await page.getByTestId('tab-exceptions').click();
  await page.getByTestId('exception-new').click();
  await page.getByTestId('exception-paste').fill([...nos, 'NOPE-0001'].join('\n'));
  await expect(page.getByTestId('exception-count')).toHaveAttribute('data-count', '4');
  await page.getByTestId('exception-enduser').fill('LGD');
  await page.getByTestId('exception-reason').fill('e2e: LGD 납품 전용');
  await page.getByTestId('exception-save').click();
  const err = page.getByTestId('policy-error');
  await expect(err).toBeVisible();
  await expect(err.getByTestId('error-unknown')).toContainText('NOPE-0001');
  await expect(err.getByTestId('error-unknown')).not.toContainText(nos[0]);
  expect(await api('cylinders.exceptions.list', { search: nos[0] })).toEqual([]);

  // without it the batch is saved, with its effect: 3 cylinders SDC → LGD
  await page.getByTestId('exception-paste').fill(nos.join(', '));
  await page.getByTestId('exception-save').click();
  const flash = page.getByTestId('flash');
  await expect(flash.getByTestId('effect')).toHaveAttribute('data-changed', '3');
  await expect(flash).toContainText('SDC → LGD: 3');
  await expect(page.getByTestId(`exc-${nos[0]}`)).toContainText('LGD');
  await expect(page.getByTestId('exception-form')).toHaveCount(0);

  // the summary follows
  await page.getByTestId('tab-inventory').click();
  await page.getByTestId('filter-gas').selectOption('He');
  await page.getByTestId('filter-enduser').selectOption('SDC');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(heSdc - 3));
  await page.getByTestId('filter-enduser').selectOption('LGD');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(heLgd + 3));

  // a default rule: Ar (no rule yet: all SDC) → SKH, previewed before it can be saved
  const ar = (await api('cylinders.summary', { gas: ['Ar'] })).totals.qty;
  await page.getByTestId('tab-defaults').click();
  await page.getByTestId('rule-new').click();
  await expect(page.getByTestId('rule-save')).toBeDisabled();
  await page.getByTestId('rule-gas').selectOption('Ar');
  await page.getByTestId('rule-enduser').fill('SKH');
  const preview = page.getByTestId('preview-effect');
  await expect(preview).toHaveAttribute('data-changed', String(ar));
  await expect(preview).toContainText(`SDC → SKH: ${ar.toLocaleString('en-US')}`);
  await expect(page.getByTestId('rule-save')).toBeEnabled();
  await page.getByTestId('rule-save').click();
  await expect(page.getByTestId('flash')).toContainText(`${ar.toLocaleString('en-US')}병 변경`);
  const rules = await api('cylinders.defaults.list', {});
  const arRule = rules.find((r: { gasName: string }) => r.gasName === 'Ar');
  expect(arRule).toMatchObject({ defaultEnduser: 'SKH', capacity: null, valveSpecCode: null, cylinderSpecCode: null, decides: ar });
  // capacity, valve and cylinder spec left open: each says 전체 (any)
  const arRow = page.getByTestId(`rule-${arRule.id}`).locator('td');
  for (const col of [2, 3, 4]) await expect(arRow.nth(col)).toHaveText('전체');

  // the same rule again is refused, naming the rule that exists
  await page.getByTestId('rule-new').click();
  await page.getByTestId('rule-gas').selectOption('Ar');
  await page.getByTestId('rule-enduser').fill('SEC');
  await expect(page.getByTestId('rule-preview').getByTestId('policy-error')).toHaveAttribute('data-kind', 'conflict');
  await expect(page.getByTestId('rule-preview')).toContainText(`#${arRule.id} → SKH`);
  await expect(page.getByTestId('rule-save')).toBeDisabled();
  await page.getByTestId('edit-existing').click();
  await expect(page.getByTestId('rule-form')).toContainText(`#${arRule.id}`);
  await expect(page.getByTestId('rule-enduser')).toHaveValue('SKH');
  await page.getByTestId('rule-form').getByRole('button', { name: '취소' }).click();

  await page.getByTestId('tab-inventory').click();
  await page.getByTestId('filter-gas').selectOption('Ar');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(ar));
  await page.getByTestId('filter-enduser').selectOption('SKH');
  await expect(totalQty(page)).toHaveAttribute('data-value', String(ar));
  await expect(page.getByTestId('fresh-eu-SKH')).toBeVisible();

  // every change is in the audit log
  const audit = await api('admin.audit.list', { action: 'cylinders.', limit: 20 });
  const actions = audit.rows.map((r: { action: string }) => r.action);
  expect(actions).toContain('cylinders.exception.create');
  expect(actions).toContain('cylinders.default.create');

  // full resync (a job with progress events): nothing to repair
  await page.getByTestId('resync').click();
  await expect(page.getByTestId('resync-status')).toHaveAttribute('data-state', 'completed', { timeout: 30_000 });
  await expect(page.getByTestId('resync-status')).toContainText('5,000병 계산, 0행 변경');
});

test('cylinders: CSV and XLSX exports of the summary and of the list on screen', async ({ console: page, info }) => {
  test.skip(TARGET === 'electron', 'Electron saves a download through its own save dialog; the browser download is checked in Chromium');
  const api = await apiAs(info, 'viewer1');
  await login(page, 'viewer1', DEMO_PASSWORD);
  const nf3 = await api('cylinders.summary', { gas: ['NF3'] });
  await page.getByTestId('filter-gas').selectOption('NF3');
  await expect(page.getByTestId('total-rows')).toHaveAttribute('data-value', String(nf3.totals.rows));

  const csv = await download(page, 'export-summary-csv');
  expect(csv.name).toMatch(/^cylinders-summary-\d{14}\.csv$/);
  expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const rows = parseCsv(csv.bytes.toString('utf8').slice(1));
  expect(rows[0].slice(0, 3)).toEqual(['가스 (Gas)', '용량 (Capacity)', '밸브 (Valve)']);
  expect(rows).toHaveLength(nf3.totals.rows + 1);
  expect(new Set(rows.slice(1).map((r) => r[0]))).toEqual(new Set(['NF3']));
  const qtyCol = rows[0].indexOf('수량 (Qty)');
  expect(rows.slice(1).reduce((s, r) => s + Number(r[qtyCol]), 0)).toBe(nf3.totals.qty);
  await expect(page.getByTestId('export-done')).toContainText(`${nf3.totals.rows.toLocaleString('en-US')}행`);

  const xlsx = await download(page, 'export-summary-xlsx');
  expect(xlsx.name).toMatch(/\.xlsx$/);
  expect(xlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');

  // sorted on screen by quantity, descending: the export has the screen's order
  const qtyHeader = page.getByRole('columnheader', { name: /^수량/ });
  await qtyHeader.getByRole('button').click();
  await expect(qtyHeader).toHaveAttribute('aria-sort', 'ascending');
  await qtyHeader.getByRole('button').click();
  await expect(qtyHeader).toHaveAttribute('aria-sort', 'descending');
  const sortedCsv = parseCsv((await download(page, 'export-summary-csv')).bytes.toString('utf8').slice(1)).slice(1);
  const sortedQty = sortedCsv.map((r) => Number(r[qtyCol]));
  expect(sortedQty).toEqual([...sortedQty].sort((a, b) => b - a));
  const onScreen = (await page.getByTestId('sum-qty').allTextContents()).map((x) => Number(x.replace(/,/g, '')));
  expect(onScreen.length).toBeGreaterThan(0);
  expect(sortedQty.slice(0, onScreen.length)).toEqual(onScreen);

  // the list with its filters, search and sort
  await page.getByTestId('tab-list').click();
  await page.getByTestId('filter-gas').selectOption('NF3');
  await page.getByTestId('list-search').fill('NF0001');
  const nf = await api('cylinders.list', { gas: ['NF3'], search: 'NF0001' });
  await expect(page.getByTestId('list-total')).toHaveAttribute('data-value', String(nf.total));
  const listCsv = await download(page, 'export-list-csv');
  expect(listCsv.name).toMatch(/^cylinders-list-\d{14}\.csv$/);
  const lrows = parseCsv(listCsv.bytes.toString('utf8').slice(1));
  expect(lrows[0][0]).toBe('용기번호 (Cylinder no)');
  expect(lrows).toHaveLength(nf.total + 1);
  expect(lrows.slice(1).every((r) => r[0].startsWith('NF0001') && r[1] === 'NF3')).toBe(true);
  const listXlsx = await download(page, 'export-list-xlsx');
  expect(listXlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
});
