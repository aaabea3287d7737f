import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { useECharts } from '../../../charts/useECharts';
import { ChartPngButton } from '../../../charts/ChartPngButton';
import { ExportButtons, type ExportColumn } from '../../../components/ExportButtons';
import { usePrefs } from '../../../stores/prefs';
import { SERIES, fmtValue, kst, trendOption, type SeriesKey } from '../options';
import type { TrendRow } from '../../../../../main/api/types';
import { BucketTable, SeriesToggles, StaleBadge, TagSelect, WindowSelect, type WindowName } from '../common';

export function TrendScreen() {
  const { t } = useTranslation('telemetry');
  const dark = usePrefs((s) => s.theme) === 'dark';
  // legend and tooltip name the series in the operator's language (t changes with the language)
  const seriesLabel = useCallback((k: string) => t(`series.${k}`), [t]);
  const [tag, setTag] = useState('');
  const [win, setWin] = useState<WindowName>('5m');
  const [visible, setVisible] = useState<Record<SeriesKey, boolean>>({ avg: true, min: true, max: true, last: true, first: true });
  const trend = useCall('telemetry.trend', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const overlays = useCall('telemetry.predictions', { tag, window: win }, { enabled: Boolean(tag), retry: false });
  const rows = useMemo(() => trend.data?.rows ?? [], [trend.data]);
  const option = useMemo(
    () => (trend.data ? trendOption(rows, visible, { predictions: overlays.data?.predictions, anomalies: overlays.data?.anomalies }, dark, seriesLabel) : null),
    [trend.data, rows, visible, overlays.data, dark, seriesLabel],
  );
  const { ref, chart } = useECharts(option, { theme: dark ? 'dark' : 'light' });
  const { t: th } = useTranslation('habits');
  // the export holds what the table shows, newest first, with the table's headers
  const exportColumns = useMemo<ExportColumn<TrendRow>[]>(
    () => [
      { header: t('latest.tag'), value: (r) => r.tag_name },
      { header: `${t('table.time')} (KST)`, value: (r) => kst(r.bucket) },
      ...SERIES.map((k) => ({ header: t(`table.col.${k}`), value: (r: TrendRow) => r[k] })),
      { header: t('table.col.n'), value: (r) => r.n },
    ],
    [t],
  );
  const newestFirst = useMemo(() => [...rows].reverse(), [rows]);
  return (
    <div className="stack">
      <div className="toolbar">
        <TagSelect value={tag} onChange={setTag} />
        <WindowSelect value={win} onChange={setWin} />
        <button type="button" className="btn" onClick={() => void trend.refetch()}>
          {t('refresh')}
        </button>
        <SeriesToggles keys={SERIES} visible={visible} onChange={setVisible} label={t('toggles.series')} testIdPrefix="series" />
        <StaleBadge stale={trend.data?.stale} servedAt={trend.data?.servedAt} />
        <ChartPngButton chart={chart} name={`${tag} ${th('charts.trend')}`} testId="trend-png" />
        <ExportButtons name={`${tag} ${th('tables.trend')}`} columns={exportColumns} rows={newestFirst} testId="trend-export" />
      </div>
      {trend.isPending && tag ? <Loading /> : null}
      {trend.error ? <ErrorState error={trend.error} onRetry={() => void trend.refetch()} /> : null}
      <div ref={ref} className="chart" data-testid="trend-chart" data-points={rows.length} data-series={SERIES.filter((k) => visible[k]).join(',')} />
      {trend.data && (rows.length === 0 ? <Empty /> : (
        <BucketTable
          rows={rows}
          title={t('table.measurement')}
          testId="trend-table"
          columns={[...SERIES.map((k) => ({ key: k, cell: (r: (typeof rows)[number]) => fmtValue(r[k], 2) })), { key: 'n', cell: (r) => r.n }]}
        />
      ))}
    </div>
  );
}
