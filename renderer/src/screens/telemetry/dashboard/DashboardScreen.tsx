import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import type { KpiTile } from '../../../../../main/api/types';
import { deltaView, fmtValue, gaugeArcs, kst, statusColor } from '../options';
import { StaleBadge, WindowSelect, useLiveTelemetry, type WindowName } from '../common';

function Gauge({ pct, level }: { pct: number | null; level: number | null }) {
  const g = gaugeArcs(pct);
  return (
    <svg viewBox="0 0 100 90" className="gauge" role="img" aria-label={`${g.clamped.toFixed(0)}%`}>
      <path d={g.track} className="gauge-track" />
      {g.value && <path d={g.value} stroke={statusColor(level)} className="gauge-value" />}
      <text x="50" y="60" textAnchor="middle" className="gauge-text">
        {pct === null ? '—' : `${g.clamped.toFixed(0)}%`}
      </text>
    </svg>
  );
}

export function KpiTileView({ tile }: { tile: KpiTile }) {
  const { t } = useTranslation('telemetry');
  const d = deltaView(tile.delta_pct);
  return (
    <article className={`tile tile-level-${tile.status_level ?? 'none'}`} aria-label={tile.tag_name} data-testid={`tile-${tile.tag_name}`}>
      <header className="tile-head">
        <h3>{tile.tag_name}</h3>
        {tile.range_label && <span className="badge">{tile.range_label}</span>}
      </header>
      <div className="tile-body">
        <div>
          <div className="tile-value" data-testid="tile-value">
            {fmtValue(tile.value)}
          </div>
          <div className="muted small">{kst(tile.ts)}</div>
          <div className={`delta delta-${d.tone}`}>
            {d.arrow} {d.text} <span className="muted small">{t(`tile.delta.${d.tone}`)}</span>
          </div>
        </div>
        <Gauge pct={tile.gauge_pct} level={tile.status_level} />
      </div>
      <dl className="mini-stats">
        {(['count', 'min', 'max', 'first', 'last'] as const).map((k) => (
          <div key={k}>
            <dt>{t(`tile.${k}`)}</dt>
            <dd>{k === 'count' ? tile.count : fmtValue(tile[k], 2)}</dd>
          </div>
        ))}
      </dl>
      {tile.status_level !== null && <span className="sr-only">{t(`levels.${tile.status_level}`)}</span>}
    </article>
  );
}

export function DashboardScreen() {
  const { t } = useTranslation('telemetry');
  const [win, setWin] = useState<WindowName>('5m');
  useLiveTelemetry();
  const kpi = useCall('telemetry.kpi', { window: win }, { refetchInterval: 10_000, retry: false });
  const latest = useCall('telemetry.latest', {}, { refetchInterval: 10_000, retry: false });
  return (
    <div className="stack">
      <div className="toolbar">
        <WindowSelect value={win} onChange={setWin} />
        {kpi.data && <span className="muted">{t('bucket')}: {kpi.data.bucket}</span>}
        <StaleBadge stale={kpi.data?.stale || latest.data?.stale || Boolean(kpi.error) || Boolean(latest.error)} servedAt={kpi.data?.servedAt} />
      </div>
      {kpi.isPending ? <Loading /> : kpi.error && !kpi.data ? <ErrorState error={kpi.error} onRetry={() => void kpi.refetch()} /> : null}
      {kpi.data && (kpi.data.tiles.length === 0 ? <Empty /> : (
        <div className="tiles" data-testid="kpi-tiles">
          {kpi.data.tiles.map((tile) => (
            <KpiTileView key={tile.tag_name} tile={tile} />
          ))}
        </div>
      ))}
      <section aria-labelledby="latest-title">
        <h2 id="latest-title">{t('latest.title')}</h2>
        {latest.isPending ? (
          <Loading />
        ) : latest.error && !latest.data ? (
          <ErrorState error={latest.error} onRetry={() => void latest.refetch()} />
        ) : latest.data ? (
          <table className="table" aria-label={t('latest.title')} data-testid="latest-table">
            <thead>
              <tr>
                <th>{t('latest.tag')}</th>
                <th>{t('latest.time')}</th>
                <th className="num">{t('latest.value')}</th>
                <th>{t('latest.comm')}</th>
                <th>{t('latest.alarm')}</th>
              </tr>
            </thead>
            <tbody>
              {latest.data.rows.map((r) => (
                <tr key={r.tag_name}>
                  <td>{r.tag_name}</td>
                  <td className="nowrap">{kst(r.ts)}</td>
                  <td className="num">{fmtValue(r.value, 2)}</td>
                  <td>
                    <span className={`dot comm-${r.comm}`} aria-hidden /> {t(`latest.${r.comm}`, { defaultValue: r.comm })}
                  </td>
                  <td>
                    <span className="dot" style={{ background: statusColor(r.alarm) }} aria-hidden /> {t(`levels.${r.alarm}`)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
