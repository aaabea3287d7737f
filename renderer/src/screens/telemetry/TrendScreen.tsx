import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../api/hooks';
import { Empty, ErrorState, Loading } from '../../app/ui';
import { useECharts } from '../../charts/useECharts';
import { usePrefs } from '../../stores/prefs';
import { SERIES, fmtValue, kst, trendOption, type SeriesKey } from './options';
import { StaleBadge, TagSelect, WindowSelect, type WindowName } from './common';

export function TrendScreen() {
  const { t } = useTranslation('telemetry');
  const dark = usePrefs((s) => s.theme) === 'dark';
  const [tag, setTag] = useState('');
  const [win, setWin] = useState<WindowName>('5m');
  const [visible, setVisible] = useState<Record<SeriesKey, boolean>>({ avg: true, min: true, max: true, last: true, first: true });
  const trend = useCall('telemetry.trend', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const overlays = useCall('telemetry.predictions', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const rows = useMemo(() => trend.data?.rows ?? [], [trend.data]);
  const option = useMemo(
    () => (trend.data ? trendOption(rows, visible, { predictions: overlays.data?.predictions, anomalies: overlays.data?.anomalies }, dark) : null),
    [trend.data, rows, visible, overlays.data, dark],
  );
  const { ref } = useECharts(option, { theme: dark ? 'dark' : 'light' });
  return (
    <div className="stack">
      <div className="toolbar">
        <TagSelect value={tag} onChange={setTag} />
        <WindowSelect value={win} onChange={setWin} />
        <button type="button" className="btn" onClick={() => void trend.refetch()}>
          {t('refresh')}
        </button>
        <fieldset className="toggles" aria-label="series">
          {SERIES.map((k) => (
            <label key={k} className="toggle">
              <input type="checkbox" checked={visible[k]} onChange={(e) => setVisible({ ...visible, [k]: e.target.checked })} data-testid={`series-${k}`} />
              {t(`series.${k}`)}
            </label>
          ))}
        </fieldset>
        <StaleBadge stale={trend.data?.stale} servedAt={trend.data?.servedAt} />
      </div>
      {trend.isPending && tag ? <Loading /> : null}
      {trend.error ? <ErrorState error={trend.error} onRetry={() => void trend.refetch()} /> : null}
      <div ref={ref} className="chart" data-testid="trend-chart" data-points={rows.length} data-series={SERIES.filter((k) => visible[k]).join(',')} />
      {trend.data && (rows.length === 0 ? <Empty /> : (
        <section aria-labelledby="measure-title">
          <h2 id="measure-title">
            {t('table.measurement')} <span className="muted small">{t('table.rows', { n: rows.length })}</span>
          </h2>
          <div className="table-scroll">
            <table className="table" data-testid="trend-table">
              <thead>
                <tr>
                  <th className="num">{t('table.num')}</th>
                  <th>TAG</th>
                  <th>{t('table.time')}</th>
                  <th className="num">avg</th>
                  <th className="num">min</th>
                  <th className="num">max</th>
                  <th className="num">last</th>
                  <th className="num">first</th>
                  <th className="num">n</th>
                </tr>
              </thead>
              <tbody>
                {[...rows].reverse().map((r, i) => (
                  <tr key={r.bucket}>
                    <td className="num">{i + 1}</td>
                    <td>{r.tag_name}</td>
                    <td className="nowrap">{kst(r.bucket)}</td>
                    <td className="num">{fmtValue(r.avg, 2)}</td>
                    <td className="num">{fmtValue(r.min, 2)}</td>
                    <td className="num">{fmtValue(r.max, 2)}</td>
                    <td className="num">{fmtValue(r.last, 2)}</td>
                    <td className="num">{fmtValue(r.first, 2)}</td>
                    <td className="num">{r.n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  );
}
