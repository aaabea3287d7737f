/**
 * Files a supervisor takes away (issue #19 "Habits"): CSV (UTF-8 with a BOM, so Excel on a Korean Windows reads
 * Hangul), XLSX (ExcelJS, loaded only when asked for) and chart PNGs, named with what they are and Seoul time.
 * Built in the renderer from the rows the table shows.
 */
import { plantFileStamp } from './time';

export interface ExportColumn<R> {
  /** the header as the table shows it (Korean when the UI is) */
  header: string;
  value: (row: R) => string | number | null | undefined;
}

/** A file name from a human name: spaces to _, nothing a file system refuses; then _YYYYMMDD-HHmm (Seoul) and ext. */
export function exportFileName(name: string, ext: string, now: number = Date.now()): string {
  const base = name.trim().replace(/[\\/:*?"<>|\r\n\t]+/g, '').replace(/\s+/g, '_') || 'linedeck';
  return `${base}_${plantFileStamp(now)}.${ext}`;
}

function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // quote when needed; a leading = + - @ would be read as a formula by spreadsheets: prefix with '
  const formula = /^[=@]/.test(s) || (/^[+-]/.test(s) && Number.isNaN(Number(s)));
  const safe = formula ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV text: a UTF-8 BOM, the headers, one line a row, CRLF line ends. */
export function toCsv<R>(columns: readonly ExportColumn<R>[], rows: readonly R[]): string {
  const lines = [columns.map((c) => csvField(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(c.value(r))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** XLSX bytes: one sheet, bold frozen header row, columns sized to their text. */
export async function toXlsx<R>(columns: readonly ExportColumn<R>[], rows: readonly R[], sheetName: string): Promise<Uint8Array> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'LineDeck';
  const ws = wb.addWorksheet(sheetName.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31) || 'Sheet1', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.addRow(columns.map((c) => c.header)).font = { bold: true };
  for (const r of rows) ws.addRow(columns.map((c) => c.value(r) ?? null));
  ws.columns.forEach((col, i) => {
    const widest = Math.max(columns[i].header.length * 2, ...rows.slice(0, 500).map((r) => String(columns[i].value(r) ?? '').length));
    col.width = Math.min(60, Math.max(8, widest + 2));
  });
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** Hand a blob or data URL to the browser as a download. */
export function saveFile(data: Blob | string, fileName: string): void {
  const url = typeof data === 'string' ? data : URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (typeof data !== 'string') setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
