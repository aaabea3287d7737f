/**
 * A verdict the station answered but the database does not have yet (store and forward): the verdict, the score,
 * the defect type and the heatmap and overlay from this station's files, marked "waiting to upload" with the short
 * form of its UUID (decisions.md Plant 2). The station screen swaps it for the full result when the code arrives.
 */
import { useTranslation } from 'react-i18next';
import type { InspectOutcome } from '../../../../../main/inspection/types';
import { useStoredImage, VerdictBadge } from '../common';
import { fmtMs } from '../logic';
import { ActionPanel } from '../result/ActionPanel';

function Picture({ path, alt }: { path: string | null; alt: string }) {
  const { url } = useStoredImage(path);
  return url ? <img src={url} alt={alt} className="insp-pending-img" /> : null;
}

export function PendingResult({ outcome, latencyMs }: { outcome: InspectOutcome; latencyMs: number | null }) {
  const { t } = useTranslation('inspection');
  return (
    <article className="card stack insp-pending" data-testid="pending-result">
      <header className="row">
        <VerdictBadge defect={outcome.defect_detected} big />
        <span className="badge badge-stale" role="status" data-testid="pending-badge">
          {t('pending.badge')}
        </span>
        <span className="mono muted" title={outcome.client_uuid}>
          {t('pending.id', { id: outcome.client_uuid.slice(0, 8) })}
        </span>
      </header>
      <p className="muted small">{t('pending.help')}</p>
      <dl className="kv">
        <dt>{t('pending.score')}</dt>
        <dd className="mono">{outcome.anomaly_score.toFixed(3)}</dd>
        {outcome.defect_type_name_ko && (
          <>
            <dt>{t('pending.defectType')}</dt>
            <dd>{outcome.defect_type_name_ko}</dd>
          </>
        )}
        {latencyMs != null && (
          <>
            <dt>{t('pending.time')}</dt>
            <dd>{fmtMs(latencyMs)}</dd>
          </>
        )}
      </dl>
      <div className="row insp-pending-pics">
        <Picture path={outcome.artifacts.overlay} alt={t('pending.overlay')} />
        <Picture path={outcome.artifacts.heatmap} alt={t('pending.heatmap')} />
      </div>
      <ActionPanel target={{ clientUuid: outcome.client_uuid }} />
    </article>
  );
}
