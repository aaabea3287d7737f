/** CSV and XLSX exports of the inventory summary and list (the rows the screen shows, with its filters). */
import ExcelJS from 'exceljs';
import type { CylinderRow, SummaryRow } from './types';

export interface Column<T> {
  key: keyof T & string;
  header: string;
  /** numbers stay numbers in XLSX; everything else is text (capacity included: 47.0 stays 47.0) */
  numeric?: boolean;
  width?: number;
}

export const SUMMARY_COLUMNS: Column<SummaryRow>[] = [
  { key: 'gasName', header: '가스 (Gas)', width: 12 },
  { key: 'capacity', header: '용량 (Capacity)', width: 10 },
  { key: 'valveSpec', header: '밸브 (Valve)', width: 32 },
  { key: 'cylinderSpec', header: '용기 사양 (Cylinder spec)', width: 24 },
  { key: 'enduser', header: 'EndUser', width: 10 },
  { key: 'status', header: '상태 (Status)', width: 10 },
  { key: 'location', header: '위치 (Location)', width: 22 },
  { key: 'qty', header: '수량 (Qty)', numeric: true, width: 10 },
  { key: 'availableQty', header: '가용 (Available)', numeric: true, width: 12 },
  { key: 'cylinderTypeKey', header: 'cylinder_type_key', width: 34 },
];

export const LIST_COLUMNS: Column<CylinderRow>[] = [
  { key: 'cylinderNo', header: '용기번호 (Cylinder no)', width: 14 },
  { key: 'gasName', header: '가스 (Gas)', width: 12 },
  { key: 'capacity', header: '용량 (Capacity)', width: 10 },
  { key: 'valveSpec', header: '밸브 (Valve)', width: 32 },
  { key: 'valveSpecName', header: '밸브명 (Valve name)', width: 32 },
  { key: 'cylinderSpec', header: '용기 사양 (Cylinder spec)', width: 24 },
  { key: 'enduser', header: 'EndUser', width: 10 },
  { key: 'status', header: '상태 (Status)', width: 10 },
  { key: 'conditionCode', header: 'Condition code', width: 10 },
  { key: 'location', header: '위치 (Location)', width: 22 },
  { key: 'usagePlace', header: 'Usage place', width: 12 },
  { key: 'moveDate', header: 'Move date (UTC)', width: 24 },
  { key: 'lastEventAt', header: 'Last event (UTC)', width: 24 },
  { key: 'cylinderTypeKey', header: 'cylinder_type_key', width: 34 },
];

/** A cell a spreadsheet would run as a formula (=, +, @, tab, CR, or a '-' that is not a number) gets a leading '. */
function neutralize(s: string): string {
  if (/^[=+@\t\r]/.test(s) || (/^-/.test(s) && !/^-\d+(\.\d+)?$/.test(s))) return `'${s}`;
  return s;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? neutralize(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with CRLF line ends and a UTF-8 BOM (Excel then reads Korean correctly). */
export function toCsv<T>(columns: Column<T>[], rows: T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c.key])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** One worksheet, bold frozen header, auto-filter; returns the file's bytes. */
export async function toXlsx<T>(sheetName: string, columns: Column<T>[], rows: T[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'LineDeck';
  wb.created = new Date();
  const ws = wb.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, key: c.key, width: c.width ?? 14 }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) {
    ws.addRow(
      Object.fromEntries(
        columns.map((c) => {
          const v = r[c.key];
          return [c.key, v === null || v === undefined ? null : c.numeric ? Number(v) : String(v)];
        }),
      ),
    );
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
