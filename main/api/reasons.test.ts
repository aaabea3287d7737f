/**
 * Issue #19 "Korean-first screens": every refusal a worker or supervisor can meet names a reason from the catalogue
 * (main/api/reasons.ts) with its particulars as params, and both locales say every reason with exactly those params.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IMAGE_PROBLEMS } from '../inspection/engine/preprocess';
import { PIPELINE_REFUSALS } from '../inspection/stages/refusals';
import { toErrorBody } from './dispatch';
import { REASONS, because } from './reasons';

const ROOT = path.resolve(__dirname, '..');
const LOCALES = path.resolve(__dirname, '../../renderer/src/locales');

/**
 * `new ApiError(` sites that no screen can meet, so they need no reason (file, and a piece of the call's text):
 * keep this short, and say why for each.
 */
const ALLOW: { file: string; has: string; why: string }[] = [
  // the outbox replays a journaled follow-up in the background; the error is logged and the entry set aside, no screen shows it
  { file: 'inspection/follow-ups.ts', has: 'which is not in the database', why: 'background outbox replay' },
  // `linedeck demo seed --only …` on the command line; no procedure of the contract reaches it
  { file: 'demo/seed.ts', has: 'unknown demo domain', why: 'CLI only' },
  // staleOr's `details` parameter is typed ReasonDetails: every caller passes because(…) (checked by tsc)
  { file: 'telemetry/service.ts', has: 'new ApiError(kind, message, details)', why: 'typed pass-through' },
];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : sources(p);
    return /\.ts$/.test(d.name) && !/\.test\.ts$/.test(d.name) ? [p] : [];
  });
}

/** The text of the call starting at `open` (the index of its `(`), strings and template literals skipped over. */
function callText(src: string, open: number): string {
  let depth = 0;
  const templates: number[] = []; // brace depth at which each open template literal's ${ started
  let i = open;
  for (; i < src.length; i++) {
    const ch = src[i];
    if (ch === "'" || ch === '"') {
      for (i++; i < src.length && src[i] !== ch; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (ch === '`' || (ch === '}' && templates.length && templates.at(-1) === depth)) {
      if (ch === '}') templates.pop();
      // inside a template literal: up to its end or the next ${
      for (i++; i < src.length; i++) {
        if (src[i] === '\\') i++;
        else if (src[i] === '`') break;
        else if (src[i] === '$' && src[i + 1] === '{') {
          i++;
          templates.push(depth);
          break;
        }
      }
      continue;
    }
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) break;
    }
  }
  return src.slice(open, i + 1);
}

function apiErrorSites(): { file: string; line: number; text: string }[] {
  const out: { file: string; line: number; text: string }[] = [];
  for (const abs of sources(ROOT)) {
    const src = fs.readFileSync(abs, 'utf8');
    for (const m of src.matchAll(/new ApiError\(/g)) {
      const open = m.index + m[0].length - 1;
      out.push({ file: path.relative(ROOT, abs).split(path.sep).join('/'), line: src.slice(0, m.index).split('\n').length, text: 'new ApiError' + callText(src, open) });
    }
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('refusal reasons', () => {
  it('every new ApiError( in main names a reason (because(…) or refusal(…)), except the commented allow-list', () => {
    const sites = apiErrorSites();
    expect(sites.length).toBeGreaterThan(100);
    const allowed = (s: { file: string; text: string }) => ALLOW.some((a) => s.file === a.file && s.text.includes(a.has));
    const missing = sites.filter((s) => !/\b(because|refusal)\(/.test(s.text) && !allowed(s)).map((s) => `${s.file}:${s.line}: ${s.text.slice(0, 120)}`);
    expect(missing).toEqual([]);
    // each allow-list entry still matches exactly one site (a stale entry would hide a new one)
    for (const a of ALLOW) expect(sites.filter((s) => s.file === a.file && s.text.includes(a.has)), a.has).toHaveLength(1);
  });

  it('the scanner sees through strings and template literals', () => {
    const src = "x(new ApiError('validation', `a (b ${f(')')}) c`, because('window_required')));";
    expect(callText(src, src.indexOf('ApiError(') + 8)).toBe("('validation', `a (b ${f(')')}) c`, because('window_required'))");
  });

  it('the catalogue holds the image problems and the pipeline refusals', () => {
    for (const r of [...IMAGE_PROBLEMS, ...PIPELINE_REFUSALS]) expect(REASONS, r).toHaveProperty(r);
  });

  it('ko and en say every reason with exactly its params, and differently', () => {
    const ko = JSON.parse(fs.readFileSync(path.join(LOCALES, 'ko/reasons.json'), 'utf8')) as Record<string, string>;
    const en = JSON.parse(fs.readFileSync(path.join(LOCALES, 'en/reasons.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(ko).sort()).toEqual(Object.keys(REASONS).sort());
    expect(Object.keys(en).sort()).toEqual(Object.keys(REASONS).sort());
    for (const [code, spec] of Object.entries(REASONS)) {
      const want = [...spec.params].sort();
      expect(placeholders(ko[code]), `ko ${code}`).toEqual(want);
      expect(placeholders(en[code]), `en ${code}`).toEqual(want);
      expect(ko[code], code).not.toBe(en[code]);
      expect(ko[code], `ko ${code} is Korean`).toMatch(/[\uac00-\ud7a3]/);
    }
  });

  it('because() builds details the screen reads', () => {
    expect(because('product_exists', { productCode: 'P1' })).toEqual({ reason: 'product_exists', params: { productCode: 'P1' } });
    expect(because('no_model')).toEqual({ reason: 'no_model', params: {} });
  });

  it('a zod refusal is invalid_input with the field path and zod issue code, the field map kept', () => {
    const r = z.object({ user: z.object({ name: z.string().min(3) }) }).safeParse({ user: { name: 'a' } });
    const body = toErrorBody(r.error);
    expect(body.kind).toBe('validation');
    expect(body.details).toMatchObject({ reason: 'invalid_input', params: { field: 'user.name', code: 'too_small' }, user: expect.any(Array), fields: { user: expect.any(Array) } });
  });
});
