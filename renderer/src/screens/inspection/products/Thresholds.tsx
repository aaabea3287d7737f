/** Products screen, model tab: image and pixel thresholds with a preview of how the validation images would be judged. */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { useECharts } from '../../../charts/useECharts';
import { ChartPngButton } from '../../../charts/ChartPngButton';
import { ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { ProductRow } from '../../../../../main/api/types';
import { useDark, useFontGlyphs } from '../common';
import { judgeAt, previewOption } from '../logic';

export function Thresholds({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const dark = useDark();
  const cfg = useCall('inspection.config.get', { productId: product.productId });
  const save = useCallMutation('inspection.config.setThresholds', ['inspection.config.get', 'inspection.config.preview']);
  const [draft, setDraft] = useState<{ pid: number; image: number; pixel: number } | null>(null);
  const image = draft?.pid === product.productId ? draft.image : (cfg.data?.imageThreshold ?? 0.85);
  const pixel = draft?.pid === product.productId ? draft.pixel : (cfg.data?.pixelThreshold ?? 0.9);
  const setD = (p: { image?: number; pixel?: number }) => setDraft({ pid: product.productId, image: p.image ?? image, pixel: p.pixel ?? pixel });
  // scores once per product (and bank); the counts and the chart follow the slider without a call
  const preview = useCall('inspection.config.preview', { productId: product.productId, imageThreshold: cfg.data?.imageThreshold ?? 0.85 }, { enabled: Boolean(cfg.data), staleTime: 60_000 });
  const j = preview.data ? judgeAt(preview.data, image) : null;
  const labels = useMemo(() => ({ normals: t('model.normals'), defects: t('model.defects'), history: t('model.history'), threshold: t('model.threshold') }), [t]);
  const glyphs = useFontGlyphs(Object.values(labels).join(''));
  const opt = useMemo(() => (preview.data ? { ...previewOption(preview.data, image, labels, dark), glyphs } : null), [preview.data, image, labels, dark, glyphs]);
  const { ref: chartRef, chart } = useECharts(opt, { theme: dark ? 'dark' : 'light' });
  const changed = cfg.data && (Math.abs(image - cfg.data.imageThreshold) > 1e-9 || Math.abs(pixel - cfg.data.pixelThreshold) > 1e-9);

  return (
    <section className="card stack" aria-labelledby="th-title">
      <div className="chart-head">
        <h3 id="th-title">{t('model.thresholds')}</h3>
        {preview.data ? <ChartPngButton chart={chart} name={t('model.thresholds')} testId="preview-png" /> : null}
      </div>
      {cfg.error && <ErrorState error={cfg.error} />}
      <div className="insp-th-grid">
        <label className="insp-slider">
          <span>
            {t('model.imageThreshold')} <strong data-testid="image-threshold-value">{image.toFixed(2)}</strong>
          </span>
          <input type="range" min={0.5} max={0.99} step={0.01} value={image} onChange={(e) => setD({ image: Number(e.target.value) })} data-testid="image-threshold" />
        </label>
        <label className="insp-slider">
          <span>
            {t('model.pixelThreshold')} <strong>{pixel.toFixed(2)}</strong>
          </span>
          <input type="range" min={0.5} max={0.99} step={0.01} value={pixel} onChange={(e) => setD({ pixel: Number(e.target.value) })} data-testid="pixel-threshold" />
        </label>
      </div>
      {preview.isPending ? (
        <Loading label={t('model.scoring')} />
      ) : preview.error ? (
        <ErrorState error={preview.error} onRetry={() => void preview.refetch()} />
      ) : j ? (
        <>
          <dl className="insp-preview-facts" data-testid="threshold-preview">
            <div className={j.falseNg ? 'bad' : 'ok'}>
              <dt>{t('model.falseNg')}</dt>
              <dd data-testid="preview-false-ng">
                {j.falseNg} / {j.normals}
              </dd>
            </div>
            <div className={j.caught < j.defects ? 'bad' : 'ok'}>
              <dt>{t('model.caught')}</dt>
              <dd data-testid="preview-caught">
                {j.caught} / {j.defects}
              </dd>
            </div>
            <div>
              <dt>{t('model.historyNg')}</dt>
              <dd>
                {j.defectsAt} / {j.history}
              </dd>
            </div>
            <div className={j.changed ? 'warn' : ''}>
              <dt>{t('model.changed')}</dt>
              <dd data-testid="preview-changed">{j.changed}</dd>
            </div>
          </dl>
        </>
      ) : null}
      {/* mounted from the start: the chart hook initialises on its element once */}
      <div ref={chartRef} className="chart insp-preview-chart" style={{ display: preview.data ? undefined : 'none' }} data-testid="preview-chart" role="img" aria-label={t('model.thresholds')} />
      <div className="toolbar">
        <button type="button" className="btn btn-primary" disabled={!changed || save.isPending} onClick={() => save.mutate({ productId: product.productId, imageThreshold: image, pixelThreshold: pixel }, { onSuccess: () => setDraft(null) })} data-testid="threshold-save">
          {t('model.save')}
        </button>
        {changed && (
          <button type="button" className="btn" onClick={() => setDraft(null)}>
            {t('model.reset')}
          </button>
        )}
        {cfg.data?.updatedAt && <span className="muted small">{t('model.updated', { at: fmtDateTime(cfg.data.updatedAt) })}</span>}
      </div>
      <ErrorState error={save.error} />
    </section>
  );
}
