import { describe, expect, it } from 'vitest';
import { addDays, commColor, deltaView, gaugeArcs, heatmapModel, kst, trendOption, techOption } from './options';

describe('telemetry option builders', () => {
  it('formats UTC as Asia/Seoul', () => {
    expect(kst('2025-08-15T07:26:07.303Z')).toBe('2025-08-15 16:26:07');
    expect(kst('2025-08-15T15:00:00Z', false)).toBe('2025-08-16 00:00');
    expect(kst(null)).toBe('—');
  });

  it('shows delta with sign, arrow and tone', () => {
    expect(deltaView(0)).toEqual({ text: '+0.0%', arrow: '■', tone: 'flat' });
    expect(deltaView(12.345)).toEqual({ text: '+12.3%', arrow: '▲', tone: 'up' });
    expect(deltaView(-3.06)).toEqual({ text: '-3.1%', arrow: '▼', tone: 'down' });
  });

  it('draws the gauge arc proportional to the clamped percentage', () => {
    expect(gaugeArcs(0).value).toBe('');
    expect(gaugeArcs(150).clamped).toBe(100);
    expect(gaugeArcs(-5).clamped).toBe(0);
    const half = gaugeArcs(50).value;
    // 150° + 120° = 270°: the top of the circle (x = cx, y = cy − r)
    expect(half.endsWith('50.000 14.000')).toBe(true);
    expect(gaugeArcs(100).value).toBe(gaugeArcs(100).track);
  });

  it('renders only the toggled series, one point per bucket', () => {
    const rows = [
      { bucket: '2025-08-15T00:00:00Z', tag_name: 'D100', n: 6, avg: 1, min: 0, max: 2, first: 0, last: 2, sum: 6, diff: 2 },
      { bucket: '2025-08-15T00:01:00Z', tag_name: 'D100', n: 6, avg: 3, min: 2, max: 4, first: 2, last: 4, sum: 18, diff: 2 },
    ];
    const o = trendOption(rows, { avg: true, min: false, max: true, last: false, first: false });
    const s = o.series as { name: string; encode: { x: string; y: string }; sampling: string }[];
    expect(s.map((x) => x.name)).toEqual(['avg', 'max']);
    // one dataset column per shown series, one value per bucket
    const ds = o.dataset as { dimensions: string[]; source: Record<string, number[]> };
    expect(ds.dimensions).toEqual(['t', 'avg', 'max']);
    // plant-axis values (UTC + 9 h) on a useUTC axis: Seoul ticks whatever the PC's zone (lib/time.ts)
    expect(o.useUTC).toBe(true);
    expect(ds.source.t).toEqual([Date.parse(rows[0].bucket) + 9 * 3_600_000, Date.parse(rows[1].bucket) + 9 * 3_600_000]);
    const axisFmt = (o.xAxis as { axisLabel: { formatter: (v: number) => string } }).axisLabel.formatter;
    expect(axisFmt(ds.source.t[0])).toBe('08-15 09:00');
    expect(ds.source.avg).toEqual([1, 3]);
    expect(ds.source.max).toEqual([2, 4]);
    expect(s.map((x) => x.encode)).toEqual([{ x: 't', y: 'avg' }, { x: 't', y: 'max' }]);
    expect(s.map((x) => x.sampling)).toEqual(['lttb', 'minmax']);
    // the tooltip reads dataset rows through encode (and [t, y] points of the overlays)
    const fmt = (o.tooltip as { formatter: (p: unknown) => string }).formatter;
    const t1 = ds.source.t[1];
    const tip = fmt([
      { axisValue: t1, seriesName: 'avg', value: [t1, 3, 4], encode: { x: [0], y: [1] }, marker: '' },
      { axisValue: t1, seriesName: 'max', value: [t1, 3, 4], encode: { x: [0], y: [2] }, marker: '' },
      { axisValue: t1, seriesName: 'forecast', value: [t1, 5.5], marker: '' },
    ]);
    expect(tip).toBe('2025-08-15 09:01:00 KST<br/>avg: 3.00<br/>max: 4.00<br/>forecast: 5.50');
    const withOverlay = trendOption(rows, { avg: true, min: false, max: false, last: false, first: false }, {
      predictions: [{ ts: '2025-08-15T00:02:00Z', tag_name: 'D100', horizon: '00:01:00', yhat: 5, pi_low: 4, pi_high: 6, model_id: 'm', version: '1' }],
      anomalies: [{ ts: '2025-08-15T00:01:00Z', tag_name: 'D100', score: 0.9, level: 'high', context: null }],
    });
    const names = (withOverlay.series as { name: string }[]).map((x) => x.name);
    expect(names).toEqual(['avg', 'forecast', 'pi_low', 'interval', 'anomaly']);
    const band = (withOverlay.series as { name: string; data: [number, number][] }[]).find((x) => x.name === 'interval')!;
    expect(band.data[0][1]).toBe(2);
    const an = (withOverlay.series as { name: string; data: [number, number | null][] }[]).find((x) => x.name === 'anomaly')!;
    expect(an.data[0]).toEqual([t1, 3, 0.9]); // placed on the avg line at the same shifted instant
  });

  it('names the series in the operator\'s language in legend and tooltip, keeping the column as the id', () => {
    const ko: Record<string, string> = { avg: '평균', forecast: '예측', interval: '예측 구간', anomaly: '이상', sma_10: '이동평균 10' };
    const rows = [{ bucket: '2025-08-15T00:00:00Z', tag_name: 'D100', n: 6, avg: 1, min: 0, max: 2, first: 0, last: 2, sum: 6, diff: 2 }];
    const o = trendOption(rows, { avg: true, min: false, max: false, last: false, first: false }, {
      predictions: [{ ts: '2025-08-15T00:02:00Z', tag_name: 'D100', horizon: '00:01:00', yhat: 5, pi_low: 4, pi_high: 6, model_id: 'm', version: '1' }],
      anomalies: [{ ts: '2025-08-15T00:00:00Z', tag_name: 'D100', score: 0.9, level: 'high', context: null }],
    }, false, (k) => ko[k] ?? k);
    const s = o.series as { id: string; name: string; encode?: { y: string } }[];
    expect(s.map((x) => x.id)).toEqual(['avg', 'forecast', 'pi_low', 'interval', 'anomaly']);
    expect(s.map((x) => x.name)).toEqual(['평균', '예측', 'pi_low', '예측 구간', '이상']);
    expect(s[0].encode!.y).toBe('avg'); // the dataset column stays the key
    expect((o.legend as { data: string[] }).data).toEqual(['평균', '예측', '예측 구간', '이상']);
    const tech = techOption([{ bucket: '2025-08-15T00:00:00Z', tag_name: 'D100', avg: 1, sma_10: 1, sma_60: null, bb_top: 2, bb_bot: 0, slope_60: null }], { avg: false, sma_10: true, sma_60: false, bb_top: false, bb_bot: false }, false, (k) => ko[k] ?? k);
    expect((tech.series as { name: string }[]).map((x) => x.name)).toEqual(['이동평균 10']);
  });

  it('tech chart follows the legend toggles', () => {
    const o = techOption([{ bucket: '2025-08-15T00:00:00Z', tag_name: 'D100', avg: 1, sma_10: 1, sma_60: null, bb_top: 2, bb_bot: 0, slope_60: null }], { avg: false, sma_10: true, sma_60: true, bb_top: false, bb_bot: false });
    expect((o.series as { name: string }[]).map((s) => s.name)).toEqual(['sma_10', 'sma_60']);
    expect((o.dataset as { source: Record<string, unknown[]> }).source).toEqual({ t: [Date.parse('2025-08-15T09:00:00Z')], sma_10: [1], sma_60: [null] });
  });

  it('places comm cells on a 24 × 30 grid of Seoul days and hours and colours by SLO, with no colour for no data', () => {
    const cells = [
      { bucket_utc: '2025-07-31T15:00:00Z', success_rate: 1, recv_msgs: 60, exp_msgs: 60, missing_msgs: 0, last_seen_min: null }, // 08-01 00:00 KST
      { bucket_utc: '2025-08-02T20:00:00Z', success_rate: 0, recv_msgs: 0, exp_msgs: 60, missing_msgs: 60, last_seen_min: null }, // 08-03 05:00 KST
      { bucket_utc: '2025-08-30T14:00:00Z', success_rate: null, recv_msgs: null, exp_msgs: 60, missing_msgs: null, last_seen_min: null }, // 08-30 23:00 KST
      { bucket_utc: '2025-08-30T15:00:00Z', success_rate: 1, recv_msgs: 60, exp_msgs: 60, missing_msgs: 0, last_seen_min: null }, // 08-31 KST: off the grid
    ];
    const m = heatmapModel(cells, '2025-08-01');
    expect(m.grid).toHaveLength(24);
    expect(m.grid[0]).toHaveLength(30);
    expect(m.grid[0][0]?.success_rate).toBe(1);
    expect(m.grid[5][2]?.success_rate).toBe(0);
    expect(m.grid[23][29]?.success_rate).toBeNull();
    expect(m.grid.flat().filter(Boolean)).toHaveLength(3);
    expect(m.days[0]).toBe('08-01');
    expect(m.days[29]).toBe('08-30');
    expect(commColor(null, 0.98, 0.95)).toBeNull();
    expect(commColor(0, 0.98, 0.95)).toBe('#a63603');
    expect(commColor(0.96, 0.98, 0.95)).toBe('#e69f00');
    expect(commColor(1, 0.98, 0.95)).toBe('#009e73');
    expect(addDays('2025-08-01', 29)).toBe('2025-08-30');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
  });
});

describe('trendOption on long ranges', () => {
  it('drops the zoom slider’s unsampled data shadow past 5 000 buckets and keeps it below', () => {
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ bucket: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), avg: i, min: i, max: i, last: i, first: i, count: 1 }));
    const vis = { avg: true, min: false, max: false, last: false, first: false };
    const slider = (n: number) => (trendOption(mk(n) as never, vis).dataZoom as { type: string; showDataShadow?: boolean }[]).find((d) => d.type === 'slider');
    expect(slider(5000)?.showDataShadow).toBeUndefined();
    expect(slider(5001)?.showDataShadow).toBe(false);
  });
});
