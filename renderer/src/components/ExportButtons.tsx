/** CSV and XLSX export of the rows a table shows (issue #19 "Habits"): one pair of buttons for every such table. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { exportFileName, saveFile, toCsv, toXlsx, type ExportColumn } from '../lib/download';
import '../app/habits.css';

export type { ExportColumn };

export function ExportButtons<R>({ name, columns, rows, testId }: { name: string; columns: readonly ExportColumn<R>[]; rows: readonly R[]; testId?: string }) {
  const { t } = useTranslation('habits');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const csv = () => saveFile(new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }), exportFileName(name, 'csv'));
  const xlsx = async () => {
    setBusy(true);
    setFailed(false);
    try {
      const bytes = await toXlsx(columns, rows, name);
      saveFile(new Blob([bytes as BlobPart], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), exportFileName(name, 'xlsx'));
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="habit-buttons" role="group" aria-label={`${name} ${t('export.group')}`} data-testid={testId}>
      <button type="button" className="btn habit-btn" onClick={csv} disabled={rows.length === 0} title={t('export.csvTitle', { name })} data-testid={testId ? `${testId}-csv` : undefined}>
        {t('export.csv')}
      </button>
      <button type="button" className="btn habit-btn" onClick={() => void xlsx()} disabled={rows.length === 0 || busy} title={t('export.xlsxTitle', { name })} data-testid={testId ? `${testId}-xlsx` : undefined}>
        {t('export.xlsx')}
      </button>
      {failed ? <span role="alert" className="muted">{t('export.failed')}</span> : null}
    </span>
  );
}
