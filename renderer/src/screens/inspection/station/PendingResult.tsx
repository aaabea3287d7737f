/**
 * A verdict the station answered but the database does not have yet (store and forward): the verdict, the score,
 * the defect type and the heatmap and overlay from this station's files, marked "waiting to upload" with the short
 * form of its UUID (decisions.md Plant 2). The station screen swaps it for the full result when the code arrives.
 */
import { useTranslation } from 'react-i18next';
import { useConnection } from '../../../stores/connection';
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
  // the verdict comes before the paperwork: with the database there, the code follows in a moment ("saving");
  // with it away, the result waits on this station's disk
  const saving = useConnection((s) => s.dbOk && s.transportUp);
  return (
    <article className="card stack insp-pending" data-testid="pending-result">
      <header className="row">
        <VerdictBadge defect={outcome.defect_detected} big />
        <span className={saving ? 'badge' : 'badge badge-stale'} role="status" data-testid="pending-badge">
          {saving ? t('pending.savingBadge') : t('pending.badge')}
        </span>
        <span className="mono muted" title={outcome.client_uuid}>
          {t('pending.id', { id: outcome.client_uuid.slice(0, 8) })}
        </span>
      </header>
      <p className="muted small">{saving ? t('pending.savingHelp') : t('pending.help')}</p>
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
