import { describe, expect, it } from 'vitest';
import i18next from 'i18next';
import ko from '../locales/ko/common.json';
import en from '../locales/en/common.json';
import { jobMessageText } from './jobMessage';

describe('job progress in the operator’s language (#19)', () => {
  it('translates each part with its numbers, Korean first; plain text passes', async () => {
    const i18n = i18next.createInstance();
    await i18n.init({ resources: { ko: { common: ko }, en: { common: en } }, lng: 'ko', defaultNS: 'common', interpolation: { escapeValue: false } });
    const msg = 'job.features {"i":3,"n":10} · job.embeddings {"i":2,"n":5}';
    expect(jobMessageText(i18n.t.bind(i18n) as never, msg)).toBe('특징 추출 3/10 · 임베딩 2/5');
    expect(jobMessageText(i18n.t.bind(i18n) as never, 'job.coreset')).toBe('코어셋 선택 중');
    expect(jobMessageText(i18n.t.bind(i18n) as never, 'job.unknown {"n":1}')).toBe('job.unknown {"n":1}');
    expect(jobMessageText(i18n.t.bind(i18n) as never, 'disk full')).toBe('disk full');
    await i18n.changeLanguage('en');
    expect(jobMessageText(i18n.t.bind(i18n) as never, msg)).toBe('features 3/10 · embeddings 2/5');
  });
});
