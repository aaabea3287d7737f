/**
 * Products and models (manager): products and their defect types (ko/en names, severity), reference images
 * (normal/defect upload, preview, deactivate), manuals with cause/action sections per defect type, the memory
 * bank and similarity index build (progress, cancel), thresholds with a preview of how the validation images
 * would be judged, the model folders in use, and the watched folder.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { call, onEvent } from '../../../api/client';
import { useCall, useCallMutation } from '../../../api/hooks';
import { useECharts } from '../../../charts/useECharts';
import { Empty, ErrorState, Field, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { JobProgress } from '../../../../../main/api/events';
import type { DefectTypeRow, ImageRow, ProductRow } from '../../../../../main/api/types';
import { SeverityBadge, useDark, useFontGlyphs, useStoredImage } from '../common';
import { fmtBytes, fmtMs, judgeAt, previewOption } from '../logic';

type Tab = 'types' | 'images' | 'manuals' | 'model' | 'watch';
const TABS: Tab[] = ['types', 'images', 'manuals', 'model', 'watch'];

function readFile(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(file);
  });
}

// ------------------------------------------------------------------------------------------------ defect types

function DefectTypesPanel({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const types = useCall('inspection.defectTypes.list', { productId: product.productId, includeInactive: true });
  const inv = ['inspection.defectTypes.list', 'inspection.products.list'] as const;
  const create = useCallMutation('inspection.defectTypes.create', [...inv]);
  const update = useCallMutation('inspection.defectTypes.update', [...inv]);
  const blank = { defectCode: '', defectNameKo: '', defectNameEn: '', fullNameKo: '', severityLevel: 3 };
  const [form, setForm] = useState(blank);
  const [edit, setEdit] = useState<DefectTypeRow | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await create.mutateAsync({ productId: product.productId, ...form, defectNameEn: form.defectNameEn || null, fullNameKo: form.fullNameKo || null });
      setForm(blank);
    } catch {
      /* shown */
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!edit) return;
    try {
      await update.mutateAsync({ defectTypeId: edit.defectTypeId, defectNameKo: edit.defectNameKo, defectNameEn: edit.defectNameEn || null, fullNameKo: edit.fullNameKo || null, severityLevel: edit.severityLevel });
      setEdit(null);
    } catch {
      /* shown */
    }
  };

  if (types.isPending) return <Loading />;
  if (types.error) return <ErrorState error={types.error} onRetry={() => void types.refetch()} />;
  return (
    <div className="stack">
      <table className="table" data-testid="defect-types">
        <thead>
          <tr>
            <th>{t('types.code')}</th>
            <th>{t('types.nameKo')}</th>
            <th>{t('types.nameEn')}</th>
            <th>{t('types.fullNameKo')}</th>
            <th>{t('facts.severity')}</th>
            <th>{t('types.active')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {types.data.map((d) =>
            edit?.defectTypeId === d.defectTypeId ? (
              <tr key={d.defectTypeId}>
                <td className="mono">{d.defectCode}</td>
                <td>
                  <input aria-label={t('types.nameKo')} value={edit.defectNameKo} onChange={(e) => setEdit({ ...edit, defectNameKo: e.target.value })} required />
                </td>
                <td>
                  <input aria-label={t('types.nameEn')} value={edit.defectNameEn ?? ''} onChange={(e) => setEdit({ ...edit, defectNameEn: e.target.value })} />
                </td>
                <td>
                  <input aria-label={t('types.fullNameKo')} value={edit.fullNameKo ?? ''} onChange={(e) => setEdit({ ...edit, fullNameKo: e.target.value })} />
                </td>
                <td>
                  <select aria-label={t('facts.severity')} value={edit.severityLevel} onChange={(e) => setEdit({ ...edit, severityLevel: Number(e.target.value) })}>
                    {[1, 2, 3, 4, 5].map((n) => (
                      <option key={n} value={n}>
                        {n} · {t(`severity.${n}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td />
                <td className="nowrap">
                  <button type="button" className="btn btn-primary" onClick={save}>
                    {tc('common.save')}
                  </button>{' '}
                  <button type="button" className="btn" onClick={() => setEdit(null)}>
                    {tc('common.cancel')}
                  </button>
                </td>
              </tr>
            ) : (
              <tr key={d.defectTypeId} className={d.isActive ? '' : 'insp-inactive'}>
                <td className="mono">{d.defectCode}</td>
                <td>{d.defectNameKo}</td>
                <td>{d.defectNameEn ?? '—'}</td>
                <td>{d.fullNameKo ?? '—'}</td>
                <td>
                  <SeverityBadge level={d.severityLevel} />
                </td>
                <td>{d.isActive ? tc('common.yes') : tc('common.no')}</td>
                <td className="nowrap">
                  <button type="button" className="btn" onClick={() => setEdit(d)}>
                    {tc('common.edit')}
                  </button>{' '}
                  <button type="button" className="btn" onClick={() => update.mutate({ defectTypeId: d.defectTypeId, isActive: !d.isActive })}>
                    {d.isActive ? t('deactivate') : t('activate')}
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      <ErrorState error={update.error} />
      <form className="card form-grid" onSubmit={submit} aria-labelledby="new-type-title">
        <h2 id="new-type-title">{t('types.new')}</h2>
        <Field label={t('types.code')} hint={t('types.codeHint')}>
          <input value={form.defectCode} onChange={(e) => setForm({ ...form, defectCode: e.target.value })} required pattern="[a-z0-9][a-z0-9_\-]*" data-testid="new-type-code" />
        </Field>
        <Field label={t('types.nameKo')}>
          <input value={form.defectNameKo} onChange={(e) => setForm({ ...form, defectNameKo: e.target.value })} required data-testid="new-type-ko" />
        </Field>
        <Field label={t('types.nameEn')}>
          <input value={form.defectNameEn} onChange={(e) => setForm({ ...form, defectNameEn: e.target.value })} />
        </Field>
        <Field label={t('types.fullNameKo')}>
          <input value={form.fullNameKo} onChange={(e) => setForm({ ...form, fullNameKo: e.target.value })} />
        </Field>
        <Field label={t('facts.severity')}>
          <select value={form.severityLevel} onChange={(e) => setForm({ ...form, severityLevel: Number(e.target.value) })}>
            {[1, 2, 3, 4, 5].map((n) => (
              <option key={n} value={n}>
                {n} · {t(`severity.${n}`)}
              </option>
            ))}
          </select>
        </Field>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {tc('common.add')}
          </button>
          <ErrorState error={create.error} />
        </div>
      </form>
    </div>
  );
}

// ------------------------------------------------------------------------------------------------ reference images

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

function ImagesPanel({ product }: { product: ProductRow }) {
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
        await call('inspection.images.add', { productId: product.productId, imageType: kind, defectTypeId: kind === 'defect' ? dt : null, image: { base64: await readFile(f), fileName: f.name } });
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

// ------------------------------------------------------------------------------------------------ manuals

function ManualsPanel({ product }: { product: ProductRow }) {
  const { t } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const manuals = useCall('inspection.manuals.list', { productId: product.productId, includeInactive: true });
  const types = useCall('inspection.defectTypes.list', { productId: product.productId });
  const [sel, setSel] = useState<number | null>(null);
  const manualId = sel ?? manuals.data?.find((m) => m.isActive)?.manualId ?? manuals.data?.[0]?.manualId ?? null;
  const manual = useCall('inspection.manuals.get', { manualId: manualId ?? 0 }, { enabled: manualId != null });
  const inv = ['inspection.manuals.get', 'inspection.manuals.list', 'inspection.guide.get', 'inspection.inspections.get'] as const;
  const createManual = useCallMutation('inspection.manuals.create', [...inv]);
  const updateManual = useCallMutation('inspection.manuals.update', [...inv]);
  const createSection = useCallMutation('inspection.sections.create', [...inv]);
  const updateSection = useCallMutation('inspection.sections.update', [...inv]);
  const deleteSection = useCallMutation('inspection.sections.delete', [...inv]);
  const [mForm, setMForm] = useState({ title: '', version: '' });
  const [mFile, setMFile] = useState<File | null>(null);
  const blank = { defectTypeId: '', sectionType: 'cause' as 'cause' | 'action' | 'other', sectionTitle: '', sectionContent: '' };
  const [sForm, setSForm] = useState(blank);
  const [editing, setEditing] = useState<{ sectionId: number; sectionContent: string; sectionTitle: string } | null>(null);

  const addManual = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const file = mFile ? { base64: await readFile(mFile), fileName: mFile.name } : undefined;
      const m = await createManual.mutateAsync({ productId: product.productId, manualTitle: mForm.title, version: mForm.version || null, file });
      setSel(m.manualId);
      setMForm({ title: '', version: '' });
      setMFile(null);
    } catch {
      /* shown */
    }
  };
  const addSection = async (e: FormEvent) => {
    e.preventDefault();
    if (!manualId) return;
    try {
      await createSection.mutateAsync({ manualId, defectTypeId: sForm.defectTypeId ? Number(sForm.defectTypeId) : null, sectionType: sForm.sectionType, sectionTitle: sForm.sectionTitle || null, sectionContent: sForm.sectionContent });
      setSForm({ ...blank, defectTypeId: sForm.defectTypeId });
    } catch {
      /* shown */
    }
  };

  const sections = manual.data?.sections;
  const byType = useMemo(() => {
    const m = new Map<string, NonNullable<typeof sections>>();
    for (const s of sections ?? []) {
      const k = s.defectCode ?? '';
      m.set(k, [...(m.get(k) ?? []), s]);
    }
    return [...m.entries()];
  }, [sections]);

  if (manuals.isPending) return <Loading />;
  if (manuals.error) return <ErrorState error={manuals.error} />;
  return (
    <div className="insp-manuals">
      <aside className="stack">
        <ul className="insp-pick" aria-label={t('manuals.title')}>
          {manuals.data.map((m) => (
            <li key={m.manualId}>
              <button type="button" className={`insp-pick-item${m.manualId === manualId ? ' on' : ''}${m.isActive ? '' : ' insp-inactive'}`} onClick={() => setSel(m.manualId)}>
                <strong>{m.manualTitle}</strong>
                <span className="muted small">
                  v{m.version ?? '—'} · {m.fileType} · {t('manuals.sections', { n: m.sectionCount })}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <form className="card" onSubmit={addManual} aria-labelledby="new-manual-title">
          <h3 id="new-manual-title">{t('manuals.new')}</h3>
          <Field label={t('manuals.manualTitle')}>
            <input value={mForm.title} onChange={(e) => setMForm({ ...mForm, title: e.target.value })} required />
          </Field>
          <Field label={t('manuals.version')}>
            <input value={mForm.version} onChange={(e) => setMForm({ ...mForm, version: e.target.value })} maxLength={20} />
          </Field>
          <Field label={t('manuals.file')} hint={t('manuals.fileHint')}>
            <input type="file" accept=".pdf,.docx,.doc,.hwp,.hwpx,.md,.txt,.html,.xlsx,.pptx" onChange={(e) => setMFile(e.target.files?.[0] ?? null)} />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={createManual.isPending}>
            {tc('common.add')}
          </button>
          <ErrorState error={createManual.error} />
        </form>
      </aside>
      <div className="stack">
        {!manualId ? (
          <Empty>{t('manuals.none')}</Empty>
        ) : manual.isPending ? (
          <Loading />
        ) : manual.error ? (
          <ErrorState error={manual.error} />
        ) : (
          <>
            <div className="toolbar">
              <h2>{manual.data.manualTitle}</h2>
              <span className="muted small">
                {manual.data.fileName} · {fmtBytes(manual.data.fileSize)} · {fmtDateTime(manual.data.uploadDate)} · {manual.data.uploadedBy ?? '—'}
              </span>
              <button type="button" className="btn" onClick={() => updateManual.mutate({ manualId: manual.data.manualId, isActive: !manual.data.isActive })}>
                {manual.data.isActive ? t('deactivate') : t('activate')}
              </button>
            </div>
            <ErrorState error={updateManual.error ?? updateSection.error ?? deleteSection.error} />
            {byType.length === 0 && <Empty>{t('manuals.noSections')}</Empty>}
            {byType.map(([code, sections]) => (
              <section key={code} className="card" aria-label={code || t('manuals.general')}>
                <h3>{code ? `${code} · ${types.data?.find((d) => d.defectCode === code)?.defectNameKo ?? ''}` : t('manuals.general')}</h3>
                {sections.map((s) => (
                  <article key={s.sectionId} className="insp-section">
                    <div className="toolbar">
                      <span className={`badge insp-sect-${s.sectionType}`}>{t(`manuals.types.${s.sectionType}`)}</span>
                      <strong>{s.sectionTitle}</strong>
                      <span className="insp-grow" />
                      <button type="button" className="btn btn-ghost" onClick={() => setEditing({ sectionId: s.sectionId, sectionContent: s.sectionContent, sectionTitle: s.sectionTitle ?? '' })}>
                        {tc('common.edit')}
                      </button>
                      <button type="button" className="btn btn-ghost" onClick={() => window.confirm(t('manuals.confirmDelete')) && deleteSection.mutate({ sectionId: s.sectionId })}>
                        {tc('common.delete')}
                      </button>
                    </div>
                    {editing?.sectionId === s.sectionId ? (
                      <form
                        onSubmit={async (e) => {
                          e.preventDefault();
                          await updateSection.mutateAsync({ sectionId: s.sectionId, sectionTitle: editing.sectionTitle || null, sectionContent: editing.sectionContent }).catch(() => undefined);
                          setEditing(null);
                        }}
                      >
                        <Field label={t('manuals.sectionTitle')}>
                          <input value={editing.sectionTitle} onChange={(e) => setEditing({ ...editing, sectionTitle: e.target.value })} />
                        </Field>
                        <Field label={t('manuals.content')}>
                          <textarea value={editing.sectionContent} onChange={(e) => setEditing({ ...editing, sectionContent: e.target.value })} required />
                        </Field>
                        <button type="submit" className="btn btn-primary">
                          {tc('common.save')}
                        </button>{' '}
                        <button type="button" className="btn" onClick={() => setEditing(null)}>
                          {tc('common.cancel')}
                        </button>
                      </form>
                    ) : (
                      <p>{s.sectionContent}</p>
                    )}
                  </article>
                ))}
              </section>
            ))}
            <form className="card form-grid" onSubmit={addSection} aria-labelledby="new-section-title">
              <h3 id="new-section-title">{t('manuals.newSection')}</h3>
              <Field label={t('facts.defectType')}>
                <select value={sForm.defectTypeId} onChange={(e) => setSForm({ ...sForm, defectTypeId: e.target.value })}>
                  <option value="">{t('manuals.general')}</option>
                  {(types.data ?? []).map((d) => (
                    <option key={d.defectTypeId} value={d.defectTypeId}>
                      {d.defectCode} · {d.defectNameKo}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('manuals.sectionType')}>
                <select value={sForm.sectionType} onChange={(e) => setSForm({ ...sForm, sectionType: e.target.value as typeof sForm.sectionType })}>
                  {(['cause', 'action', 'other'] as const).map((x) => (
                    <option key={x} value={x}>
                      {t(`manuals.types.${x}`)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('manuals.sectionTitle')}>
                <input value={sForm.sectionTitle} onChange={(e) => setSForm({ ...sForm, sectionTitle: e.target.value })} />
              </Field>
              <div style={{ gridColumn: '1 / -1' }}>
                <Field label={t('manuals.content')}>
                  <textarea value={sForm.sectionContent} onChange={(e) => setSForm({ ...sForm, sectionContent: e.target.value })} required />
                </Field>
              </div>
              <div className="form-actions">
                <button type="submit" className="btn btn-primary" disabled={createSection.isPending}>
                  {tc('common.add')}
                </button>
                <ErrorState error={createSection.error} />
              </div>
            </form>
          </>
        )}
      </div>
    </div>
  );
}

// ------------------------------------------------------------------------------------------------ model

function BankBuild({ product }: { product: ProductRow }) {
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
            {t(`model.states.${progress.state}`)} {progress.message ? `· ${progress.message}` : ''} {progress.error ? `· ${progress.error}` : ''}
          </span>
        </div>
      )}
      <ErrorState error={err} />
    </section>
  );
}

function Thresholds({ product }: { product: ProductRow }) {
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
  const { ref: chartRef } = useECharts(opt, { theme: dark ? 'dark' : 'light' });
  const changed = cfg.data && (Math.abs(image - cfg.data.imageThreshold) > 1e-9 || Math.abs(pixel - cfg.data.pixelThreshold) > 1e-9);

  return (
    <section className="card stack" aria-labelledby="th-title">
      <h3 id="th-title">{t('model.thresholds')}</h3>
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

function ModelPanel({ product }: { product: ProductRow }) {
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

// ------------------------------------------------------------------------------------------------ watch folder

function WatchPanel({ product }: { product: ProductRow }) {
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

// ------------------------------------------------------------------------------------------------ the screen

export function ProductsScreen() {
  const { t } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const products = useCall('inspection.products.list', { includeInactive: true });
  const create = useCallMutation('inspection.products.create', ['inspection.products.list']);
  const update = useCallMutation('inspection.products.update', ['inspection.products.list']);
  const [sel, setSel] = useState<number | null>(null);
  const [tab, setTab] = useState<Tab>('types');
  const [form, setForm] = useState({ productCode: '', productName: '', category: '' });
  const product = products.data?.find((p) => p.productId === sel) ?? products.data?.[0] ?? null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await create.mutateAsync({ productCode: form.productCode, productName: form.productName, category: form.category || null });
      setSel(p.productId);
      setForm({ productCode: '', productName: '', category: '' });
    } catch {
      /* shown */
    }
  };

  if (products.isPending) return <Loading />;
  if (products.error) return <ErrorState error={products.error} onRetry={() => void products.refetch()} />;
  return (
    <div className="insp-products">
      <aside className="stack">
        <ul className="insp-pick" aria-label={t('products.title')} data-testid="product-list">
          {products.data.map((p) => (
            <li key={p.productId}>
              <button type="button" className={`insp-pick-item${p.productId === product?.productId ? ' on' : ''}${p.isActive ? '' : ' insp-inactive'}`} onClick={() => setSel(p.productId)} data-testid={`product-${p.productCode}`}>
                <strong>{p.productCode}</strong> <span>{p.productName}</span>
                <span className="muted small">
                  {t('products.counts', { n: p.normalImageCount, d: p.defectImageCount, types: p.defectTypeCount })} · {p.bank ? t('products.bankOk') : t('noBank')}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <form className="card" onSubmit={submit} aria-labelledby="new-product-title">
          <h3 id="new-product-title">{t('products.new')}</h3>
          <Field label={t('products.code')} hint={t('products.codeHint')}>
            <input value={form.productCode} onChange={(e) => setForm({ ...form, productCode: e.target.value })} required pattern="[A-Za-z0-9][A-Za-z0-9._\-]+" />
          </Field>
          <Field label={t('products.name')}>
            <input value={form.productName} onChange={(e) => setForm({ ...form, productName: e.target.value })} required />
          </Field>
          <Field label={t('products.category')}>
            <input value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })} />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {tc('common.add')}
          </button>
          <ErrorState error={create.error} />
        </form>
      </aside>
      {product ? (
        <section className="stack" aria-labelledby="product-title">
          <div className="toolbar">
            <h2 id="product-title">
              {product.productCode} · {product.productName}
            </h2>
            <span className="muted small">{product.description}</span>
            <span className="insp-grow" />
            <button type="button" className="btn" onClick={() => update.mutate({ productId: product.productId, isActive: !product.isActive })}>
              {product.isActive ? t('deactivate') : t('activate')}
            </button>
          </div>
          <ErrorState error={update.error} />
          <div className="tabs" role="tablist" aria-label={product.productCode}>
            {TABS.map((x) => (
              <button key={x} type="button" role="tab" aria-selected={tab === x} className={`tab insp-tab-btn${tab === x ? ' active' : ''}`} onClick={() => setTab(x)} data-testid={`ptab-${x}`}>
                {t(`products.tabs.${x}`)}
              </button>
            ))}
          </div>
          <div role="tabpanel">
            {tab === 'types' && <DefectTypesPanel key={product.productId} product={product} />}
            {tab === 'images' && <ImagesPanel key={product.productId} product={product} />}
            {tab === 'manuals' && <ManualsPanel key={product.productId} product={product} />}
            {tab === 'model' && <ModelPanel key={product.productId} product={product} />}
            {tab === 'watch' && <WatchPanel key={product.productId} product={product} />}
          </div>
        </section>
      ) : (
        <Empty />
      )}
    </div>
  );
}
