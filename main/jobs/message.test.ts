import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { JOB_MESSAGE_EN, jobMessage, jobMessageText, parseJobMessage } from './message';

describe('job progress messages (#19)', () => {
  it('carry a key and numbers that read back, and read as English for the CLI', () => {
    const m = `${jobMessage('features', { i: 3, n: 10 })} · ${jobMessage('embeddings', { i: 2, n: 5 })}`;
    expect(m).toBe('job.features {"i":3,"n":10} · job.embeddings {"i":2,"n":5}');
    expect(parseJobMessage(jobMessage('coreset'))).toEqual({ key: 'coreset', params: {} });
    expect(jobMessageText(m)).toBe('features 3/10 · embeddings 2/5');
    expect(jobMessageText('plain words')).toBe('plain words');
  });

  it('every key has its words in the console, Korean and English, with the same numbers', () => {
    for (const lang of ['ko', 'en']) {
      const common = JSON.parse(fs.readFileSync(path.join(__dirname, `../../renderer/src/locales/${lang}/common.json`), 'utf8'));
      for (const [k, en] of Object.entries(JOB_MESSAGE_EN)) {
        expect(typeof common.job?.[k], `${lang} common.json job.${k}`).toBe('string');
        const holes = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((x) => x[1]).sort();
        expect(holes(common.job[k])).toEqual(holes(en));
      }
    }
  });
});
