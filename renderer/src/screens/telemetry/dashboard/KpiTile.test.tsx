// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { mountScreen } from '../../../testing/screen';
import type { KpiTile } from '../../../../../main/api/types';
import { KpiTileView } from './DashboardScreen';

const tile = (delta_pct: number): KpiTile => ({ tag_name: 'D100', value: 1.5, delta_pct, gauge_pct: 40, status_level: 0, range_label: null, count: 12, min: 1, max: 2, first: 1, last: 1.5, ts: '2026-01-01T00:00:00Z', bucket: '2026-01-01T00:00:00Z', value_s: '1.5', delta_s: `${delta_pct}%`, ts_s: '2026-01-01 09:00:00' });

afterEach(cleanup);

describe('KPI tile words (#19)', () => {
  it('calls a fall a decrease and a rise an increase, in Korean, with Korean stat names', () => {
    mountScreen(<KpiTileView tile={tile(-0.1)} />, 'viewer');
    expect(screen.getByText('직전 시간 창 대비 감소')).toBeTruthy();
    for (const w of ['개수', '최소', '최대', '첫값', '최근값']) expect(screen.getByText(w)).toBeTruthy();
    cleanup();
    mountScreen(<KpiTileView tile={tile(2.5)} />, 'viewer');
    expect(screen.getByText('직전 시간 창 대비 증가')).toBeTruthy();
  });

  it('in English too', () => {
    mountScreen(<KpiTileView tile={tile(-3)} />, 'viewer', 'en');
    expect(screen.getByText('decrease from last window')).toBeTruthy();
  });
});
