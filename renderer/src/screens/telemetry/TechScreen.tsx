import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../api/hooks';
import { Empty, ErrorState, Loading } from '../../app/ui';
import { useECharts } from '../../charts/useECharts';
import { usePrefs } from '../../stores/prefs';
import { TECH_SERIES, fmtValue, kst, techOption, type TechKey } from './options';
import { StaleBadge, TagSelect, WindowSelect, type WindowName } from './common';

export function TechScreen() {
  const { t } = useTranslation('telemetry');
  const dark = usePrefs((s) => s.theme) === 'dark';
  const [tag, setTag] = useState('');
  const [win, setWin] = useState<WindowName>('60m');
  const [visible, setVisible] = useState<Record<TechKey, boolean>>({ avg: true, sma_10: true, sma_60: true, bb_top: true, bb_bot: true });
  const tech = useCall('telemetry.tech', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const rows = useMemo(() => tech.data?.rows ?? [], [tech.data]);
  const option = useMemo(() => (tech.data ? techOption(rows, visible, dark) : null), [tech.data, rows, visible, dark]);
  const { ref } = useECharts(option, { theme: dark ? 'dark' : 'light' });
  return (
    <div className="stack">
      <div className="toolbar">
        <TagSelect value={tag} onChange={setTag} />
        <WindowSelect value={win} onChange={setWin} />
        <button type="button" className="btn" onClick={() => void tech.refetch()}>
          {t('refresh')}
        </button>
        <fieldset className="toggles" aria-label="legend">
          {TECH_SERIES.map((k) => (
            <label key={k} className="toggle">
              <input type="checkbox" checked={visible[k]} onChange={(e) => setVisible({ ...visible, [k]: e.target.checked })} data-testid={`tech-${k}`} />
              {t(`series.${k}`)}
            </label>
          ))}
        </fieldset>
        <StaleBadge stale={tech.data?.stale} servedAt={tech.data?.servedAt} />
      </div>
      {tech.isPending && tag ? <Loading /> : null}
      {tech.error ? <ErrorState error={tech.error} onRetry={() => void tech.refetch()} /> : null}
      <div ref={ref} className="chart" data-testid="tech-chart" data-points={rows.length} />
      {tech.data && (rows.length === 0 ? <Empty /> : (
        <section aria-labelledby="ind-title">
          <h2 id="ind-title">
            {t('table.indicators')} <span className="muted small">{t('table.rows', { n: rows.length })}</span>
          </h2>
          <div className="table-scroll">
            <table className="table" data-testid="tech-table">
              <thead>
                <tr>
                  <th className="num">{t('table.num')}</th>
                  <th>TAG</th>
                  <th>{t('table.time')}</th>
                  <th className="num">avg</th>
                  <th className="num">sma_10</th>
                  <th className="num">sma_60</th>
                  <th className="num">bb_top</th>
                  <th className="num">bb_bot</th>
                  <th className="num">slope_60</th>
                </tr>
              </thead>
              <tbody>
                {[...rows].reverse().map((r, i) => (
                  <tr key={r.bucket}>
                    <td className="num">{i + 1}</td>
                    <td>{r.tag_name}</td>
                    <td className="nowrap">{kst(r.bucket)}</td>
                    <td className="num">{fmtValue(r.avg, 2)}</td>
                    <td className="num">{fmtValue(r.sma_10, 2)}</td>
                    <td className="num">{fmtValue(r.sma_60, 2)}</td>
                    <td className="num">{fmtValue(r.bb_top, 2)}</td>
                    <td className="num">{fmtValue(r.bb_bot, 2)}</td>
                    <td className="num">{fmtValue(r.slope_60, 3)}</td>
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
