/** Products screen, model tab: the model folders in use, the bank build, thresholds and the deployments. */
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { ProductRow } from '../../../../../main/api/types';
import { fmtMs } from '../logic';
import { BankBuild } from './BankBuild';
import { Thresholds } from './Thresholds';

export function ModelPanel({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const models = useCall('inspection.models.status', {}, { staleTime: 60_000 });
  const deps = useCall('inspection.deployments.list', { productId: product.productId, limit: 10 });
  return (
    <div className="stack">
      <section className="card" aria-labelledby="models-title">
        <h3 id="models-title">{t('model.folders')}</h3>
        {models.data ? (
          <dl className="kv" data-testid="model-folders">
            <dt>{t('model.backbone')}</dt>
            <dd>{models.data.backbone ? <>{models.data.backbone.name} <span className="mono small muted">{models.data.backbone.dir}</span></> : '—'}</dd>
            <dt>{t('model.embedding')}</dt>
            <dd>{models.data.embedding ? <>{models.data.embedding.name} <span className="mono small muted">{models.data.embedding.dir}</span></> : '—'}</dd>
            {models.data.problem && (
              <>
                <dt>{t('model.problem')}</dt>
                <dd className="warn">{models.data.problem}</dd>
              </>
            )}
          </dl>
        ) : models.error ? (
          <ErrorState error={models.error} />
        ) : (
          <Loading />
        )}
      </section>
      <BankBuild product={product} />
      <Thresholds product={product} />
      <section aria-labelledby="deps-title">
        <h3 id="deps-title">{t('model.deployments')}</h3>
        {deps.data && (
          <table className="table">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('model.status')}</th>
                <th>{t('model.created')}</th>
                <th>{t('model.duration')}</th>
                <th>{t('model.by')}</th>
                <th>{t('model.summary')}</th>
              </tr>
            </thead>
            <tbody>
              {deps.data.map((d) => {
                const s = d.resultSummary as { bank_size?: number[]; normal_images?: number; calibration?: { heldOutBelowBoundary?: number; notes?: string[] } } | null;
                const ms = d.startedAt && d.completedAt ? Date.parse(d.completedAt) - Date.parse(d.startedAt) : null;
                return (
                  <tr key={d.deploymentId}>
                    <td>{d.deploymentId}</td>
                    <td>
                      <span className={`badge insp-dep-${d.status}`}>{t(`model.depStates.${d.status}`)}</span>
                    </td>
                    <td className="nowrap">{fmtDateTime(d.createdAt)}</td>
                    <td>{fmtMs(ms)}</td>
                    <td>{d.deployedBy ?? '—'}</td>
                    <td className="small">
                      {s?.bank_size ? `${s.bank_size.join('×')} · ${t('model.normalsN', { n: s.normal_images ?? 0 })}` : (d.errorMessage ?? '')}
                      {s?.calibration?.heldOutBelowBoundary != null && ` · ${t('model.heldOut', { v: (s.calibration.heldOutBelowBoundary * 100).toFixed(0) })}`}
                      {s?.calibration?.notes?.length ? <div className="warn">{s.calibration.notes.join('; ')}</div> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
