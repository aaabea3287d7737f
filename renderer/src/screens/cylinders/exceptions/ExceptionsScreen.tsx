/**
 * EndUser exceptions: one cylinder, one EndUser, beating every default rule (design §4.1). Managers paste a block
 * of cylinder numbers (the design's "29 cylinders delivered to LGD only") with a reason; main refuses the whole
 * batch when a number is unknown, listed twice or already excepted, and the screen lists which.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { keepPreviousData } from '@tanstack/react-query';
import type { ExceptionRow, PolicyEffect } from '../../../../../main/api/types';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { fmtInt, parseCylinderNos } from '../format';
import { ActiveBadge, PolicyError, SavedFlash, useCylMutation, useIsManager } from '../common';

const SHOWN = 500;

function BulkForm({ initialNos, onDone }: { initialNos: string; onDone: (effect: PolicyEffect | null, created: number) => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [pasted, setPasted] = useState(initialNos);
  const [enduser, setEnduser] = useState('');
  const [reason, setReason] = useState('');
  const [active, setActive] = useState(true);
  const opts = useCall('cylinders.filters', {}, { staleTime: 60_000 });
  const save = useCylMutation('cylinders.exceptions.save');
  const parsed = useMemo(() => parseCylinderNos(pasted), [pasted]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await save.mutateAsync({ cylinderNos: parsed.all, enduser, reason: reason.trim() || null, isActive: active }).catch(() => null);
    if (r) onDone(r.effect, r.created);
  };
  return (
    <form className="card cy-form" onSubmit={submit} aria-labelledby="exc-form-title" data-testid="exception-form">
      <h2 id="exc-form-title">{t('exc.newTitle')}</h2>
      <div className="cy-bulk">
        <label className="field cy-bulk-paste">
          <span className="field-label">{t('exc.numbers')} *</span>
          <textarea value={pasted} onChange={(e) => setPasted(e.target.value)} rows={8} className="mono" placeholder={'CF000012\nCF000015\n…'} data-testid="exception-paste" required />
          <span className="field-hint" data-testid="exception-count" data-count={parsed.unique.length}>
            {t('exc.parsed', { n: fmtInt(parsed.unique.length) })}
          </span>
          {parsed.duplicates.length > 0 && (
            <span className="warn small" role="status">
              {t('exc.duplicates', { n: parsed.duplicates.length, list: parsed.duplicates.slice(0, 10).join(', ') })}{' '}
              <button type="button" className="btn" onClick={() => setPasted(parsed.unique.join('\n'))} data-testid="exception-dedupe">
                {t('exc.dedupe')}
              </button>
            </span>
          )}
          {parsed.tooLong.length > 0 && <span className="field-error">{t('errors.tooLong')} {parsed.tooLong.slice(0, 5).join(', ')}</span>}
        </label>
        <div>
          <label className="field">
            <span className="field-label">{t('col.enduser')} *</span>
            <input value={enduser} onChange={(e) => setEnduser(e.target.value)} list="cy-exc-endusers" maxLength={50} required data-testid="exception-enduser" />
            <datalist id="cy-exc-endusers">
              {(opts.data?.endusers ?? []).map((x) => (
                <option key={x} value={x} />
              ))}
            </datalist>
          </label>
          <label className="field">
            <span className="field-label">{t('exc.reason')}</span>
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} placeholder={t('exc.reasonHint')} data-testid="exception-reason" />
          </label>
          <label className="toggle">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('active')}
          </label>
        </div>
      </div>
      <p className="muted small">{t('exc.allOrNothing')}</p>
      <PolicyError error={save.error} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending || parsed.unique.length === 0 || !enduser.trim()} data-testid="exception-save">
          {t('exc.save', { n: fmtInt(parsed.unique.length) })}
        </button>
        <button type="button" className="btn" onClick={() => onDone(null, 0)}>
          {tc('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function EditRow({ row, onDone }: { row: ExceptionRow; onDone: (effect: PolicyEffect | null) => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [enduser, setEnduser] = useState(row.enduser);
  const [reason, setReason] = useState(row.reason ?? '');
  const [active, setActive] = useState(row.isActive);
  const upd = useCylMutation('cylinders.exceptions.update');
  return (
    <tr className="cy-editing">
      <td />
      <td className="mono">{row.cylinderNo}</td>
      <td colSpan={7}>
        <form
          className="cy-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            upd.mutateAsync({ id: row.id, enduser, reason: reason.trim() || null, isActive: active }).then((r) => onDone(r.effect), () => undefined);
          }}
        >
          <label className="inline-field">
            {t('col.enduser')} <input value={enduser} onChange={(e) => setEnduser(e.target.value)} size={8} required maxLength={50} data-testid="exc-edit-enduser" />
          </label>
          <label className="inline-field">
            {t('exc.reason')} <input value={reason} onChange={(e) => setReason(e.target.value)} size={28} maxLength={2000} />
          </label>
          <label className="toggle">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('active')}
          </label>
          <button type="submit" className="btn btn-primary" disabled={upd.isPending}>
            {tc('common.save')}
          </button>
          <button type="button" className="btn" onClick={() => onDone(null)}>
            {tc('common.cancel')}
          </button>
          <PolicyError error={upd.error} />
        </form>
      </td>
    </tr>
  );
}

export function ExceptionsScreen() {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const isManager = useIsManager();
  const [params, setParams] = useSearchParams();
  const addNo = params.get('add');
  const [search, setSearch] = useState('');
  const [activeOnly, setActiveOnly] = useState(false);
  const q = useCall('cylinders.exceptions.list', { search: search.trim() || undefined, activeOnly: activeOnly || undefined }, { placeholderData: keepPreviousData });
  const [adding, setAdding] = useState(Boolean(addNo));
  const [editing, setEditing] = useState<number | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [last, setLast] = useState<{ effect: PolicyEffect; what: string } | null>(null);
  const del = useCylMutation('cylinders.exceptions.delete');
  const rows = q.data ?? [];
  const visibleIds = new Set(rows.map((r) => r.id));
  const chosen = [...selected].filter((id) => visibleIds.has(id));

  const closeAdd = (effect: PolicyEffect | null, created: number) => {
    setAdding(false);
    if (addNo) {
      const p = new URLSearchParams(params);
      p.delete('add');
      setParams(p, { replace: true });
    }
    if (effect) setLast({ effect, what: t('exc.createdMsg', { n: fmtInt(created) }) });
  };
  const toggle = (id: number) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <h2 className="cy-h2">{t('tabs.exceptions')}</h2>
        <label className="inline-field">
          {tc('common.search')}
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t('exc.searchHint')} data-testid="exc-search" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly(e.target.checked)} /> {t('exc.activeOnly')}
        </label>
        {q.data && <span className="muted">{t('exc.count', { n: fmtInt(rows.length) })}</span>}
        <span className="cy-grow" />
        {isManager && chosen.length > 0 && (
          <button type="button" className="btn" onClick={() => setConfirmDelete(true)} data-testid="exc-delete-selected">
            {t('exc.deleteSelected', { n: chosen.length })}
          </button>
        )}
        {isManager && !adding && (
          <button type="button" className="btn btn-primary" onClick={() => (setLast(null), setAdding(true))} data-testid="exception-new">
            + {t('exc.new')}
          </button>
        )}
      </div>
      <SavedFlash saved={last} />
      {adding && isManager && <BulkForm initialNos={addNo ?? ''} onDone={closeAdd} />}
      {confirmDelete && (
        <div className="card cy-confirm" role="alertdialog" aria-labelledby="exc-del-title">
          <h2 id="exc-del-title">{t('exc.deleteTitle', { n: chosen.length })}</h2>
          <p className="mono small">{rows.filter((r) => chosen.includes(r.id)).map((r) => r.cylinderNo).join(', ')}</p>
          <PolicyError error={del.error} />
          <div className="form-actions">
            <button
              type="button"
              className="btn btn-danger"
              disabled={del.isPending}
              onClick={() =>
                del.mutateAsync({ ids: chosen }).then(
                  (r) => {
                    setConfirmDelete(false);
                    setSelected(new Set());
                    setLast({ effect: r.effect, what: t('exc.deletedMsg', { n: r.deleted }) });
                  },
                  () => undefined,
                )
              }
              data-testid="exc-delete-confirm"
            >
              {tc('common.delete')}
            </button>
            <button type="button" className="btn" onClick={() => setConfirmDelete(false)} autoFocus>
              {tc('common.cancel')}
            </button>
          </div>
        </div>
      )}
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>{t('exc.empty')}</Empty>
      ) : (
        <div className="cy-table-wrap">
          <table className="table" data-testid="exceptions-table" aria-label={t('tabs.exceptions')}>
            <thead>
              <tr>
                <th>
                  {isManager && (
                    <input
                      type="checkbox"
                      aria-label={t('exc.selectAll')}
                      checked={chosen.length > 0 && chosen.length === rows.length}
                      onChange={(e) => setSelected(e.target.checked ? new Set(rows.map((r) => r.id)) : new Set())}
                    />
                  )}
                </th>
                <th>{t('col.cylinderNo')}</th>
                <th>{t('col.enduser')}</th>
                <th title={t('exc.ruleHelp')}>{t('exc.rule')}</th>
                <th>{t('exc.reason')}</th>
                <th>{t('rules.state')}</th>
                <th>{t('col.gas')}</th>
                <th>{t('rules.updated')}</th>
                <th>{isManager ? t('actions') : ''}</th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, SHOWN).map((r) =>
                editing === r.id ? (
                  <EditRow
                    key={r.id}
                    row={r}
                    onDone={(effect) => {
                      setEditing(null);
                      if (effect) setLast({ effect, what: t('exc.updatedMsg', { no: r.cylinderNo }) });
                    }}
                  />
                ) : (
                  <tr key={r.id} className={r.isActive ? undefined : 'cy-inactive'} data-testid={`exc-${r.cylinderNo}`}>
                    <td>{isManager && <input type="checkbox" checked={selected.has(r.id)} onChange={() => toggle(r.id)} aria-label={r.cylinderNo} />}</td>
                    <td>
                      <Link className="mono" to={`/cylinders/list?q=${encodeURIComponent(r.cylinderNo)}&no=${encodeURIComponent(r.cylinderNo)}`}>
                        {r.cylinderNo}
                      </Link>
                    </td>
                    <td>
                      <strong>{r.enduser}</strong>
                    </td>
                    <td className={r.ruleEnduser === r.enduser ? 'muted' : undefined}>{r.ruleEnduser ?? <span className="warn">{t('exc.notInSnapshot')}</span>}</td>
                    <td>{r.reason ?? <span className="muted">—</span>}</td>
                    <td>
                      <ActiveBadge active={r.isActive} />
                    </td>
                    <td>
                      {r.gasName ?? '—'} {r.capacity && <span className="muted small mono">{r.capacity}</span>}
                    </td>
                    <td className="nowrap small">{fmtDateTime(r.updatedAt ?? r.createdAt, false)}</td>
                    <td>
                      {isManager && (
                        <button type="button" className="btn" onClick={() => setEditing(r.id)} aria-label={`${tc('common.edit')} ${r.cylinderNo}`}>
                          ✎
                        </button>
                      )}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
          {rows.length > SHOWN && <p className="muted small">{t('exc.more', { shown: SHOWN, n: fmtInt(rows.length) })}</p>}
        </div>
      )}
    </div>
  );
}
