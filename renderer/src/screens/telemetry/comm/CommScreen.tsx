import { useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { ErrorState, Loading } from '../../../app/ui';
import { addDays, commColor, heatmapModel, kst, type HeatCell } from '../options';
import { StaleBadge, TagSelect } from '../common';
import { plantToday } from '../../../lib/time';
import '../../../app/habits.css';

// days and hours of the heatmap are Seoul's (the server counts the grid from 00:00 KST with tz 'Asia/Seoul')
const todaySeoul = () => plantToday();

export function CommScreen() {
  const { t } = useTranslation('telemetry');
  const { t: th } = useTranslation('habits');
  const [tag, setTag] = useState('');
  const [start, setStart] = useState(() => addDays(todaySeoul(), -29));
  const [sel, setSel] = useState<{ hour: number; day: number } | null>(null);
  const [focus, setFocus] = useState({ hour: 0, day: 29 });
  const gridRef = useRef<HTMLDivElement>(null);
  const comm = useCall('telemetry.comm', { tag, startDate: start, tz: 'Asia/Seoul' }, { enabled: Boolean(tag), retry: false });
  const model = useMemo(() => (comm.data ? heatmapModel(comm.data.cells, start) : null), [comm.data, start]);
  const cell: HeatCell | null = sel && model ? model.grid[sel.hour][sel.day] : null;

  const moveFocus = (hour: number, day: number) => {
    const h = Math.max(0, Math.min(23, hour));
    const d = Math.max(0, Math.min(29, day));
    setFocus({ hour: h, day: d });
    gridRef.current?.querySelector<HTMLButtonElement>(`[data-h="${h}"][data-d="${d}"]`)?.focus();
  };
  const onKey = (e: React.KeyboardEvent) => {
    const k: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (k[e.key]) {
      e.preventDefault();
      moveFocus(focus.hour + k[e.key][0], focus.day + k[e.key][1]);
    } else if (e.key === 'Home') moveFocus(focus.hour, 0);
    else if (e.key === 'End') moveFocus(focus.hour, 29);
  };

  return (
    <div className="stack">
      <div className="toolbar">
        <TagSelect value={tag} onChange={setTag} />
        <label className="inline-field">
          {th('comm.startKst')}
          <input type="date" value={start} onChange={(e) => e.target.value && setStart(e.target.value)} data-testid="comm-start" />
        </label>
        <button type="button" className="btn" onClick={() => setStart(addDays(start, -1))}>
          ‹ {t('comm.prev')}
        </button>
        <button type="button" className="btn" onClick={() => setStart(addDays(start, 1))}>
          {t('comm.next')} ›
        </button>
        <button type="button" className="btn" onClick={() => setStart(addDays(todaySeoul(), -29))}>
          {t('comm.recent')}
        </button>
        <button type="button" className="btn" onClick={() => void comm.refetch()}>
          {t('refresh')}
        </button>
        <StaleBadge stale={comm.data?.stale} servedAt={comm.data?.servedAt} />
      </div>
      {comm.data && !comm.data.has_expectation && <p className="muted">{t('comm.noExpectation')}</p>}
      {comm.isPending && tag ? <Loading /> : null}
      {comm.error ? <ErrorState error={comm.error} onRetry={() => void comm.refetch()} /> : null}
      {model && comm.data && (
        <div className="comm-layout">
          <div className="heatmap" role="grid" aria-label={`${tag} ${t('tabs.comm')}`} ref={gridRef} onKeyDown={onKey} data-testid="heatmap">
            <div className="hm-row hm-head" role="row">
              <span className="hm-label" role="columnheader">
                {th('comm.hourKst')}
              </span>
              {model.days.map((d, i) => (
                <span key={d} role="columnheader" className="hm-day">
                  {i % 3 === 0 ? d : ''}
                </span>
              ))}
            </div>
            {model.grid.map((row, h) => (
              <div key={h} className="hm-row" role="row">
                <span className="hm-label" role="rowheader">
                  {String(h).padStart(2, '0')}
                </span>
                {row.map((c, d) => {
                  const color = c ? commColor(c.success_rate, comm.data.slo_warn, comm.data.slo_crit) : null;
                  const label = c ? `${kst(c.bucket_utc, false)} KST: ${c.success_rate === null ? t('comm.noData') : `${(c.success_rate * 100).toFixed(1)}%`}` : t('comm.noData');
                  return (
                    <button
                      key={d}
                      type="button"
                      role="gridcell"
                      className={`hm-cell${color ? '' : ' hm-nodata'}${sel?.hour === h && sel?.day === d ? ' hm-selected' : ''}`}
                      style={color ? { background: color } : undefined}
                      tabIndex={focus.hour === h && focus.day === d ? 0 : -1}
                      data-h={h}
                      data-d={d}
                      aria-label={label}
                      title={label}
                      onFocus={() => setFocus({ hour: h, day: d })}
                      onClick={() => setSel({ hour: h, day: d })}
                    />
                  );
                })}
              </div>
            ))}
          </div>
          <aside className="stack comm-side">
            <div className="card" data-testid="cell-details" aria-live="polite">
              <h2>{t('comm.cell')}</h2>
              {cell ? (
                <dl className="kv">
                  <dt>{t('latest.time')}</dt>
                  <dd>{t('comm.cellTime', { kst: kst(cell.bucket_utc, false), utc: cell.bucket_utc.slice(0, 13) })}</dd>
                  <dt>{t('comm.rate')}</dt>
                  <dd data-testid="cell-rate">{cell.success_rate === null ? t('comm.noData') : `${(cell.success_rate * 100).toFixed(1)}%`}</dd>
                  <dt>{t('comm.recvExp')}</dt>
                  <dd>
                    {cell.recv_msgs ?? '—'} / {cell.exp_msgs}
                  </dd>
                  <dt>{t('comm.missing')}</dt>
                  <dd>{cell.missing_msgs ?? '—'}</dd>
                  <dt>{t('comm.lastSeen')}</dt>
                  <dd>{kst(cell.last_seen_min, false)}</dd>
                </dl>
              ) : (
                <p className="muted">{t('comm.pickCell')}</p>
              )}
            </div>
            <div className="card comm-outages" data-testid="outages-card">
              <h2>{t('comm.outages')}</h2>
              {comm.data.outages.length === 0 ? (
                <p className="muted">{t('comm.noOutages')}</p>
              ) : (
                // the side column is 320 px: the times wrap between date and hour, and a wider table scrolls inside the card
                <div className="comm-outages-scroll" data-testid="outages-scroll">
                <table className="table" data-testid="outages">
                  <thead>
                    <tr>
                      <th>{t('comm.from')}</th>
                      <th>{t('comm.to')}</th>
                      <th className="num">{t('comm.hours')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {comm.data.outages.map((o) => (
                      <tr key={o.start_ts_utc}>
                        <td className="comm-when">{kst(o.start_ts_utc, false)}</td>
                        <td className="comm-when">{kst(o.end_ts_utc, false)}</td>
                        <td className="num">{o.hours}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                </div>
              )}
            </div>
            <div className="legend" aria-label={t('comm.legend')}>
              {[['#009e73', '≥ 99.9%'], ['#56b4a0', `≥ ${(comm.data.slo_warn * 100).toFixed(0)}%`], ['#e69f00', `≥ ${(comm.data.slo_crit * 100).toFixed(0)}%`], ['#d55e00', `< ${(comm.data.slo_crit * 100).toFixed(0)}%`], ['#a63603', `< ${(comm.data.slo_crit * 50).toFixed(0)}%`]].map(([c, l]) => (
                <span key={l}>
                  <i style={{ background: c }} /> {l}
                </span>
              ))}
              <span>
                <i className="hm-nodata" /> {t('comm.noData')}
              </span>
            </div>
          </aside>
        </div>
      )}
    </div>
  );
}
