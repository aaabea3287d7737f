import { describe, expect, it } from 'vitest';
import { fmtDateTime } from '../../lib/time';
import {
  activeFilterCount,
  age,
  drillFilters,
  exportBytes,
  filtersFromParams,
  fmtInt,
  kstMinute,
  pagesFor,
  paramsFromHash,
  parseCylinderNos,
  sameFilters,
  policyErrorDetails,
  ruleDraftProblems,
  ruleInput,
  statusTone,
  toApiFilters,
  wantPages,
  writeFilterParams,
} from './format';

describe('cylinders filters', () => {
  it('round-trips through the URL, keeping empty values apart from "no filter"', () => {
    const f = { gas: 'NF3', location: '', status: ['보관', '충전'], availableOnly: true, typeKey: 'a'.repeat(32) };
    const p = writeFilterParams(f, new URLSearchParams('no=C01&q=NF'));
    expect(p.get('q')).toBe('NF');
    expect(p.get('no')).toBe('C01');
    expect(p.has('loc')).toBe(true);
    expect(p.has('cap')).toBe(false);
    const back = filtersFromParams(p);
    expect(back).toEqual(f);
    expect(toApiFilters(back)).toEqual({ gas: ['NF3'], location: [''], status: ['보관', '충전'], availableOnly: true, typeKey: ['a'.repeat(32)] });
    expect(activeFilterCount(back)).toBe(5);
    // clearing removes the parameters
    const cleared = writeFilterParams({ status: [], availableOnly: false }, p);
    expect([...cleared.keys()].sort()).toEqual(['no', 'q']);
  });

  it('reads the query of a hash URL and compares filters', () => {
    expect(paramsFromHash('#/cylinders/list?gas=NF3&st=%EB%B3%B4%EA%B4%80').getAll('st')).toEqual(['보관']);
    expect(paramsFromHash('#/cylinders').toString()).toBe('');
    expect(sameFilters({ status: ['보관'], availableOnly: false, gas: 'NF3' }, filtersFromParams(paramsFromHash('#/x?st=보관&gas=NF3')))).toBe(true);
    expect(sameFilters({ status: [], availableOnly: false, location: '' }, { status: [], availableOnly: false })).toBe(false);
  });

  it('ignores a malformed type key and gives no API filters for none', () => {
    expect(filtersFromParams(new URLSearchParams('type=zz')).typeKey).toBeUndefined();
    expect(toApiFilters({ status: [], availableOnly: false })).toEqual({});
  });

  it('drills down to the cylinders of one summary row', () => {
    expect(drillFilters({ cylinderTypeKey: 'b'.repeat(32), status: '기타', location: '' })).toEqual({
      status: ['기타'],
      availableOnly: false,
      typeKey: 'b'.repeat(32),
      location: '',
    });
  });
});

describe('cylinders formatting', () => {
  it('tones statuses and formats numbers', () => {
    expect(statusTone('보관')).toBe('stock');
    expect(statusTone('폐기')).toBe('scrap');
    expect(statusTone('???')).toBe('other');
    expect(fmtInt(100000)).toBe('100,000');
    expect(fmtInt(null)).toBe('—');
  });

  it('pages a range and keeps a bounded set of wanted pages', () => {
    expect(pagesFor(0, 0, 200)).toEqual([0]);
    expect(pagesFor(190, 410, 200)).toEqual([0, 1, 2]);
    expect(pagesFor(5, 2, 200)).toEqual([]);
    const cur = [0, 1];
    expect(wantPages(cur, [1])).toBe(cur);
    expect(wantPages(cur, [1, 2])).toEqual([0, 1, 2]);
    expect(wantPages([0, 1, 2], [3, 4], 3)).toEqual([2, 3, 4]);
  });

  it('parses a pasted block of cylinder numbers', () => {
    const p = parseCylinderNos(' CF000001\r\nCF000002, CF000003;CF000001\t"CF000004"\n\nTHIS-NUMBER-IS-FAR-TOO-LONG ');
    expect(p.all).toHaveLength(6);
    expect(p.unique).toEqual(['CF000001', 'CF000002', 'CF000003', 'CF000004', 'THIS-NUMBER-IS-FAR-TOO-LONG']);
    expect(p.duplicates).toEqual(['CF000001']);
    expect(p.tooLong).toEqual(['THIS-NUMBER-IS-FAR-TOO-LONG']);
    expect(parseCylinderNos('  ').all).toEqual([]);
  });

  it('reads the structured policy errors of main', () => {
    const d = policyErrorDetails({ unknown: ['X1'], existing: [{ cylinderNo: 'C1', id: 4, enduser: 'LGD', isActive: true, reason: null }], listedTwice: [], existingId: 7, enduser: ['required'] });
    expect(d.unknown).toEqual(['X1']);
    expect(d.existing[0].id).toBe(4);
    expect(d.existingId).toBe(7);
    expect(d.fields).toEqual({ enduser: ['required'] });
    expect(policyErrorDetails(undefined)).toMatchObject({ unknown: [], existing: [], existingId: null });
  });

  it('decodes export bytes', () => {
    expect(exportBytes({ encoding: 'utf8', data: '\uFEFFa,b\r\n' })).toBe('\uFEFFa,b\r\n');
    expect([...(exportBytes({ encoding: 'base64', data: 'UEsDBA==' }) as Uint8Array)]).toEqual([0x50, 0x4b, 3, 4]);
  });

  it('formats KST like the shared formatter, without dayjs-timezone', () => {
    for (const t of ['2026-01-01T00:00:00.000Z', '2026-06-30T15:30:59.999Z', '2025-12-31T14:59:00Z', '1999-03-01T20:00:00Z']) expect(kstMinute(t)).toBe(fmtDateTime(t, false));
    expect(kstMinute(null)).toBe('—');
    expect(kstMinute('nope')).toBe('—');
  });

  it('tells ages in the largest unit', () => {
    const now = '2026-03-01T12:00:00.000Z';
    expect(age('2026-03-01T11:59:30.000Z', now)).toEqual({ n: 30, unit: 's' });
    expect(age('2026-03-01T11:00:00.000Z', now)).toEqual({ n: 1, unit: 'h' });
    expect(age('2026-02-27T12:00:00.000Z', now)).toEqual({ n: 2, unit: 'd' });
    expect(age(null, now)).toBeNull();
  });

  it('turns a rule draft into the input (blank = any) and checks it', () => {
    const d = { gasName: ' NF3 ', capacity: '', valveSpecCode: 'V-X', cylinderSpecCode: ' ', defaultEnduser: 'LGD', isActive: true };
    expect(ruleInput(d)).toEqual({ gasName: 'NF3', capacity: null, valveSpecCode: 'V-X', cylinderSpecCode: null, defaultEnduser: 'LGD', isActive: true });
    expect(ruleInput({ ...d, id: 3 }).id).toBe(3);
    expect(ruleDraftProblems(d)).toEqual([]);
    expect(ruleDraftProblems({ ...d, gasName: '', capacity: '4x', defaultEnduser: '' })).toEqual(['gas', 'capacity', 'enduser']);
  });
});
