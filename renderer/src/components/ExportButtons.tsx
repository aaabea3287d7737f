/**
 * CSV and XLSX export of a table (issue #19 "Habits"): one pair of buttons for every such table. A table that shows
 * one page of a longer list passes `fetchRows`: the export then holds every row matching the table's filters
 * (lib/exportAll.ts), with progress while the pages come in and a clear refusal past EXPORT_MAX_ROWS.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { exportFileName, saveFile, toCsv, toXlsx, type ExportColumn } from '../lib/download';
import { ExportTooLarge } from '../lib/exportAll';
import '../app/habits.css';

export type { ExportColumn };

/** gets every row to export, saying how far it got (rows so far, rows in all) */
export type FetchRows<R> = (onProgress: (done: number, total: number) => void) => Promise<readonly R[]>;

export function ExportButtons<R>({
  name,
  columns,
  rows,
  fetchRows,
  testId,
}: {
  name: string;
  columns: readonly ExportColumn<R>[];
  /** the rows on screen: exported as they are, or (with fetchRows) only telling whether there is anything to export */
  rows: readonly R[];
  fetchRows?: FetchRows<R>;
  testId?: string;
}) {
  const { t, i18n } = useTranslation('habits');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [message, setMessage] = useState<{ text: string; alert: boolean } | null>(null);
  const fmt = (n: number) => n.toLocaleString(i18n.language);

  const run = async (kind: 'csv' | 'xlsx') => {
    setBusy(true);
    setMessage(null);
    setProgress(null);
    try {
      const all = fetchRows ? await fetchRows((done, total) => setProgress({ done, total })) : rows;
      if (kind === 'csv') saveFile(new Blob([toCsv(columns, all)], { type: 'text/csv;charset=utf-8' }), exportFileName(name, 'csv'));
      else {
        const bytes = await toXlsx(columns, all, name);
        saveFile(new Blob([bytes as BlobPart], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), exportFileName(name, 'xlsx'));
      }
      if (fetchRows) setMessage({ text: t('export.done', { n: fmt(all.length) }), alert: false });
    } catch (e) {
      setMessage({ text: e instanceof ExportTooLarge ? t('export.tooLarge', { total: fmt(e.total), max: fmt(e.max) }) : t('export.failed'), alert: true });
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };
  return (
    <span className="habit-buttons" role="group" aria-label={`${name} ${t('export.group')}`} data-testid={testId} aria-busy={busy}>
      <button type="button" className="btn habit-btn" onClick={() => void run('csv')} disabled={rows.length === 0 || busy} title={t('export.csvTitle', { name })} data-testid={testId ? `${testId}-csv` : undefined}>
        {t('export.csv')}
      </button>
      <button type="button" className="btn habit-btn" onClick={() => void run('xlsx')} disabled={rows.length === 0 || busy} title={t('export.xlsxTitle', { name })} data-testid={testId ? `${testId}-xlsx` : undefined}>
        {t('export.xlsx')}
      </button>
      {busy && fetchRows ? (
        <span role="status" className="muted" data-testid={testId ? `${testId}-progress` : undefined}>
          {progress ? t('export.progress', { done: fmt(progress.done), total: fmt(progress.total) }) : t('export.starting')}
        </span>
      ) : null}
      {message ? (
        <span role={message.alert ? 'alert' : 'status'} className="muted" data-testid={testId ? `${testId}-message` : undefined}>
          {message.text}
        </span>
      ) : null}
    </span>
  );
}
