import { describe, expect, it } from 'vitest';
import { fmtDateTime, fmtDate, fmtTime, fmtPlantAxis, fromPlantAxis, plantFileStamp, plantToday, toPlantAxis } from './time';

describe('Asia/Seoul display', () => {
  it('shows UTC instants in KST (UTC+9) regardless of the machine zone', () => {
    expect(fmtDateTime('2026-11-23T15:30:05Z')).toBe('2026-11-24 00:30:05');
    expect(fmtDate('2026-11-23T15:30:05Z')).toBe('2026-11-24');
    expect(fmtTime('2026-11-23T00:00:00Z')).toBe('09:00:00');
    expect(fmtDateTime(null)).toBe('—');
    expect(fmtDateTime('not a date')).toBe('—');
  });
});

describe('chart time axes in Asia/Seoul (useUTC + 9 h shifted values)', () => {
  const zones = ['UTC', 'America/New_York', 'Asia/Seoul'];
  it.each(zones)('gives Seoul wall time with the process in %s', (zone) => {
    const saved = process.env.TZ;
    process.env.TZ = zone;
    try {
      const v = toPlantAxis('2026-11-23T15:30:05Z');
      expect(fmtPlantAxis(v)).toBe('2026-11-24 00:30');
      expect(fmtPlantAxis(v, true)).toBe('2026-11-24 00:30:05');
      expect(fromPlantAxis(v)).toBe(Date.parse('2026-11-23T15:30:05Z'));
      // ECharts with useUTC puts a day tick where the value's UTC fields are midnight: that is Seoul midnight
      const midnight = toPlantAxis('2026-11-23T15:00:00Z');
      expect(new Date(midnight).getUTCHours()).toBe(0);
      expect(plantToday(Date.parse('2026-11-23T14:59:59Z'))).toBe('2026-11-23');
      expect(plantToday(Date.parse('2026-11-23T15:00:00Z'))).toBe('2026-11-24');
      expect(plantFileStamp(Date.parse('2026-11-23T15:04:00Z'))).toBe('20261124-0004');
    } finally {
      process.env.TZ = saved;
    }
  });
});
