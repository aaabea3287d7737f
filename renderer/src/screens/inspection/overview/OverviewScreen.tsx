/** Overview: the design's dashboard_stats per product, defect rate per day and per defect type, pending actions. */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useCall } from '../../../api/hooks';
import { useECharts } from '../../../charts/useECharts';
import { ChartPngButton } from '../../../charts/ChartPngButton';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { StationsScreen } from '../../admin/stations/StationsScreen';
import { ProductSelect, SeverityBadge, useDark, useFontGlyphs, useInspectionLive } from '../common';
import { defectName, defectRateOption, defectTypeOption, fmtPct, mergeSharesByCode, totals } from '../logic';

const RANGES = [7, 14, 30, 90] as const;

export function OverviewScreen() {
  const { t, i18n } = useTranslation('inspection');
  const dark = useDark();
  useInspectionLive();
  const [productId, setProductId] = useState<number | null>(null);
  const [days, setDays] = useState<(typeof RANGES)[number]>(30);
  // the range ends at the next whole hour, so the query key (and the cache) stays put within an hour
  const [to] = useState(() => new Date(Math.ceil(Date.now() / 3600_000) * 3600_000).toISOString());
  const from = new Date(Date.parse(to) - days * 86_400_000).toISOString();
  const range = { productId: productId ?? undefined, from, to };
  const products = useCall('inspection.products.list', {});
  const stats = useCall('inspection.dashboard.stats', {});
  const rate = useCall('inspection.dashboard.defectRate', range);
  const types = useCall('inspection.dashboard.defectTypes', range);
  const pending = useCall('inspection.actions.pending', { productId: productId ?? undefined, limit: 50 });

  const shares = useMemo(() => (types.data ? (productId == null ? mergeSharesByCode(types.data) : types.data) : null), [types.data, productId]);
  // the canvas needs the Korean glyphs loaded before it draws the labels
  const glyphs = useFontGlyphs(
    [t('overview.inspections'), t('overview.defects'), t('overview.rate'), t('overview.unclassified'), ...(shares ?? []).map((s) => s.defectNameKo ?? '')].join(''),
  );
  const rateOpt = useMemo(
    () => (rate.data ? { ...defectRateOption(rate.data, { total: t('overview.inspections'), defects: t('overview.defects'), rate: t('overview.rate') }, dark), glyphs } : null),
    [rate.data, t, dark, glyphs],
  );
  const typeOpt = useMemo(() => (shares ? { ...defectTypeOption(shares, i18n.language, t('overview.unclassified'), dark), glyphs } : null), [shares, i18n.language, t, dark, glyphs]);
  const { ref: rateRef, chart: rateChart } = useECharts(rateOpt, { theme: dark ? 'dark' : 'light' });
  const { ref: typeRef, chart: typeChart } = useECharts(typeOpt, { theme: dark ? 'dark' : 'light' });

  const rows = (stats.data ?? []).filter((r) => productId == null || r.productId === productId);
  const sum = totals(rows);
  return (
    <div className="stack">
      <div className="toolbar">
        <ProductSelect products={products.data ?? []} value={productId} onChange={setProductId} allowAll testId="overview-product" />
        <label className="inline-field">
          {t('overview.range')}
          <select value={days} onChange={(e) => setDays(Number(e.target.value) as (typeof RANGES)[number])} data-testid="overview-range">
            {RANGES.map((d) => (
              <option key={d} value={d}>
                {t('overview.days', { n: d })}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="tiles insp-kpis" data-testid="overview-kpis">
        <div className="tile tile-level-none">
          <div className="muted">{t('overview.inspections')}</div>
          <div className="tile-value">{sum.total}</div>
        </div>
        <div className="tile tile-level-2">
          <div className="muted">{t('overview.detected')}</div>
          <div className="tile-value">{sum.detected}</div>
          <div className="muted small">{fmtPct(sum.rate)}</div>
        </div>
        <div className="tile">
          <div className="muted">{t('overview.resolved')}</div>
          <div className="tile-value">{sum.resolved}</div>
        </div>
        <div className="tile tile-level-1">
          <div className="muted">{t('overview.pending')}</div>
          <div className="tile-value" data-testid="overview-pending-count">
            {sum.pending}
          </div>
        </div>
      </div>
      <section aria-labelledby="stats-title">
        <h2 id="stats-title">{t('overview.perProduct')}</h2>
        {stats.isPending ? (
          <Loading />
        ) : stats.error ? (
          <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />
        ) : (
          <table className="table" data-testid="stats-table">
            <thead>
              <tr>
                <th>{t('product')}</th>
                <th className="num">{t('overview.normalImages')}</th>
                <th className="num">{t('overview.defectImages')}</th>
                <th className="num">{t('overview.inspections')}</th>
                <th className="num">{t('overview.detected')}</th>
                <th className="num">{t('overview.rate')}</th>
                <th className="num">{t('overview.resolved')}</th>
                <th className="num">{t('overview.pending')}</th>
                <th className="num">{t('overview.guideRating')}</th>
                <th>{t('overview.last')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.productId} data-testid={`stats-${r.productCode}`}>
                  <td>
                    <strong>{r.productCode}</strong> <span className="muted">{r.productName}</span>
                  </td>
                  <td className="num">{r.normalImageCount}</td>
                  <td className="num">{r.defectImageCount}</td>
                  <td className="num">{r.totalInspectionCount}</td>
                  <td className="num">{r.defectDetectedCount}</td>
                  <td className="num">{fmtPct(r.defectRate)}</td>
                  <td className="num">{r.resolvedCount}</td>
                  <td className="num">{r.pendingActionCount}</td>
                  <td className="num">{r.avgGuideRating == null ? '—' : `★ ${r.avgGuideRating.toFixed(2)}`}</td>
                  <td className="nowrap">{fmtDateTime(r.lastInspectionAt, false)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div className="insp-charts">
        <section aria-labelledby="rate-title">
          <div className="chart-head">
            <h2 id="rate-title">{t('overview.ratePerDay')}</h2>
            <ChartPngButton chart={rateChart} name={t('overview.ratePerDay')} testId="rate-png" />
          </div>
          <ErrorState error={rate.error} />
          <div ref={rateRef} className="chart insp-chart" data-testid="rate-chart" data-days={rate.data?.length ?? 0} role="img" aria-label={t('overview.ratePerDay')} />
        </section>
        <section aria-labelledby="types-title">
          <div className="chart-head">
            <h2 id="types-title">{t('overview.perType')}</h2>
            <ChartPngButton chart={typeChart} name={t('overview.perType')} testId="type-png" />
          </div>
          <ErrorState error={types.error} />
          <div ref={typeRef} className="chart insp-chart" data-testid="type-chart" data-types={shares?.length ?? 0} role="img" aria-label={t('overview.perType')} />
        </section>
      </div>
      <section aria-labelledby="pending-title">
        <h2 id="pending-title">
          {t('overview.pendingList')} <span className="badge">{pending.data?.length ?? 0}</span>
        </h2>
        {pending.isPending ? (
          <Loading />
        ) : pending.error ? (
          <ErrorState error={pending.error} />
        ) : !pending.data.length ? (
          <Empty>{t('overview.nothingPending')}</Empty>
        ) : (
          <table className="table" data-testid="pending-table">
            <thead>
              <tr>
                <th>{t('history.code')}</th>
                <th>{t('history.date')}</th>
                <th>{t('product')}</th>
                <th>{t('facts.defectType')}</th>
                <th>{t('facts.severity')}</th>
                <th>{t('history.inspector')}</th>
              </tr>
            </thead>
            <tbody>
              {pending.data.map((r) => (
                <tr key={r.inspectionId}>
                  <td className="mono">
                    <Link to={`/inspection/history/${r.inspectionId}`}>{r.inspectionCode}</Link>
                  </td>
                  <td className="nowrap">{fmtDateTime(r.inspectionDate)}</td>
                  <td>{r.productCode}</td>
                  <td>{defectName(r, i18n.language)}</td>
                  <td>
                    <SeverityBadge level={r.severityLevel} />
                  </td>
                  <td>{r.inspector ?? t('autoInspector')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="stations-title" data-testid="overview-stations">
        <h2 id="stations-title">{t('overview.stations')}</h2>
        <StationsScreen />
      </section>
    </div>
  );
}
