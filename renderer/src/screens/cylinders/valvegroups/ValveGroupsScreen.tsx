/**
 * Valve groups (design §1.2): FCMS valves mapped into a group show as the group's primary valve, and the summary
 * counts them as one valve. A mapping matches FCMS by code and name, so a valve renamed in FCMS stops matching:
 * such mappings are flagged.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { PolicyEffect, ValveGroupRow, ValveSpecOption } from '../../../../../main/api/types';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtInt } from '../format';
import { ActiveBadge, PolicyError, SavedFlash, useCylMutation, useIsManager } from '../common';

type Done = (effect: PolicyEffect | null, what?: string) => void;

function GroupForm({ initial, onDone }: { initial?: ValveGroupRow; onDone: Done }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [name, setName] = useState(initial?.groupName ?? '');
  const [desc, setDesc] = useState(initial?.description ?? '');
  const [active, setActive] = useState(initial?.isActive ?? true);
  const save = useCylMutation('cylinders.valveGroups.save');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await save.mutateAsync({ ...(initial ? { id: initial.id } : {}), groupName: name, description: desc.trim() || null, isActive: active }).catch(() => null);
    if (r) onDone(r.effect, t('valves.savedMsg', { name: name.trim() }));
  };
  return (
    <form className="card cy-form" onSubmit={submit} aria-labelledby="vg-form-title" data-testid="group-form">
      <h2 id="vg-form-title">{initial ? t('valves.editTitle', { name: initial.groupName }) : t('valves.newTitle')}</h2>
      <div className="form-grid">
        <label className="field">
          <span className="field-label">{t('valves.name')} *</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} data-testid="group-name" />
        </label>
        <label className="field">
          <span className="field-label">{t('valves.description')}</span>
          <input value={desc} onChange={(e) => setDesc(e.target.value)} maxLength={2000} />
        </label>
        <label className="toggle cy-toggle-field">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('active')}
        </label>
      </div>
      <PolicyError error={save.error} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending || !name.trim()} data-testid="group-save">
          {tc('common.save')}
        </button>
        <button type="button" className="btn" onClick={() => onDone(null)}>
          {tc('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function AddMapping({ group, specs, groups, onDone }: { group: ValveGroupRow; specs: ValveSpecOption[]; groups: ValveGroupRow[]; onDone: Done }) {
  const { t } = useTranslation('cylinders');
  const [code, setCode] = useState('');
  const [primary, setPrimary] = useState(group.mappings.length === 0);
  const save = useCylMutation('cylinders.mappings.save');
  const groupName = (id: number | null) => groups.find((g) => g.id === id)?.groupName ?? '';
  const choices = specs.filter((s) => s.groupId !== group.id);
  return (
    <form
      className="cy-inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutateAsync({ groupId: group.id, valveSpecCode: code, isPrimary: primary }).then(
          (r) => {
            setCode('');
            onDone(r.effect, t('valves.mappedMsg', { code, name: group.groupName }));
          },
          () => undefined,
        );
      }}
    >
      <label className="inline-field">
        {t('valves.addValve')}
        <select value={code} onChange={(e) => setCode(e.target.value)} required data-testid={`map-select-${group.groupName}`}>
          <option value="">{t('valves.pickValve')}</option>
          {choices.map((s) => (
            <option key={s.code} value={s.code}>
              {s.code} — {s.name} ({t('valves.cyl', { n: fmtInt(s.cylinders) })}){s.groupId !== null ? ` · ${t('valves.inGroup', { name: groupName(s.groupId) })}` : ''}
            </option>
          ))}
        </select>
      </label>
      <label className="toggle">
        <input type="checkbox" checked={primary} onChange={(e) => setPrimary(e.target.checked)} /> {t('valves.primary')}
      </label>
      <button type="submit" className="btn btn-primary" disabled={!code || save.isPending} data-testid={`map-add-${group.groupName}`}>
        + {t('valves.map')}
      </button>
      <PolicyError error={save.error} />
    </form>
  );
}

function GroupCard({ g, specs, groups, isManager, onDone }: { g: ValveGroupRow; specs: ValveSpecOption[]; groups: ValveGroupRow[]; isManager: boolean; onDone: Done }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const saveMap = useCylMutation('cylinders.mappings.save');
  const delMap = useCylMutation('cylinders.mappings.delete');
  const delGroup = useCylMutation('cylinders.valveGroups.delete');
  const err = saveMap.error ?? delMap.error ?? delGroup.error;
  return (
    <article className={`card cy-group${g.isActive ? '' : ' cy-inactive'}`} aria-labelledby={`vg-${g.id}`} data-testid={`group-${g.groupName}`}>
      <header className="cy-group-head">
        <h3 id={`vg-${g.id}`}>{g.groupName}</h3>
        <ActiveBadge active={g.isActive} />
        <span className="muted">{g.description}</span>
        {!g.isActive && <span className="warn small">{t('valves.inactiveNote')}</span>}
        <span className="cy-grow" />
        <span>
          {t('valves.shownAs')}: <strong>{g.primaryValveName ?? <span className="warn">{t('valves.noPrimary')}</span>}</strong>
        </span>
        <span className="badge">{t('valves.cyl', { n: fmtInt(g.cylinders) })}</span>
        {isManager && (
          <>
            <button type="button" className="btn" onClick={() => setEditing(!editing)}>
              ✎ {tc('common.edit')}
            </button>
            <button type="button" className="btn" onClick={() => setConfirm(true)}>
              {tc('common.delete')}
            </button>
          </>
        )}
      </header>
      {editing && (
        <GroupForm
          initial={g}
          onDone={(e, w) => {
            setEditing(false);
            onDone(e, w);
          }}
        />
      )}
      {confirm && (
        <div className="cy-confirm" role="alertdialog" aria-label={t('valves.deleteTitle', { name: g.groupName })}>
          <strong>{t('valves.deleteTitle', { name: g.groupName })}</strong> <span className="muted">{t('valves.deleteHelp', { n: g.mappings.length })}</span>{' '}
          <button
            type="button"
            className="btn btn-danger"
            disabled={delGroup.isPending}
            onClick={() => delGroup.mutateAsync({ id: g.id }).then((r) => onDone(r.effect, t('valves.deletedMsg', { name: g.groupName })), () => undefined)}
          >
            {tc('common.delete')}
          </button>{' '}
          <button type="button" className="btn" onClick={() => setConfirm(false)} autoFocus>
            {tc('common.cancel')}
          </button>
        </div>
      )}
      {g.mappings.length === 0 ? (
        <p className="muted">{t('valves.noMappings')}</p>
      ) : (
        <table className="table small" aria-label={t('valves.mappings', { name: g.groupName })}>
          <thead>
            <tr>
              <th>{t('valves.primary')}</th>
              <th>{t('rules.valveCode')}</th>
              <th>{t('valves.valveName')}</th>
              <th>{t('rules.state')}</th>
              <th className="num">{t('valves.cylinders')}</th>
              {isManager && <th>{t('actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {g.mappings.map((m) => (
              <tr key={m.id} className={m.isActive ? undefined : 'cy-inactive'}>
                <td>{m.isPrimary ? <strong className="ok">★ {t('valves.primary')}</strong> : ''}</td>
                <td className="mono">{m.valveSpecCode}</td>
                <td>
                  {m.valveSpecName}
                  {m.fcmsName !== null && m.fcmsName !== m.valveSpecName && (
                    <div className="warn small" role="note">
                      ⚠ {t('valves.renamed', { name: m.fcmsName })}
                    </div>
                  )}
                  {m.fcmsName === null && <div className="warn small">⚠ {t('valves.unknownCode')}</div>}
                </td>
                <td>
                  <ActiveBadge active={m.isActive} />
                </td>
                <td className="num">{fmtInt(m.cylinders)}</td>
                {isManager && (
                  <td className="nowrap">
                    {!m.isPrimary && m.isActive && (
                      <button
                        type="button"
                        className="btn"
                        disabled={saveMap.isPending}
                        onClick={() =>
                          saveMap
                            .mutateAsync({ id: m.id, groupId: g.id, valveSpecCode: m.valveSpecCode, valveSpecName: m.valveSpecName, isPrimary: true })
                            .then((r) => onDone(r.effect, t('valves.primaryMsg', { code: m.valveSpecCode })), () => undefined)
                        }
                      >
                        ★ {t('valves.makePrimary')}
                      </button>
                    )}{' '}
                    <button
                      type="button"
                      className="btn"
                      disabled={saveMap.isPending}
                      onClick={() =>
                        saveMap
                          .mutateAsync({ id: m.id, groupId: g.id, valveSpecCode: m.valveSpecCode, valveSpecName: m.valveSpecName, isActive: !m.isActive })
                          .then((r) => onDone(r.effect, t('valves.toggledMsg', { code: m.valveSpecCode })), () => undefined)
                      }
                    >
                      {m.isActive ? t('deactivate') : t('activate')}
                    </button>{' '}
                    <button
                      type="button"
                      className="btn"
                      disabled={delMap.isPending}
                      onClick={() => delMap.mutateAsync({ id: m.id }).then((r) => onDone(r.effect, t('valves.unmappedMsg', { code: m.valveSpecCode })), () => undefined)}
                      aria-label={`${t('valves.unmap')} ${m.valveSpecCode}`}
                    >
                      {t('valves.unmap')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PolicyError error={err} />
      {isManager && <AddMapping group={g} specs={specs} groups={groups} onDone={onDone} />}
    </article>
  );
}

export function ValveGroupsScreen() {
  const { t } = useTranslation('cylinders');
  const isManager = useIsManager();
  const q = useCall('cylinders.valveGroups.list', {});
  const [adding, setAdding] = useState(false);
  const [last, setLast] = useState<{ effect: PolicyEffect; what: string } | null>(null);
  const ungrouped = useMemo(() => (q.data?.valveSpecs ?? []).filter((s) => s.mappingId === null), [q.data]);
  const done: Done = (effect, what) => {
    setAdding(false);
    if (effect) setLast({ effect, what: what ?? '' });
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <h2 className="cy-h2">{t('tabs.valves')}</h2>
        <span className="muted small">{t('valves.help')}</span>
        <span className="cy-grow" />
        {isManager && !adding && (
          <button type="button" className="btn btn-primary" onClick={() => (setLast(null), setAdding(true))} data-testid="group-new">
            + {t('valves.new')}
          </button>
        )}
      </div>
      <SavedFlash saved={last} />
      {adding && <GroupForm onDone={done} />}
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <>
          {q.data.groups.length === 0 ? (
            <Empty>{t('valves.empty')}</Empty>
          ) : (
            q.data.groups.map((g) => <GroupCard key={g.id} g={g} specs={q.data.valveSpecs} groups={q.data.groups} isManager={isManager} onDone={done} />)
          )}
          <section aria-labelledby="vg-ungrouped">
            <h3 id="vg-ungrouped">{t('valves.ungrouped', { n: ungrouped.length })}</h3>
            <table className="table small" data-testid="ungrouped-valves">
              <thead>
                <tr>
                  <th>{t('rules.valveCode')}</th>
                  <th>{t('valves.valveName')}</th>
                  <th className="num">{t('valves.cylinders')}</th>
                </tr>
              </thead>
              <tbody>
                {ungrouped.map((s) => (
                  <tr key={s.code}>
                    <td className="mono">{s.code}</td>
                    <td>{s.name}</td>
                    <td className="num">{fmtInt(s.cylinders)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}
