/** Products screen, manuals tab: manuals (upload, (de)activate) and their cause/action sections per defect type. */
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { Empty, ErrorState, Field, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { ProductRow } from '../../../../../main/api/types';
import { fmtBytes } from '../logic';
import { readFile } from './shared';

export function ManualsPanel({ product }: { product: ProductRow }) {
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
      const file = mFile ? { bytes: await readFile(mFile), fileName: mFile.name } : undefined;
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
                  {t('manuals.version', { v: m.version ?? '—' })} · {m.fileType} · {t('manuals.sections', { n: m.sectionCount })}
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
          <Field label={t('manuals.versionLabel')}>
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
