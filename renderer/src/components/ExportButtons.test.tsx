// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { initI18n } from '../app/i18n';
import { ExportTooLarge, fetchAllRows } from '../lib/exportAll';
import { ExportButtons, type FetchRows } from './ExportButtons';

type Row = { id: number; who: string };
const columns = [
  { header: 'ID', value: (r: Row) => r.id },
  { header: '사용자', value: (r: Row) => r.who },
];

describe('ExportButtons with every row behind the page', () => {
  let saved: Blob[];
  beforeEach(() => {
    saved = [];
    URL.createObjectURL = vi.fn((b: Blob) => (saved.push(b), 'blob:export'));
    URL.revokeObjectURL = vi.fn();
    HTMLAnchorElement.prototype.click = vi.fn();
  });
  afterEach(cleanup);

  it('fetches all pages with progress in Korean, then saves every row and says how many', async () => {
    initI18n('ko');
    const all: Row[] = Array.from({ length: 2500 }, (_, i) => ({ id: i + 1, who: `u${i}` }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fetchRows: FetchRows<Row> = (onProgress) =>
      fetchAllRows(
        async (offset, limit) => {
          if (offset === 1000) await gate; // hold the second page so the progress can be read
          return { rows: all.slice(offset, offset + limit), total: all.length };
        },
        { key: (r) => r.id, onProgress },
      );
    render(<ExportButtons name="감사 기록" columns={columns} rows={all.slice(0, 100)} fetchRows={fetchRows} testId="x" />);
    fireEvent.click(screen.getByTestId('x-csv'));
    expect(await screen.findByText('내보내는 중… 1,000 / 2,500행')).toBeTruthy();
    expect((screen.getByTestId('x-csv') as HTMLButtonElement).disabled).toBe(true);
    await act(async () => release());
    expect((await screen.findByTestId('x-message')).textContent).toBe('2,500행을 내보냈습니다');
    expect(screen.queryByTestId('x-progress')).toBeNull();
    const csv = await saved[0].text();
    expect(csv.trim().split(/\r?\n/)).toHaveLength(2501); // header + every row, not the 100 on screen
  });

  it('refuses past the cap with a clear message, in Korean and in English', async () => {
    initI18n('ko');
    const tooMany: FetchRows<Row> = async () => {
      throw new ExportTooLarge(123_456, 100_000);
    };
    render(<ExportButtons name="검사 이력" columns={columns} rows={[{ id: 1, who: 'a' }]} fetchRows={tooMany} testId="y" />);
    fireEvent.click(screen.getByTestId('y-xlsx'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('조건에 맞는 행이 123,456개로, 한 번에 내보낼 수 있는 100,000행을 넘습니다. 필터로 범위를 좁혀 주세요.');
    expect(saved).toHaveLength(0);
    cleanup();
    initI18n('en');
    render(<ExportButtons name="History" columns={columns} rows={[{ id: 1, who: 'a' }]} fetchRows={tooMany} testId="y" />);
    fireEvent.click(screen.getByTestId('y-csv'));
    expect((await screen.findByRole('alert')).textContent).toBe('123,456 rows match, more than the 100,000 one export can hold. Narrow the filters and try again.');
  });
});
