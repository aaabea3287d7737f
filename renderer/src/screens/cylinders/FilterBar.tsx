/** The column filters of the inventory (design §4.3): one picker per column, statuses, "available only". */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../api/hooks';
import { COLUMN_FILTERS, activeFilterCount, sameFilters, statusTone, type UiFilters } from './format';

const ALL = '\u0000all';

export type FilterUpdate = (f: UiFilters) => UiFilters;

/**
 * `value` comes from the URL, which react-router commits in a transition: the bar shows the change at once
 * (its own copy) and hands the parent an update to apply to the URL as it is by then.
 */
export function FilterBar({ value: fromUrl, onChange: apply, typeLabel }: { value: UiFilters; onChange: (update: FilterUpdate) => void; typeLabel?: string }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const [value, setValue] = useState(fromUrl);
  const [seen, setSeen] = useState(fromUrl);
  if (!sameFilters(fromUrl, seen)) {
    setSeen(fromUrl);
    setValue(fromUrl);
  }
  const change = (update: FilterUpdate) => {
    setValue(update(value));
    apply(update);
  };
  const onChange = (next: Partial<UiFilters>) => change((f) => ({ ...f, ...next }));
  const opts = useCall('cylinders.filters', {}, { staleTime: 30_000 });
  const statuses = opts.data?.statuses ?? ['보관', '충전', '분석', '창입', '출하', '이상', '폐기', '기타'];
  const toggleStatus = (s: string) => change((f) => ({ ...f, status: f.status.includes(s) ? f.status.filter((x) => x !== s) : [...f.status, s] }));
  return (
    <div className="cy-filters" role="search" aria-label={tc('common.filters')} data-testid="filters">
      <div className="cy-filter-row">
        {COLUMN_FILTERS.map((c) => {
          const options = opts.data?.[c.option] ?? [];
          const cur = value[c.key];
          // keep a value from the URL selectable even when the options do not (yet) list it
          const list = cur !== undefined && !options.includes(cur) ? [cur, ...options] : options;
          return (
            <label key={c.key} className="cy-filter">
              <span className="field-label">{t(`col.${c.key}`)}</span>
              <select
                value={cur === undefined ? ALL : cur}
                onChange={(e) => onChange({ [c.key]: e.target.value === ALL ? undefined : e.target.value })}
                data-testid={`filter-${c.key}`}
                className={cur !== undefined ? 'cy-filter-set' : undefined}
              >
                <option value={ALL}>{tc('common.all')}</option>
                {list.map((o) => (
                  <option key={o} value={o}>
                    {o === '' ? t('none') : o}
                  </option>
                ))}
              </select>
            </label>
          );
        })}
      </div>
      <div className="cy-filter-row">
        <fieldset className="toggles cy-status-filter">
          <legend className="field-label">{t('col.status')}</legend>
          {statuses.map((s) => (
            <button
              key={s}
              type="button"
              className={`cy-chip cy-st-${statusTone(s)}${value.status.includes(s) ? ' on' : ''}`}
              aria-pressed={value.status.includes(s)}
              onClick={() => toggleStatus(s)}
              data-testid={`filter-status-${s}`}
            >
              {value.status.includes(s) ? '✓ ' : ''}
              {s}
            </button>
          ))}
        </fieldset>
        <label className="toggle cy-switch">
          <input type="checkbox" role="switch" checked={value.availableOnly} onChange={(e) => onChange({ availableOnly: e.target.checked })} data-testid="filter-available" />
          {t('availableOnly')}
        </label>
        {value.typeKey && (
          <span className="cy-chip on cy-type-chip" data-testid="filter-type">
            {t('typeFilter')}: {typeLabel ?? <span className="mono">{value.typeKey.slice(0, 8)}…</span>}
            <button type="button" className="btn btn-ghost cy-chip-x" aria-label={t('removeType')} onClick={() => onChange({ typeKey: undefined })}>
              ✕
            </button>
          </span>
        )}
        <button type="button" className="btn" disabled={activeFilterCount(value) === 0} onClick={() => change(() => ({ status: [], availableOnly: false }))} data-testid="filter-clear">
          {t('clearFilters')}
          {activeFilterCount(value) > 0 ? ` (${activeFilterCount(value)})` : ''}
        </button>
      </div>
      {opts.error && (
        <span className="field-error" role="alert">
          {opts.error.message}
        </span>
      )}
    </div>
  );
}
