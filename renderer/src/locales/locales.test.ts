// Korean first, English second (#19). Every namespace file that is in both ko/ and en/ (found on disk, so a new
// namespace is covered the day it lands) must have the same keys in both languages, the same {{placeholders}},
// and a Korean value that is Korean: not equal to the English one, and with Hangul in it, unless the value is
// on the short allow-list below (codes, tag names, units, product codes, the brand) or is only numbers,
// symbols and placeholders.
import { describe, expect, it } from 'vitest';

// the same discovery as app/i18n.ts: every <lang>/<namespace>.json beside this file
const files = import.meta.glob('./*/*.json', { eager: true, import: 'default' }) as Record<string, Tree>;
const byLang: Record<string, Record<string, Tree>> = {};
for (const [file, data] of Object.entries(files)) {
  const m = /^\.\/(\w+)\/(\w+)\.json$/.exec(file);
  if (m) (byLang[m[1]] ??= {})[m[2]] = data;
}

/**
 * Values that are the same in Korean and English on purpose. Keep it short: a word a plant operator reads in
 * Korean does not belong here. Each line says why.
 */
export const SAME_IN_BOTH = new Set<string>([
  'LineDeck', // brand
  'English', // the language switch names the other language in its own tongue
  'EndUser', // the customer field as the plant's ERP names it
  'OK', // verdict code on the line, printed on labels
  'NG', // verdict code on the line, printed on labels
  'SLO', // service level objective, a code
  'QC', // quality control, a code
  'KST', // time zone
  'UTC', // time zone
  'CLI', // the linedeck command line, as a source of an inspection
  'Z', // the UTC designator of ISO 8601 (2026-01-01T09Z)
  'x', // image axis
  'y', // image axis
  'Alt', // key caps, printed in Latin letters on Korean keyboards too
  'Ctrl',
  'Shift',
  'Esc',
  'Tab',
  'Enter',
  'ONNX', // model file format
  'CSV', // file format
  'PNG', // file format
  'PDF', // file format
  'ID', // identifier
  'PatchCore', // model name
  'kg', // unit
  'bar', // unit
  'L', // unit
  'ms', // unit
  'px', // unit
]);

/** only numbers, symbols, punctuation, spaces and {{placeholders}}: "{{n}}", "—", "{{a}} / {{b}}", "%" */
export function formatOnly(v: string): boolean {
  return /^[\p{N}\p{P}\p{S}\s]*$/u.test(v.replace(/\{\{[^}]*\}\}/g, ''));
}

/** true when a Korean value may be (or contain nothing but) these words and still be Korean enough */
export function allowedAsIs(v: string): boolean {
  if (formatOnly(v)) return true;
  // a value built only from allow-listed words, placeholders and symbols: "SMA 10", "{{n}} ms", "OK · NG"
  const rest = v
    .replace(/\{\{[^}]*\}\}/g, ' ')
    .split(/[\s\p{P}\p{S}\p{N}]+/u)
    .filter(Boolean);
  return rest.length > 0 && (SAME_IN_BOTH.has(v.trim()) || rest.every((w) => SAME_IN_BOTH.has(w)));
}

type Tree = { [k: string]: string | Tree };

export function flatten(tree: Tree, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out.set(key, JSON.stringify(v)); // a number, array or null is a mistake in a locale file: it shows up below
  }
  return out;
}

export function placeholders(v: string): string[] {
  return [...v.matchAll(/\{\{\s*([^},\s]+)[^}]*\}\}/g)].map((m) => m[1]).sort();
}

/** the problems of one namespace, as readable lines (empty when all is well) */
export function checkNamespace(ns: string, ko: Tree, en: Tree): string[] {
  const k = flatten(ko);
  const e = flatten(en);
  const out: string[] = [];
  for (const key of e.keys()) if (!k.has(key)) out.push(`${ns}:${key} missing in ko (en: ${JSON.stringify(e.get(key))})`);
  for (const key of k.keys()) if (!e.has(key)) out.push(`${ns}:${key} missing in en (ko: ${JSON.stringify(k.get(key))})`);
  for (const [key, kv] of k) {
    const ev = e.get(key);
    if (typeof kv !== 'string') continue;
    if (ev !== undefined && placeholders(kv).join() !== placeholders(ev).join()) {
      out.push(`${ns}:${key} placeholders differ: ko ${JSON.stringify(kv)} / en ${JSON.stringify(ev)}`);
    }
    if (allowedAsIs(kv)) continue;
    if (ev !== undefined && kv.trim() === ev.trim()) out.push(`${ns}:${key} Korean value is the English one: ${JSON.stringify(kv)}`);
    else if (!/\p{Script=Hangul}/u.test(kv)) out.push(`${ns}:${key} Korean value has no Hangul: ${JSON.stringify(kv)}`);
  }
  return out;
}

/** every namespace file in ko/ or en/ */
const namespaces = (): string[] => [...new Set([...Object.keys(byLang.ko ?? {}), ...Object.keys(byLang.en ?? {})])].sort();

describe('locales: Korean first, English second', () => {
  const all = namespaces();

  it('finds the namespaces on disk', () => {
    expect(all).toEqual(expect.arrayContaining(['common', 'cylinders', 'telemetry', 'inspection', 'admin']));
  });

  it('every namespace is in both languages', () => {
    const missing = all.flatMap((n) => ['ko', 'en'].filter((l) => !byLang[l]?.[n]).map((l) => `${l}/${n}.json`));
    expect(missing).toEqual([]);
  });

  for (const ns of all) {
    it(`${ns}: same keys, same placeholders, Korean values in Korean`, () => {
      expect(checkNamespace(ns, byLang.ko?.[ns] ?? {}, byLang.en?.[ns] ?? {})).toEqual([]);
    });
  }
});

describe('the check itself', () => {
  it('catches an English value in Korean, a missing key either way, and a changed placeholder', () => {
    const ko = { a: 'Average', b: { c: '평균' }, d: '{{n}}행', only: '한국어' };
    const en = { a: 'Average', b: { c: 'Average', e: 'Min' }, d: '{{count}} rows' };
    expect(checkNamespace('x', ko, en)).toEqual([
      'x:b.e missing in ko (en: "Min")',
      'x:only missing in en (ko: "한국어")',
      'x:a Korean value is the English one: "Average"',
      'x:d placeholders differ: ko "{{n}}행" / en "{{count}} rows"',
    ]);
  });

  it('lets codes, units, the brand and format-only values through', () => {
    const ko = { brand: 'LineDeck', codes: 'QC · SLO', dash: '—', n: '{{n}}', ratio: '{{a}} / {{b}}', v: 'OK · NG' };
    expect(checkNamespace('x', ko, ko)).toEqual([]);
  });

  it('wants Hangul in a Korean value even when it differs from English', () => {
    expect(checkNamespace('x', { a: 'Avg' }, { a: 'Average' })).toEqual(['x:a Korean value has no Hangul: "Avg"']);
  });
});
