/**
 * The snapshot's freshness (design §8): total cylinders, updated in the last hour, last update, per EndUser, and
 * the FCMS source state; managers can start a full resync (a job: progress arrives as `job.progress` events).
 */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import type { JobProgress } from '../../../../main/api/events';
import type { SyncResult } from '../../../../main/api/types';
import { call, onEvent, type CallError } from '../../api/client';
import { useCall } from '../../api/hooks';
import { fmtDateTime } from '../../lib/time';
import { jobMessageText } from '../../lib/jobMessage';
import { age, fmtInt } from './format';
import { invalidateCylinders, useIsManager } from './common';

function Age({ then, now }: { then: string | null; now: string }) {
  const { t } = useTranslation('cylinders');
  const a = age(then, now);
  return a ? <>{t(`age.${a.unit}`, { n: a.n })}</> : <>—</>;
}

function ResyncButton() {
  const { t } = useTranslation('cylinders');
  const qc = useQueryClient();
  const [job, setJob] = useState<JobProgress | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const jobId = useRef<string | null>(null);
  // events may arrive before the call returns its jobId: keep the latest per job
  const seen = useRef(new Map<string, JobProgress>());
  useEffect(
    () =>
      onEvent('job.progress', (p) => {
        if (p.kind !== 'cylinders.sync') return;
        seen.current.set(p.jobId, p);
        if (jobId.current === null || p.jobId === jobId.current) {
          setJob(p);
          if (p.state !== 'running') void invalidateCylinders(qc);
        }
      }),
    [qc],
  );
  const start = async () => {
    setError(null);
    setJob({ jobId: '', kind: 'cylinders.sync', progress: null, state: 'running', message: t('sync.starting') });
    try {
      const r = await call('cylinders.sync', {});
      jobId.current = r.jobId;
      const known = seen.current.get(r.jobId);
      if (known) {
        setJob(known);
        if (known.state !== 'running') void invalidateCylinders(qc);
      }
    } catch (e) {
      setJob(null);
      setError(e as CallError);
    }
  };
  const running = job?.state === 'running';
  const result = job?.state === 'completed' ? (job.result as SyncResult | undefined) : undefined;
  return (
    <div className="cy-resync">
      <button type="button" className="btn" onClick={() => void start()} disabled={running} data-testid="resync" title={t('sync.help')}>
        ⟳ {t('sync.button')}
      </button>
      <span role="status" aria-live="polite" className="small" data-testid="resync-status" data-state={job?.state ?? 'idle'}>
        {running && (
          <>
            {job.progress === null ? <span className="spinner cy-spinner-inline" aria-hidden /> : <progress max={1} value={job.progress} />} {jobMessageText(t, job.message)}
          </>
        )}
        {result && <span className="ok">{t('sync.done', { synced: fmtInt(result.synced), changed: fmtInt(result.changed), deleted: fmtInt(result.deleted), ms: fmtInt(result.ms) })}</span>}
        {job && (job.state === 'failed' || job.state === 'cancelled') && <span className="bad">{job.error ?? job.state}</span>}
        {error && <span className="bad">{error.message}</span>}
      </span>
    </div>
  );
}

export function FreshnessStrip() {
  const { t } = useTranslation('cylinders');
  const isManager = useIsManager();
  const q = useCall('cylinders.freshness', {}, { refetchInterval: 30_000, retry: false });
  const f = q.data;
  return (
    <section className="cy-fresh" aria-label={t('fresh.title')} data-testid="freshness">
      {q.isPending ? (
        <span className="muted small">{t('fresh.loading')}</span>
      ) : q.error && !f ? (
        <span className="bad small" role="alert">
          {t('fresh.error')}: {q.error.message}
        </span>
      ) : f ? (
        <>
          <div className="cy-fresh-item">
            <span className="cy-fresh-label">{t('fresh.total')}</span>
            <strong className="cy-fresh-num" data-testid="fresh-total">
              {fmtInt(f.total)}
            </strong>
          </div>
          <div className="cy-fresh-item">
            <span className="cy-fresh-label">{t('fresh.lastHour')}</span>
            <strong className="cy-fresh-num" data-testid="fresh-hour">
              {fmtInt(f.updatedLastHour)}
            </strong>
          </div>
          <div className="cy-fresh-item">
            <span className="cy-fresh-label">{t('fresh.lastUpdate')}</span>
            <strong title={fmtDateTime(f.lastUpdate)} data-testid="fresh-last">
              {fmtDateTime(f.lastUpdate, false)}
            </strong>
            <span className="muted small">
              <Age then={f.lastUpdate} now={f.now} />
            </span>
          </div>
          <ul className="cy-fresh-eu" aria-label={t('fresh.byEnduser')}>
            {f.byEnduser.map((e) => (
              <li key={e.enduser} title={`${t('fresh.lastUpdate')}: ${fmtDateTime(e.lastUpdate)}`} data-testid={`fresh-eu-${e.enduser}`}>
                <span className="cy-eu">{e.enduser || t('none')}</span> <strong>{fmtInt(e.qty)}</strong>
                <span className="muted small"> / {t('fresh.avail', { n: fmtInt(e.availableQty) })}</span>
              </li>
            ))}
          </ul>
          <span className={`badge ${f.source.note ? 'badge-stale' : 'cy-on'}`} title={f.source.note ?? ''} data-testid="fresh-source">
            {f.source.note ? `⚠ ${t('fresh.syncMissing')}` : t('fresh.syncOk', { n: fmtInt(f.source.fcmsCylinders ?? 0) })}
          </span>
          {f.source.note && <span className="warn small">{f.source.note}</span>}
          {q.error && <span className="badge badge-stale">⚠ {t('fresh.stale')}</span>}
        </>
      ) : null}
      {isManager && <ResyncButton />}
    </section>
  );
}
