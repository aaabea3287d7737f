/** One cylinder: FCMS raw values beside the dashboard values, and the rule or exception that decided each one. */
import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { ActiveBadge, Any, StatusBadge, useIsManager } from '../common';

const TIMES = ['move_date', 'last_event_at', 'source_updated_at', 'snapshot_updated_at'] as const;

function Cell({ v }: { v: string | null }) {
  const { t } = useTranslation('cylinders');
  if (v === null) return <span className="muted">—</span>;
  if (v === '') return <span className="muted cy-none">{t('none')}</span>;
  return <>{v}</>;
}

export function DetailPanel({ cylinderNo, onClose }: { cylinderNo: string; onClose: () => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const isManager = useIsManager();
  const q = useCall('cylinders.detail', { cylinderNo }, { retry: false });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [cylinderNo]);
  const d = q.data;
  const snap = (d?.snapshot ?? d?.computed ?? {}) as Record<string, unknown>;
  return (
    <aside className="cy-detail card" aria-labelledby="cy-detail-title" data-testid="detail" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <header className="cy-detail-head">
        <h2 id="cy-detail-title" tabIndex={-1} ref={heading} className="mono">
          {cylinderNo}
        </h2>
        {d && (
          <span className={`badge ${d.inSync ? 'cy-on' : 'badge-stale'}`} data-testid="detail-sync" title={d.staleColumns.join(', ')}>
            {d.inSync ? t('detail.inSync') : `⚠ ${t('detail.stale', { cols: d.staleColumns.join(', ') })}`}
          </span>
        )}
        <button type="button" className="btn btn-ghost cy-close" onClick={onClose} aria-label={tc('common.close')} data-testid="detail-close">
          ✕
        </button>
      </header>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={q.error.kind === 'not_found' ? undefined : () => void q.refetch()} />
      ) : d ? (
        <div className="stack cy-detail-body">
          {!d.inFcms && <div className="state state-error">{t('detail.notInFcms')}</div>}
          {!d.inSnapshot && <div className="state state-error">{t('detail.notInSnapshot')}</div>}
          <div className="cy-detail-summary">
            <StatusBadge status={String(snap.dashboard_status ?? '')} />
            <span>
              {t('col.enduser')}: <strong data-testid="detail-enduser">{d.enduser.value}</strong>{' '}
              <span className={`badge cy-src-${d.enduser.source}`} data-testid="detail-source">
                {t(`source.${d.enduser.source}`)}
              </span>
            </span>
            <span className={snap.is_available ? 'ok' : 'muted'}>{snap.is_available ? t('available') : t('unavailable')}</span>
          </div>
          <table className="table cy-compare" data-testid="detail-fields" aria-label={t('detail.compare')}>
            <thead>
              <tr>
                <th scope="col">{t('detail.field')}</th>
                <th scope="col">{t('detail.raw')}</th>
                <th scope="col">{t('detail.dashboard')}</th>
                <th scope="col">{t('detail.why')}</th>
              </tr>
            </thead>
            <tbody>
              {d.fields.map((f) => (
                <tr key={f.field} className={f.differs ? 'cy-diff' : undefined} data-field={f.field} data-differs={f.differs}>
                  <th scope="row">
                    {t(`field.${f.field}`, { defaultValue: f.label })}
                    {f.differs && (
                      <span className="cy-diff-mark" title={t('detail.differs')} aria-label={t('detail.differs')}>
                        {' '}
                        ≠
                      </span>
                    )}
                  </th>
                  <td data-testid={`raw-${f.field}`}>
                    <Cell v={f.raw} />
                  </td>
                  <td data-testid={`dash-${f.field}`}>
                    <strong>
                      <Cell v={f.dashboard} />
                    </strong>
                  </td>
                  <td className="small cy-reason" data-testid={`why-${f.field}`}>
                    {t(`why.${f.why.key}`, { ...f.why.params, defaultValue: f.reason })}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>

          <section aria-labelledby="cy-eu-title">
            <h3 id="cy-eu-title">{t('detail.enduserRules')}</h3>
            {d.enduser.exception && (
              <p className="cy-exc" data-testid="detail-exception">
                {t('detail.exception', { id: d.enduser.exception.id, enduser: d.enduser.exception.enduser })} <ActiveBadge active={d.enduser.exception.isActive} />
                {d.enduser.exception.reason && <span className="muted"> — “{d.enduser.exception.reason}”</span>}
              </p>
            )}
            {d.enduser.candidates.length === 0 ? (
              <p className="muted">{t('detail.noRules')}</p>
            ) : (
              <table className="table small" data-testid="detail-rules">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>{t('col.capacity')}</th>
                    <th>{t('rules.valveCode')}</th>
                    <th>{t('rules.specCode')}</th>
                    <th>{t('col.enduser')}</th>
                    <th>{t('rules.state')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.enduser.candidates.map((r) => (
                    <tr key={String(r.id)} className={r.winner ? 'cy-winner' : undefined}>
                      <td>
                        {String(r.id)}
                        {r.winner ? <strong className="ok"> ✓ {t('detail.winner')}</strong> : null}
                      </td>
                      <td>
                        <Any v={r.capacity as string | null} />
                      </td>
                      <td>
                        <Any v={r.valveSpecCode as string | null} />
                      </td>
                      <td>
                        <Any v={r.cylinderSpecCode as string | null} />
                      </td>
                      <td>{String(r.defaultEnduser)}</td>
                      <td>
                        <ActiveBadge active={Boolean(r.isActive)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {isManager && d.inFcms && !d.enduser.exception && (
              <Link className="btn" to={`/cylinders/policies/exceptions?add=${encodeURIComponent(d.cylinderNo)}`} data-testid="detail-add-exception">
                + {t('detail.addException')}
              </Link>
            )}
          </section>

          <section aria-labelledby="cy-key-title">
            <h3 id="cy-key-title">{t('detail.typeKey')}</h3>
            <dl className="kv small">
              <dt>{t('detail.dashboard')}</dt>
              <dd>
                <span className="mono">{d.typeKey.key}</span>
                <br />
                <span className="mono muted">{d.typeKey.input}</span>
              </dd>
              <dt>{t('detail.raw')}</dt>
              <dd>
                <span className="mono">{d.typeKey.rawKey}</span>
                <br />
                <span className="mono muted">{d.typeKey.rawInput}</span>
              </dd>
              {TIMES.map((k) => (
                <div key={k} className="cy-kv-pair">
                  <dt>{t(`detail.${k}`)}</dt>
                  <dd>{fmtDateTime(snap[k] as string | null)}</dd>
                </div>
              ))}
            </dl>
          </section>

          {d.fcms && (
            <details>
              <summary>{t('detail.fcmsRecord')}</summary>
              <dl className="kv small mono">
                {Object.entries(d.fcms).map(([k, v]) => (
                  <div key={k} className="cy-kv-pair">
                    <dt>{k}</dt>
                    <dd>{v === null ? '—' : String(v)}</dd>
                  </div>
                ))}
              </dl>
            </details>
          )}
        </div>
      ) : null}
    </aside>
  );
}
