import { describe, expect, it } from 'vitest';
import { fmtDateTime, fmtDate, fmtTime } from './time';

describe('Asia/Seoul display', () => {
  it('shows UTC instants in KST (UTC+9) regardless of the machine zone', () => {
    expect(fmtDateTime('2026-11-23T15:30:05Z')).toBe('2026-11-24 00:30:05');
    expect(fmtDate('2026-11-23T15:30:05Z')).toBe('2026-11-24');
    expect(fmtTime('2026-11-23T00:00:00Z')).toBe('09:00:00');
    expect(fmtDateTime(null)).toBe('—');
    expect(fmtDateTime('not a date')).toBe('—');
  });
});
