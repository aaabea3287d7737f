import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { useECharts } from '../../../charts/useECharts';
import { ChartPngButton } from '../../../charts/ChartPngButton';
import { usePrefs } from '../../../stores/prefs';
import { TECH_SERIES, fmtValue, techOption, type TechKey } from '../options';
import { BucketTable, SeriesToggles, StaleBadge, TagSelect, WindowSelect, type WindowName } from '../common';

export function TechScreen() {
  const { t } = useTranslation('telemetry');
  const dark = usePrefs((s) => s.theme) === 'dark';
  // legend and tooltip name the series in the operator's language (t changes with the language)
  const seriesLabel = useCallback((k: string) => t(`series.${k}`), [t]);
  const [tag, setTag] = useState('');
  const [win, setWin] = useState<WindowName>('60m');
  const [visible, setVisible] = useState<Record<TechKey, boolean>>({ avg: true, sma_10: true, sma_60: true, bb_top: true, bb_bot: true });
  const tech = useCall('telemetry.tech', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const rows = useMemo(() => tech.data?.rows ?? [], [tech.data]);
  const option = useMemo(() => (tech.data ? techOption(rows, visible, dark, seriesLabel) : null), [tech.data, rows, visible, dark, seriesLabel]);
  const { ref, chart } = useECharts(option, { theme: dark ? 'dark' : 'light' });
  const { t: th } = useTranslation('habits');
  return (
    <div className="stack">
      <div className="toolbar">
        <TagSelect value={tag} onChange={setTag} />
        <WindowSelect value={win} onChange={setWin} />
        <button type="button" className="btn" onClick={() => void tech.refetch()}>
          {t('refresh')}
        </button>
        <SeriesToggles keys={TECH_SERIES} visible={visible} onChange={setVisible} label={t('toggles.indicators')} testIdPrefix="tech" />
        <StaleBadge stale={tech.data?.stale} servedAt={tech.data?.servedAt} />
        <ChartPngButton chart={chart} name={`${tag} ${th('charts.tech')}`} testId="tech-png" />
      </div>
      {tech.isPending && tag ? <Loading /> : null}
      {tech.error ? <ErrorState error={tech.error} onRetry={() => void tech.refetch()} /> : null}
      <div ref={ref} className="chart" data-testid="tech-chart" data-points={rows.length} />
      {tech.data && (rows.length === 0 ? <Empty /> : (
        <BucketTable
          rows={rows}
          title={t('table.indicators')}
          testId="tech-table"
          columns={[...TECH_SERIES.map((k) => ({ key: k, cell: (r: (typeof rows)[number]) => fmtValue(r[k], 2) })), { key: 'slope_60', cell: (r) => fmtValue(r.slope_60, 3) }]}
        />
      ))}
    </div>
  );
}
