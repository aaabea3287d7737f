import { describe, expect, it } from 'vitest';
import { progressLine } from './progress';

describe('progressLine', () => {
  it('draws the bar and the percentage when the fraction is known, the message alone otherwise', () => {
    expect(progressLine('마이그레이션', 0.5, 10)).toBe('[█████░░░░░]  50 %  마이그레이션');
    expect(progressLine('시작', 0, 4)).toBe('[░░░░]   0 %  시작');
    expect(progressLine('끝', 1.7, 4)).toBe('[████] 100 %  끝');
    expect(progressLine('열기')).toBe('열기');
    expect(progressLine('열기', Number.NaN)).toBe('열기');
  });
});
