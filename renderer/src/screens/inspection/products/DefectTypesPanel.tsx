/** Products screen, defect types tab: the product's defect types (code, ko/en names, severity), edit, (de)activate, add. */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Field, Loading } from '../../../app/ui';
import type { DefectTypeRow, ProductRow } from '../../../../../main/api/types';
import { SeverityBadge } from '../common';

export function DefectTypesPanel({ product }: { product: ProductRow }) {
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
