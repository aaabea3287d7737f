/** Products screen, model tab: the memory bank and similarity index build (progress, cancel). */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { jobMessageText } from '../../../lib/jobMessage';
import { useQueryClient } from '@tanstack/react-query';
import { call, onEvent } from '../../../api/client';
import { ErrorState } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { JobProgress } from '../../../../../main/api/events';
import type { ProductRow } from '../../../../../main/api/types';

export function BankBuild({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const qc = useQueryClient();
  const [job, setJob] = useState<{ jobId: string; deploymentId: number } | null>(null);
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  useEffect(
    () =>
      onEvent('job.progress', (p) => {
        if (!job || p.jobId !== job.jobId) return;
        setProgress(p);
        if (p.state !== 'running') {
          void qc.invalidateQueries({ predicate: (q) => typeof q.queryKey[0] === 'string' && /^inspection\.(products|deployments|config\.preview|images)/.test(q.queryKey[0]) });
        }
      }),
    [job, qc],
  );
  const start = async () => {
    setErr(null);
    setProgress(null);
    try {
      const r = await call('inspection.bank.build', { productId: product.productId });
      setJob(r);
      setProgress({ jobId: r.jobId, kind: 'inspection.bank.build', progress: 0, state: 'running', message: t('model.starting') });
    } catch (e) {
      setErr(e as Error);
    }
  };
  const running = progress?.state === 'running';
  const pct = progress?.progress != null ? Math.round(progress.progress * 100) : null;
  return (
    <section className="card stack" aria-labelledby="bank-title">
      <h3 id="bank-title">{t('model.bank')}</h3>
      {product.bank ? (
        <p data-testid="bank-info">
          {t('model.bankInUse', { id: product.bank.deploymentId, at: fmtDateTime(product.bank.completedAt), n: product.bank.normalImages ?? '—', size: product.bank.bankSize ? product.bank.bankSize.join(' × ') : '—' })}
        </p>
      ) : (
        <p className="badge badge-stale">{t('noBank')}</p>
      )}
      <p className="muted small">{t('model.bankHelp')}</p>
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={running} data-testid="bank-build">
          {t('model.build')}
        </button>
        {running && job && (
          <button type="button" className="btn btn-danger" onClick={() => void call('jobs.cancel', { jobId: job.jobId }).catch((e: Error) => setErr(e))} data-testid="bank-cancel">
            {t('model.cancel')}
          </button>
        )}
      </div>
      {progress && (
        <div className="insp-progress-wrap" data-testid="bank-progress" data-state={progress.state}>
          <progress max={100} value={pct ?? undefined} aria-label={t('model.bank')} className="insp-progress" />
          <span className="small">
            {pct != null ? `${pct}% · ` : ''}
            {t(`model.states.${progress.state}`)} {progress.message ? `· ${jobMessageText(t, progress.message)}` : ''} {progress.error ? `· ${progress.error}` : ''}
          </span>
        </div>
      )}
      <ErrorState error={err} />
    </section>
  );
}
