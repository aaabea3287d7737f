import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { exportFileName, toCsv, toXlsx, type ExportColumn } from './download';

type Row = { code: string; value: number | null; note: string };
const cols: ExportColumn<Row>[] = [
  { header: '코드', value: (r) => r.code },
  { header: '값', value: (r) => r.value },
  { header: '비고', value: (r) => r.note },
];
const rows: Row[] = [
  { code: 'INS-1', value: -3.5, note: '쉼표, "따옴표"' },
  { code: '=1+1', value: null, note: '-x' },
];

describe('exports', () => {
  it('CSV: UTF-8 BOM, Korean headers, quoting, no formulas, CRLF', () => {
    const csv = toCsv(cols, rows);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.slice(1).split('\r\n')).toEqual(['코드,값,비고', 'INS-1,-3.5,"쉼표, ""따옴표"""', "'=1+1,,'-x", '']);
  });
  it('file names carry the name and Seoul time', () => {
    expect(exportFileName('T100 추이 표', 'csv', Date.parse('2026-11-23T15:04:00Z'))).toBe('T100_추이_표_20261124-0004.csv');
    expect(exportFileName('a/b:c', 'png', Date.parse('2026-11-23T00:00:00Z'))).toBe('abc_20261123-0900.png');
  });
  it('XLSX: one sheet with the headers and the values', async () => {
    const bytes = await toXlsx(cols, rows, '검사 이력');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes.buffer as ArrayBuffer);
    const ws = wb.getWorksheet('검사 이력')!;
    expect(ws.getRow(1).values).toEqual([undefined, '코드', '값', '비고']);
    expect(ws.getRow(2).getCell(2).value).toBe(-3.5);
    expect(ws.getRow(3).getCell(1).value).toBe('=1+1');
  });
});
