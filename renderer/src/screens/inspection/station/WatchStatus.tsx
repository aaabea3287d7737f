/** The station's watched-folder line: the product's folder, the queue's state, the last file, follow the line. */
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { onEvent } from '../../../api/client';
import { useCall } from '../../../api/hooks';
import { useReasonText } from '../../../app/ui';
import type { WatchQueueState } from '../../../../../main/api/types';
import { VerdictBadge } from '../common';
import { useInspectionPrefs } from '../store';

export function WatchStatus({ productCode }: { productCode: string | null }) {
  const { t } = useTranslation('inspection');
  const reasonText = useReasonText();
  const qc = useQueryClient();
  const q = useCall('inspection.queue.get', {}, { refetchInterval: 15_000 });
  const folders = useCall('inspection.watch.list', {}, { staleTime: 30_000 });
  const follow = useInspectionPrefs((s) => s.followLine);
  const setPrefs = useInspectionPrefs((s) => s.set);
  useEffect(() => onEvent('inspection.queue', (s: WatchQueueState) => qc.setQueryData(['inspection.queue.get', {}], s)), [qc]);
  const mine = folders.data?.find((f) => f.productCode === productCode);
  const s = q.data;
  return (
    <section className="card insp-watch" aria-labelledby="watch-title" data-testid="watch-status">
      <h2 id="watch-title">{t('watch.title')}</h2>
      {mine ? (
        <p className="small">
          <span className="mono">{mine.folderPath}</span> {mine.isEnabled ? '' : <span className="badge">{t('watch.disabled')}</span>}
          {!mine.reachable && <span className="badge badge-stale">{mine.problem}</span>}
        </p>
      ) : (
        <p className="muted small">{t('watch.none')}</p>
      )}
      {s && (
        <p className="small">
          {s.running ? t('watch.running', { folders: s.folders }) : t('watch.stopped')} · {t('watch.pending', { n: s.pending.length })}
          {s.processing && <> · {t('watch.processing', { file: s.processing.file })}</>} · {t('watch.done', { n: s.processed, failed: s.failed })}
        </p>
      )}
      {s?.last && (
        <p className="small">
          {t('watch.last')}: <span className="mono">{s.last.file}</span>{' '}
          {s.last.error ? (
            <span className="bad" title={s.last.error} data-testid="watch-last-error">
              {reasonText(s.last.errorReason) ?? s.last.error}
            </span>
          ) : (
            <VerdictBadge defect={s.last.defectDetected} />
          )}
        </p>
      )}
      <label className="toggle">
        <input type="checkbox" checked={follow} onChange={(e) => setPrefs({ followLine: e.target.checked })} data-testid="follow-line" />
        {t('watch.follow')}
      </label>
    </section>
  );
}
