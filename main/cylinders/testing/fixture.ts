/**
 * The hand-built FCMS fixture of the cylinder tests: every edge case of decisions.md in a few rows.
 * Expected snapshot rows come from ./reference.ts, never from the SQL under test.
 */
import type { Fixture } from './reference';

export function baseFixture(): Fixture {
  return {
    items: [
      { code: 'G-NF3', display: 'NF3', formal: 'Nitrogen trifluoride' },
      { code: 'G-SIH4', display: 'SiH4', formal: 'Monosilane' },
      { code: 'G-XE', display: null, formal: 'Xenon' }, // DISPLAY_NAME NULL → FORMAL_NAME
      { code: 'G-NULL', display: null, formal: null }, // both NULL → ''
      { code: 'G-KR', display: '육불화텅스텐 "WF6"', formal: null }, // Korean and quotes
    ],
    valves: [
      { code: 'V-N', name: 'SUS general Y CGA330 Y NERIKI' },
      { code: 'V-H', name: 'SUS general Y CGA330 Y HAMAI' },
      { code: 'V-D632', name: 'DISS 632' },
      { code: 'V-D634', name: 'DISS 634' },
      { code: 'V-Q', name: "O'Neil \"HP\" 밸브" },
      { code: 'V-NONAME', name: null },
      { code: 'V-X', name: 'CGA580' },
      { code: 'V-P', name: 'DISS 634 (primary to be)' },
    ],
    specs: [
      { code: 'S-BN47', name: 'BN 47L 무계목' },
      { code: 'S-YC', name: 'YC 440L' },
      { code: 'S-NONAME', name: null },
    ],
    cylinders: [
      // NF3 rules: any → SDC(1); 47 → LGD(2); 47 + V-H → SKH(3); 440 → CAP(4); V-H → VLV(5); V-H + S-YC → VS(6);
      // S-BN47 → SPEC(7); 10 + V-H inactive → NO(8)
      { no: 'C01', item: 'G-NF3', capacity: '47', valve: 'V-N', spec: 'S-BN47', dept: 'SDC', updated: '2026-03-01 10:00:00' },
      { no: 'C02', item: 'G-NF3', capacity: '47.0', valve: 'V-H', spec: 'S-BN47', dept: null, updated: '2026-03-02 10:00:00' },
      { no: 'C03', item: 'G-NF3', capacity: '440', valve: 'V-H', spec: 'S-BN47', dept: 'LGD', updated: '2026-03-03 10:00:00' },
      { no: 'C04', item: 'G-NF3', capacity: '440', valve: 'V-H', spec: 'S-YC', dept: 'LGD', updated: '2026-03-04 10:00:00' },
      { no: 'C05', item: 'G-NF3', capacity: '10', valve: 'V-H', spec: 'S-BN47', dept: null, updated: null },
      { no: 'C06', item: 'G-NOPE', capacity: '47', valve: 'V-N', spec: 'S-BN47', dept: null, updated: '2026-03-06 10:00:00' }, // unknown item
      { no: 'C07', item: 'G-XE', capacity: '47', valve: 'V-D632', spec: 'S-BN47', dept: 'SKH', updated: '2026-03-07 10:00:00' }, // no status row
      { no: 'C08', item: 'G-SIH4', capacity: '47', valve: null, spec: null, dept: null, updated: '2026-03-08 10:00:00' }, // NULL valve/spec
      { no: 'C09', item: 'G-SIH4', capacity: '47.0', valve: 'V-GHOST', spec: 'S-GHOST', dept: null, updated: '2026-03-09 10:00:00' }, // unknown codes
      { no: 'C10', item: 'G-SIH4', capacity: null, valve: 'V-D634', spec: 'S-NONAME', dept: null, updated: '2026-03-10 10:00:00' },
      { no: 'C11', item: 'G-NULL', capacity: '0.5', valve: 'V-NONAME', spec: 'S-YC', dept: null, updated: '2026-03-11 10:00:00' },
      { no: 'C12', item: 'G-KR', capacity: '47', valve: 'V-Q', spec: 'S-BN47', dept: '부서', updated: '2026-03-12 10:00:00' },
      { no: 'C13', item: 'G-NF3', capacity: '47', valve: 'V-X', spec: 'S-BN47', dept: null, updated: '2026-03-13 10:00:00' }, // inactive mapping
      { no: 'C14', item: 'G-SIH4', capacity: '47', valve: 'V-D632', spec: 'S-BN47', dept: null, updated: '2026-03-14 10:00:00' },
      { no: 'C15', item: 'G-SIH4', capacity: '47', valve: 'V-N', spec: 'S-BN47', dept: null, updated: '2026-03-15 10:00:00' },
      { no: 'C16', item: 'G-NF3', capacity: '47.00', valve: 'V-N', spec: 'S-BN47', dept: null, updated: '2026-03-16 10:00:00' },
    ],
    statuses: [
      { no: 'C01', code: '100', place: '제품창고 A', moved: '2026-03-05 09:00:00' }, // move later than update
      { no: 'C02', code: '102', place: null, moved: '2026-02-01 09:00:00' }, // update later than move
      { no: 'C03', code: '210', place: 'LG디스플레이 파주', moved: null },
      { no: 'C04', code: '220', place: '충전동', moved: '2026-03-04 10:00:00' },
      { no: 'C05', code: '420', place: '분석실', moved: '2026-01-01 00:00:00' },
      { no: 'C06', code: '500', place: "O'Brien 창고", moved: '2026-01-02 00:00:00' },
      { no: 'C08', code: '600', place: '삼성디스플레이 아산', moved: '2026-01-03 00:00:00' },
      { no: 'C09', code: '190', place: '김민수', moved: '2026-01-04 00:00:00' },
      { no: 'C10', code: '950', place: '폐기장', moved: '2026-01-05 00:00:00' },
      { no: 'C11', code: '952', place: '폐기장', moved: '2026-01-06 00:00:00' },
      { no: 'C12', code: '999', place: '기타장소', moved: '2026-01-07 00:00:00' },
      { no: 'C13', code: null, place: '미상', moved: null },
      { no: 'C14', code: '', place: '충전동', moved: '2026-01-08 00:00:00' },
      { no: 'C15', code: '100', place: '충전동', moved: '2026-01-09 00:00:00' },
      { no: 'X99', code: '100', place: '유령', moved: '2026-01-10 00:00:00' }, // a status without a cylinder
    ],
    defaults: [
      { id: 1, gas: 'NF3', capacity: null, valve: null, spec: null, enduser: 'SDC', active: true },
      { id: 2, gas: 'NF3', capacity: '47', valve: null, spec: null, enduser: 'LGD', active: true },
      { id: 3, gas: 'NF3', capacity: '47', valve: 'V-H', spec: null, enduser: 'SKH', active: true },
      { id: 4, gas: 'NF3', capacity: '440', valve: null, spec: null, enduser: 'CAP', active: true },
      { id: 5, gas: 'NF3', capacity: null, valve: 'V-H', spec: null, enduser: 'VLV', active: true },
      { id: 6, gas: 'NF3', capacity: null, valve: 'V-H', spec: 'S-YC', enduser: 'VS', active: true },
      { id: 7, gas: 'NF3', capacity: null, valve: null, spec: 'S-BN47', enduser: 'SPEC', active: true },
      { id: 8, gas: 'NF3', capacity: '10', valve: 'V-H', spec: null, enduser: 'NO', active: false },
      { id: 9, gas: 'SiH4', capacity: '47.0', valve: null, spec: null, enduser: 'SEC', active: true }, // matches 47 and 47.0
      { id: 10, gas: 'Xenon', capacity: null, valve: null, spec: null, enduser: 'XEU', active: true },
      { id: 11, gas: '육불화텅스텐 "WF6"', capacity: '47', valve: 'V-Q', spec: 'S-BN47', enduser: 'KOR', active: true },
    ],
    exceptions: [
      { id: 1, no: 'C01', enduser: 'LGD-EX', active: true },
      { id: 2, no: 'C02', enduser: 'OLD', active: false },
      { id: 3, no: 'C08', enduser: 'SKH-EX', active: true },
    ],
    groups: [
      { id: 1, name: 'COS_CGA330', active: true },
      { id: 2, name: 'DISS_ALL', active: false },
      { id: 3, name: 'NO_PRIMARY', active: true },
    ],
    mappings: [
      { id: 1, code: 'V-N', name: 'SUS general Y CGA330 Y NERIKI', group: 1, primary: true, active: true },
      { id: 2, code: 'V-H', name: 'SUS general Y CGA330 Y HAMAI', group: 1, primary: false, active: true },
      { id: 3, code: 'V-X', name: 'CGA580', group: 1, primary: false, active: false },
      { id: 4, code: 'V-D632', name: 'DISS 632', group: 2, primary: true, active: true },
      { id: 5, code: 'V-D634', name: 'DISS 634', group: 3, primary: false, active: true },
      { id: 7, code: 'V-P', name: 'DISS 634 (primary to be)', group: 3, primary: true, active: false }, // group 3: no active primary
      { id: 6, code: 'V-Q', name: 'stale FCMS name', group: 3, primary: false, active: true }, // name ≠ FCMS name: never matches
    ],
  };
}
