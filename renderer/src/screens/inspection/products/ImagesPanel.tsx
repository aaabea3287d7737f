/** Products screen, reference images tab: normal/defect upload, thumbnails, preview, deactivate. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { call } from '../../../api/client';
import { useCall, useCallMutation } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { ImageRow, ProductRow } from '../../../../../main/api/types';
import { useStoredImage } from '../common';
import { fmtBytes } from '../logic';
import { readFile } from './shared';

function Thumb({ img, onOpen, onToggle }: { img: ImageRow; onOpen: () => void; onToggle: () => void }) {
  const { t } = useTranslation('inspection');
  const src = useStoredImage(img.filePath);
  return (
    <figure className={`insp-thumb${img.isActive ? '' : ' insp-inactive'}`} data-testid={`ref-${img.imageId}`}>
      <button type="button" className="insp-thumb-img" onClick={onOpen} aria-label={t('images.preview', { name: img.fileName })}>
        {src.url ? <img src={src.url} alt="" loading="lazy" /> : <span className="spinner" />}
      </button>
      <figcaption>
        <span className="small" title={img.fileName}>
          {img.imageType === 'defect' ? <span className="badge insp-status-pending">{img.defectCode}</span> : <span className="badge">{t('images.normal')}</span>} {img.width}×{img.height}
        </span>
        <button type="button" className="btn btn-ghost small" onClick={onToggle}>
          {img.isActive ? t('deactivate') : t('activate')}
        </button>
      </figcaption>
    </figure>
  );
}

export function ImagesPanel({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const [kind, setKind] = useState<'normal' | 'defect'>('normal');
  const [showInactive, setShowInactive] = useState(false);
  const [defectTypeId, setDefectTypeId] = useState<number | null>(null);
  const [open, setOpen] = useState<ImageRow | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  const qc = useQueryClient();
  const types = useCall('inspection.defectTypes.list', { productId: product.productId });
  const images = useCall('inspection.images.list', { productId: product.productId, imageType: kind, includeInactive: showInactive, limit: 500 });
  const toggle = useCallMutation('inspection.images.setActive', ['inspection.images.list', 'inspection.products.list']);
  const preview = useStoredImage(open?.filePath);
  const dt = defectTypeId ?? types.data?.[0]?.defectTypeId ?? null;

  const upload = async (files: FileList) => {
    setErr(null);
    try {
      let n = 0;
      for (const f of [...files]) {
        setBusy(t('images.uploading', { n: ++n, total: files.length }));
        await call('inspection.images.add', { productId: product.productId, imageType: kind, defectTypeId: kind === 'defect' ? dt : null, image: { bytes: await readFile(f), fileName: f.name } });
      }
      await Promise.all([qc.invalidateQueries({ queryKey: ['inspection.images.list'] }), qc.invalidateQueries({ queryKey: ['inspection.products.list'] })]);
    } catch (e) {
      setErr(e as Error);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="stack">
      <div className="toolbar">
        <fieldset className="insp-seg" aria-label={t('images.kind')}>
          {(['normal', 'defect'] as const).map((k) => (
            <label key={k} className={`insp-seg-item${kind === k ? ' on' : ''}`}>
              <input type="radio" name="img-kind" checked={kind === k} onChange={() => setKind(k)} />
              {t(`images.${k}`)} ({k === 'normal' ? product.normalImageCount : product.defectImageCount})
            </label>
          ))}
        </fieldset>
        {kind === 'defect' && (
          <label className="inline-field">
            {t('facts.defectType')}
            <select value={dt ?? ''} onChange={(e) => setDefectTypeId(Number(e.target.value))}>
              {(types.data ?? []).map((d) => (
                <option key={d.defectTypeId} value={d.defectTypeId}>
                  {d.defectCode} · {d.defectNameKo}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="btn btn-primary insp-file-btn">
          ⤒ {t('images.upload')}
          <input type="file" accept="image/png,image/jpeg,image/webp,image/tiff" multiple className="sr-only" onChange={(e) => e.target.files && void upload(e.target.files).then(() => (e.target.value = ''))} disabled={Boolean(busy) || (kind === 'defect' && !dt)} data-testid="ref-upload" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} />
          {t('images.showInactive')}
        </label>
        {busy && <span className="muted">{busy}</span>}
      </div>
      <ErrorState error={err ?? toggle.error} />
      <p className="muted small">{t('images.rebuildHint')}</p>
      {images.isPending ? (
        <Loading />
      ) : images.error ? (
        <ErrorState error={images.error} />
      ) : !images.data.rows.length ? (
        <Empty />
      ) : (
        <div className="insp-thumbs">
          {images.data.rows.map((img) => (
            <Thumb key={img.imageId} img={img} onOpen={() => setOpen(img)} onToggle={() => toggle.mutate({ imageId: img.imageId, isActive: !img.isActive })} />
          ))}
        </div>
      )}
      {open && (
        <div className="insp-modal" role="dialog" aria-modal="true" aria-label={open.fileName} onClick={() => setOpen(null)} onKeyDown={(e) => e.key === 'Escape' && setOpen(null)}>
          <div className="card insp-modal-body" onClick={(e) => e.stopPropagation()}>
            <div className="toolbar">
              <strong>{open.fileName}</strong>
              <span className="muted small">
                {open.width}×{open.height} · {fmtBytes(open.fileSize)} · {fmtDateTime(open.uploadedAt)} · {open.uploadedBy ?? '—'} · {open.hasEmbedding ? t('images.embedded') : t('images.notEmbedded')}
              </span>
              <button type="button" className="btn" onClick={() => setOpen(null)} autoFocus style={{ marginLeft: 'auto' }}>
                ✕
              </button>
            </div>
            {preview.url ? <img src={preview.url} alt={open.fileName} className="insp-preview" /> : <Loading />}
          </div>
        </div>
      )}
    </div>
  );
}
