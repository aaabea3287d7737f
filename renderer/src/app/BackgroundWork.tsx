/**
 * Background work every screen should know about (issue #18, the first start): the older demo telemetry days that
 * fill in after a demo station has started (`demo.backfill`). Shown in the top bar with a progress bar while it
 * runs; a console opened in the middle of it learns of it from `jobs.list`, then follows `job.progress` events.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { JobProgress } from '../../../main/api/events';
import { call, onEvent } from '../api/client';
import { jobMessageText } from '../lib/jobMessage';

/** the job kinds that have no screen of their own to show their progress */
const SHOWN = new Set(['demo.backfill']);

export function BackgroundWork() {
  const { t } = useTranslation();
  const [jobs, setJobs] = useState<Record<string, JobProgress>>({});
  useEffect(() => {
    let live = true;
    const put = (p: JobProgress) =>
      setJobs((cur) => {
        const next = { ...cur };
        if (p.state === 'running') next[p.jobId] = { ...cur[p.jobId], ...p, message: p.message ?? cur[p.jobId]?.message };
        else delete next[p.jobId];
        return next;
      });
    const off = onEvent('job.progress', (p) => {
      if (SHOWN.has(p.kind)) put(p);
    });
    call('jobs.list', {}).then(
      (list) => {
        if (live) for (const p of list) if (SHOWN.has(p.kind) && p.state === 'running') put(p);
      },
      () => undefined, // not signed in yet, or the backend is away: the events still arrive
    );
    return () => {
      live = false;
      off();
    };
  }, []);
  const running = Object.values(jobs);
  if (!running.length) return null;
  return (
    <span className="background-work" role="status" aria-live="polite" data-testid="background-work" title={t('job.backgroundTitle')}>
      {running.map((j) => (
        <span key={j.jobId} className="background-job" data-kind={j.kind}>
          {j.progress === null ? <span className="spinner" aria-hidden /> : <progress max={1} value={j.progress} aria-label={t('job.backgroundTitle')} />}
          <span className="small">{jobMessageText(t, j.message)}</span>
        </span>
      ))}
    </span>
  );
}
