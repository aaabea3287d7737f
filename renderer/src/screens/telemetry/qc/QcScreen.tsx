import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Loading } from '../../../app/ui';
import { useSession, hasRole } from '../../../stores/session';
import type { QcRule, Expectation } from '../../../../../main/api/types';

const NUM_FIELDS = ['min_val', 'max_val', 'warn_min', 'warn_max', 'crit_min', 'crit_max', 'max_step', 'max_gap_seconds', 'roc_max_per_min', 'spike_zscore', 'deadband_pct'] as const;
type NumField = (typeof NUM_FIELDS)[number];
type Draft = Record<NumField, string> & { tag_name: string; enabled: boolean; allow_negative: boolean };

const toDraft = (r?: QcRule): Draft => ({
  tag_name: r?.tag_name ?? '',
  enabled: r?.enabled !== false,
  allow_negative: Boolean(r?.allow_negative),
  ...(Object.fromEntries(NUM_FIELDS.map((k) => [k, r?.[k] === null || r?.[k] === undefined ? '' : String(r[k])])) as Record<NumField, string>),
});

function RuleForm({ initial, onDone }: { initial?: QcRule; onDone: () => void }) {
  const { t } = useTranslation('telemetry');
  const { t: tc } = useTranslation();
  const save = useCallMutation('telemetry.qc.save', ['telemetry.qc.list', 'telemetry.kpi', 'telemetry.latest', 'telemetry.tags']);
  const [d, setD] = useState<Draft>(toDraft(initial));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const num = (s: string) => (s.trim() === '' ? null : Number(s));
    await save
      .mutateAsync({
        tag_name: d.tag_name,
        enabled: d.enabled,
        allow_negative: d.allow_negative,
        meta: initial?.meta ?? {},
        ...(Object.fromEntries(NUM_FIELDS.map((k) => [k, num(d[k])])) as Record<NumField, number | null>),
      })
      .then(onDone, () => undefined);
  };
  return (
    <form className="card form-grid" onSubmit={submit} aria-label={t('qc.new')} data-testid="qc-form">
      <label className="field">
        <span className="field-label">{t('latest.tag')}</span>
        <input value={d.tag_name} readOnly={Boolean(initial)} onChange={(e) => setD({ ...d, tag_name: e.target.value })} required />
      </label>
      {NUM_FIELDS.map((k) => (
        <label key={k} className="field">
          <span className="field-label">{t(`qc.fields.${k}`)}</span>
          <input name={k} inputMode="decimal" value={d[k]} onChange={(e) => setD({ ...d, [k]: e.target.value })} />
        </label>
      ))}
      <label className="toggle">
        <input type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} /> {t('qc.enabled')}
      </label>
      <label className="toggle">
        <input type="checkbox" checked={d.allow_negative} onChange={(e) => setD({ ...d, allow_negative: e.target.checked })} /> {t('qc.fields.allow_negative')}
      </label>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {t('qc.save')}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          {tc('common.cancel')}
        </button>
      </div>
      <ErrorState error={save.error} />
    </form>
  );
}

function ExpectationRow({ e, canEdit }: { e: Expectation; canEdit: boolean }) {
  const { t } = useTranslation('telemetry');
  const save = useCallMutation('telemetry.expectations.save', ['telemetry.expectations.list', 'telemetry.comm']);
  const [v, setV] = useState({ exp_per_min: String(e.exp_per_min), slo_warn: String(e.slo_warn), slo_crit: String(e.slo_crit) });
  return (
    <tr>
      <td>{e.tag_name}</td>
      {(['exp_per_min', 'slo_warn', 'slo_crit'] as const).map((k) => (
        <td key={k}>
          <input aria-label={`${e.tag_name} ${t(`qc.fields.${k}`)}`} value={v[k]} disabled={!canEdit} onChange={(ev) => setV({ ...v, [k]: ev.target.value })} size={6} />
        </td>
      ))}
      <td>
        {canEdit && (
          <button type="button" className="btn" onClick={() => save.mutate({ tag_name: e.tag_name, exp_per_min: Number(v.exp_per_min), slo_warn: Number(v.slo_warn), slo_crit: Number(v.slo_crit) })}>
            {t('qc.save')}
          </button>
        )}
        {save.error && <span className="field-error"> {save.error.message}</span>}
      </td>
    </tr>
  );
}

export function QcScreen() {
  const { t } = useTranslation('telemetry');
  const canEdit = useSession(hasRole('manager'));
  const rules = useCall('telemetry.qc.list', {});
  const exps = useCall('telemetry.expectations.list', {});
  const del = useCallMutation('telemetry.qc.delete', ['telemetry.qc.list']);
  const [editing, setEditing] = useState<QcRule | 'new' | null>(null);
  if (rules.isPending || exps.isPending) return <Loading />;
  if (rules.error) return <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />;
  return (
    <div className="stack">
      <h2>{t('qc.rules')}</h2>
      {canEdit && editing === null && (
        <div>
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
            {t('qc.new')}
          </button>
        </div>
      )}
      {editing !== null && <RuleForm key={editing === 'new' ? 'new' : editing.tag_name} initial={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />}
      <div className="table-scroll">
        <table className="table" data-testid="qc-table">
          <thead>
            <tr>
              <th>{t('latest.tag')}</th>
              <th>{t('qc.enabled')}</th>
              {NUM_FIELDS.slice(0, 6).map((k) => (
                <th key={k} className="num">
                  {t(`qc.fields.${k}`)}
                </th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data.rules.map((r) => (
              <tr key={r.tag_name}>
                <td>{r.tag_name}</td>
                <td>{r.enabled === false ? '✗' : '✓'}</td>
                {NUM_FIELDS.slice(0, 6).map((k) => (
                  <td key={k} className="num">
                    {r[k] ?? '—'}
                  </td>
                ))}
                <td className="nowrap">
                  {canEdit && (
                    <>
                      <button type="button" className="btn" onClick={() => setEditing(r)}>
                        ✎
                      </button>{' '}
                      <button type="button" className="btn" onClick={() => window.confirm(t('qc.confirmDelete', { tag: r.tag_name })) && del.mutate({ tag_name: r.tag_name })}>
                        {t('qc.delete')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('qc.expectations')}</h2>
      {exps.data && (
        <table className="table" data-testid="exp-table">
          <thead>
            <tr>
              <th>{t('latest.tag')}</th>
              <th>{t('qc.perMin')}</th>
              <th>{t('qc.sloWarn')}</th>
              <th>{t('qc.sloCrit')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {exps.data.expectations.map((e) => (
              <ExpectationRow key={e.tag_name} e={e} canEdit={canEdit} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
