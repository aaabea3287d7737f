/**
 * EndUser default rules (design §1.1, decisions.md cylinders 1): NULL columns match anything ("any"); the most
 * specific matching active rule wins. Managers edit; every draft is previewed (how many cylinders would move)
 * before it can be saved.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DefaultRuleRow } from '../../../../../main/api/types';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { fmtInt, ruleDraftProblems, ruleInput, type RuleDraft } from '../format';
import { ActiveBadge, Any, EffectView, PolicyError, useCylMutation, useIsManager } from '../common';

const toDraft = (r?: DefaultRuleRow): RuleDraft => ({
  id: r?.id,
  gasName: r?.gasName ?? '',
  capacity: r?.capacity ?? '',
  valveSpecCode: r?.valveSpecCode ?? '',
  cylinderSpecCode: r?.cylinderSpecCode ?? '',
  defaultEnduser: r?.defaultEnduser ?? '',
  isActive: r?.isActive ?? true,
});

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setV(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return v;
}

function RuleForm({ initial, onDone, onEditOther }: { initial?: DefaultRuleRow; onDone: (msg: string) => void; onEditOther: (id: number) => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [d, setD] = useState<RuleDraft>(toDraft(initial));
  const opts = useCall('cylinders.filters', {}, { staleTime: 60_000 });
  const valves = useCall('cylinders.valveGroups.list', {}, { staleTime: 60_000 });
  const save = useCylMutation('cylinders.defaults.save');
  const problems = ruleDraftProblems(d);
  const input = useMemo(() => ruleInput(d), [d]);
  const debounced = useDebounced(input, 300);
  const current = JSON.stringify(debounced) === JSON.stringify(input);
  const preview = useCall('cylinders.defaults.preview', { op: 'save', rule: debounced }, { enabled: problems.length === 0, retry: false, staleTime: 0, gcTime: 0 });
  const previewReady = problems.length === 0 && current && preview.data !== undefined && !preview.isFetching;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!previewReady) return;
    const r = await save.mutateAsync(input).catch(() => null);
    if (r) onDone(t('rules.savedMsg', { id: r.id, n: fmtInt(r.effect.changed) }));
  };
  const set = (k: keyof RuleDraft, v: string | boolean) => setD({ ...d, [k]: v });
  const gases = (opts.data?.gases ?? []).filter((g) => g !== '');
  return (
    <form className="card cy-form" onSubmit={submit} aria-labelledby="rule-form-title" data-testid="rule-form">
      <h2 id="rule-form-title">{initial ? t('rules.editTitle', { id: initial.id }) : t('rules.newTitle')}</h2>
      <p className="muted small">{t('rules.help')}</p>
      <div className="form-grid">
        <label className={`field${d.gasName && problems.includes('gas') ? ' field-invalid' : ''}`}>
          <span className="field-label">{t('col.gas')} *</span>
          <select value={d.gasName} onChange={(e) => set('gasName', e.target.value)} required data-testid="rule-gas">
            <option value="">{t('rules.pickGas')}</option>
            {(d.gasName && !gases.includes(d.gasName) ? [d.gasName, ...gases] : gases).map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <label className={`field${problems.includes('capacity') ? ' field-invalid' : ''}`}>
          <span className="field-label">{t('col.capacity')}</span>
          <input value={d.capacity} onChange={(e) => set('capacity', e.target.value)} inputMode="decimal" placeholder={t('any')} list="cy-capacities" data-testid="rule-capacity" />
          <datalist id="cy-capacities">
            {(opts.data?.capacities ?? []).map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          {problems.includes('capacity') ? <span className="field-error">{t('rules.badCapacity')}</span> : <span className="field-hint">{t('rules.blankIsAny')}</span>}
        </label>
        <label className="field">
          <span className="field-label">{t('rules.valveCode')}</span>
          <select value={d.valveSpecCode} onChange={(e) => set('valveSpecCode', e.target.value)} data-testid="rule-valve">
            <option value="">{t('any')}</option>
            {(valves.data?.valveSpecs ?? []).map((v) => (
              <option key={v.code} value={v.code}>
                {v.code} — {v.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">{t('rules.specCode')}</span>
          <select value={d.cylinderSpecCode} onChange={(e) => set('cylinderSpecCode', e.target.value)} data-testid="rule-spec">
            <option value="">{t('any')}</option>
            {(opts.data?.cylinderSpecCodes ?? []).map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} — {s.name}
              </option>
            ))}
          </select>
        </label>
        <label className={`field${d.defaultEnduser && problems.includes('enduser') ? ' field-invalid' : ''}`}>
          <span className="field-label">{t('col.enduser')} *</span>
          <input value={d.defaultEnduser} onChange={(e) => set('defaultEnduser', e.target.value)} list="cy-endusers" maxLength={50} required data-testid="rule-enduser" />
          <datalist id="cy-endusers">
            {(opts.data?.endusers ?? []).map((x) => (
              <option key={x} value={x} />
            ))}
          </datalist>
        </label>
        <label className="toggle cy-toggle-field">
          <input type="checkbox" checked={d.isActive} onChange={(e) => set('isActive', e.target.checked)} data-testid="rule-active" /> {t('active')}
        </label>
      </div>
      <div className="cy-preview" aria-live="polite" data-testid="rule-preview">
        <h3>{t('preview.title')}</h3>
        {problems.length > 0 ? (
          <span className="muted">{t('preview.fillIn')}</span>
        ) : preview.error ? (
          <PolicyError error={preview.error} onEditExisting={onEditOther} />
        ) : previewReady ? (
          <EffectView effect={preview.data} preview testId="preview-effect" />
        ) : (
          <Loading label={t('preview.computing')} />
        )}
      </div>
      <PolicyError error={save.error} onEditExisting={onEditOther} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={!previewReady || save.isPending} data-testid="rule-save">
          {t('rules.save')}
        </button>
        <button type="button" className="btn" onClick={() => onDone('')}>
          {tc('common.cancel')}
        </button>
        {!previewReady && problems.length === 0 && !preview.error && <span className="muted small">{t('preview.beforeSave')}</span>}
      </div>
    </form>
  );
}

function DeleteRule({ rule, onDone }: { rule: DefaultRuleRow; onDone: (msg: string) => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const preview = useCall('cylinders.defaults.preview', { op: 'delete', id: rule.id }, { retry: false, staleTime: 0, gcTime: 0 });
  const del = useCylMutation('cylinders.defaults.delete');
  return (
    <div className="card cy-confirm" role="alertdialog" aria-labelledby="rule-del-title" data-testid="rule-delete">
      <h2 id="rule-del-title">{t('rules.deleteTitle', { id: rule.id })}</h2>
      {preview.isPending ? <Loading label={t('preview.computing')} /> : preview.error ? <PolicyError error={preview.error} /> : <EffectView effect={preview.data} preview />}
      <PolicyError error={del.error} />
      <div className="form-actions">
        <button
          type="button"
          className="btn btn-danger"
          disabled={!preview.data || del.isPending}
          onClick={() => del.mutateAsync({ id: rule.id }).then((r) => onDone(t('rules.deletedMsg', { id: rule.id, n: fmtInt(r.effect.changed) })), () => undefined)}
          data-testid="rule-delete-confirm"
        >
          {tc('common.delete')}
        </button>
        <button type="button" className="btn" onClick={() => onDone('')} autoFocus>
          {tc('common.cancel')}
        </button>
      </div>
    </div>
  );
}

export function DefaultsScreen() {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const isManager = useIsManager();
  const q = useCall('cylinders.defaults.list', {});
  const [editing, setEditing] = useState<DefaultRuleRow | 'new' | null>(null);
  const [deleting, setDeleting] = useState<DefaultRuleRow | null>(null);
  const [gas, setGas] = useState('');
  const [message, setMessage] = useState('');
  const rows = useMemo(() => (q.data ?? []).filter((r) => !gas || r.gasName === gas), [q.data, gas]);
  const gases = useMemo(() => [...new Set((q.data ?? []).map((r) => r.gasName))], [q.data]);
  const done = (msg: string) => {
    setEditing(null);
    setDeleting(null);
    setMessage(msg);
  };
  const editById = (id: number) => {
    const r = q.data?.find((x) => x.id === id);
    if (r) {
      setDeleting(null);
      setEditing(r);
    }
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <h2 className="cy-h2">{t('tabs.defaults')}</h2>
        <label className="inline-field">
          {t('col.gas')}
          <select value={gas} onChange={(e) => setGas(e.target.value)} data-testid="rules-gas-filter">
            <option value="">{tc('common.all')}</option>
            {gases.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <span className="cy-grow" />
        {isManager && editing === null && (
          <button type="button" className="btn btn-primary" onClick={() => (setMessage(''), setDeleting(null), setEditing('new'))} data-testid="rule-new">
            + {t('rules.new')}
          </button>
        )}
      </div>
      <p className="muted small">{t('rules.order')}</p>
      {message && (
        <div className="cy-flash ok" role="status" data-testid="flash">
          ✓ {message}
        </div>
      )}
      {editing !== null && <RuleForm key={editing === 'new' ? 'new' : editing.id} initial={editing === 'new' ? undefined : editing} onDone={done} onEditOther={editById} />}
      {deleting && <DeleteRule key={deleting.id} rule={deleting} onDone={done} />}
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('rules.empty')}</Empty>
      ) : (
        <div className="cy-table-wrap">
          <table className="table" data-testid="rules-table" aria-label={t('tabs.defaults')}>
            <thead>
              <tr>
                <th className="num">#</th>
                <th>{t('col.gas')}</th>
                <th>{t('col.capacity')}</th>
                <th>{t('rules.valveCode')}</th>
                <th>{t('rules.specCode')}</th>
                <th>{t('col.enduser')}</th>
                <th>{t('rules.state')}</th>
                <th className="num" title={t('rules.specificityHelp')}>
                  {t('rules.specificity')}
                </th>
                <th className="num" title={t('rules.decidesHelp')}>
                  {t('rules.decides')}
                </th>
                <th>{t('rules.updated')}</th>
                {isManager && <th>{t('actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid={`rule-${r.id}`} className={r.isActive ? undefined : 'cy-inactive'}>
                  <td className="num">{r.id}</td>
                  <td>
                    <strong>{r.gasName}</strong>
                  </td>
                  <td>
                    <Any v={r.capacity} />
                  </td>
                  <td>
                    <Any v={r.valveSpecCode} sub={r.valveSpecName} />
                  </td>
                  <td>
                    <Any v={r.cylinderSpecCode} sub={r.cylinderSpecName} />
                  </td>
                  <td>
                    <strong>{r.defaultEnduser}</strong>
                  </td>
                  <td>
                    <ActiveBadge active={r.isActive} />
                  </td>
                  <td className="num">{r.specificity}</td>
                  <td className="num" data-testid="rule-decides">
                    {fmtInt(r.decides)}
                  </td>
                  <td className="nowrap small">{fmtDateTime(r.updatedAt ?? r.createdAt, false)}</td>
                  {isManager && (
                    <td className="nowrap">
                      <button type="button" className="btn" onClick={() => (setMessage(''), setDeleting(null), setEditing(r))} aria-label={`${tc('common.edit')} #${r.id}`}>
                        ✎ {tc('common.edit')}
                      </button>{' '}
                      <button type="button" className="btn" onClick={() => (setMessage(''), setEditing(null), setDeleting(r))} aria-label={`${tc('common.delete')} #${r.id}`}>
                        {tc('common.delete')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
