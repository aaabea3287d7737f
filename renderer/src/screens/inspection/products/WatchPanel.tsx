/** Products screen, watch tab: the product's watched folder. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { ProductRow } from '../../../../../main/api/types';

export function WatchPanel({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const list = useCall('inspection.watch.list', {});
  const set = useCallMutation('inspection.watch.set', ['inspection.watch.list', 'inspection.queue.get']);
  const remove = useCallMutation('inspection.watch.remove', ['inspection.watch.list', 'inspection.queue.get']);
  const mine = list.data?.find((w) => w.productId === product.productId) ?? null;
  const [draft, setDraft] = useState<{ pid: number; path: string; enabled: boolean } | null>(null);
  const path = draft?.pid === product.productId ? draft.path : (mine?.folderPath ?? '');
  const enabled = draft?.pid === product.productId ? draft.enabled : (mine?.isEnabled ?? true);
  return (
    <section className="card stack" aria-labelledby="watch-cfg-title">
      <h3 id="watch-cfg-title">{t('watch.title')}</h3>
      <p className="muted small">{t('watch.help')}</p>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          set.mutate({ productId: product.productId, folderPath: path, isEnabled: enabled }, { onSuccess: () => setDraft(null) });
        }}
      >
        <label className="inline-field insp-grow">
          {t('watch.folder')}
          <input className="insp-grow mono" value={path} onChange={(e) => setDraft({ pid: product.productId, path: e.target.value, enabled })} placeholder="/data/line-camera/prod1" required data-testid="watch-path" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={enabled} onChange={(e) => setDraft({ pid: product.productId, path, enabled: e.target.checked })} />
          {t('watch.enabled')}
        </label>
        <button type="submit" className="btn btn-primary" disabled={set.isPending} data-testid="watch-save">
          {t('watch.save')}
        </button>
        {mine && (
          <button type="button" className="btn" onClick={() => remove.mutate({ productId: product.productId })}>
            {t('watch.remove')}
          </button>
        )}
      </form>
      <ErrorState error={set.error ?? remove.error} />
      {mine && (
        <p className="small" data-testid="watch-info">
          {mine.reachable ? <span className="ok">● {t('watch.reachable')}</span> : <span className="bad">● {mine.problem}</span>} · {t('watch.done', { n: mine.processed, failed: mine.failed })} · {fmtDateTime(mine.updatedAt)} · {mine.updatedBy ?? '—'}
        </p>
      )}
    </section>
  );
}
