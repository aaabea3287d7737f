/**
 * The cylinders behind the summary: a virtualized list (TanStack Virtual; pages of 200 fetched as they scroll into
 * view, so 100 000 rows scroll smoothly), sortable, searchable by cylinder-number prefix, with the detail beside.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useQueries } from '@tanstack/react-query';
import type { CylinderRow, ListSort } from '../../../../../main/api/types';
import { call } from '../../../api/client';
import { ErrorState } from '../../../app/ui';
import { VirtualTable, type Column } from '../../../components/VirtualTable';
import { filtersFromParams, fmtInt, isListSort, kstMinute, liveParams, pagesFor, toApiFilters, wantPages, writeFilterParams, type ApiFilters } from '../format';
import { FilterBar, type FilterUpdate } from '../FilterBar';
import { ExportButtons, StatusBadge, val } from '../common';
import { DetailPanel } from './DetailPanel';

const PAGE = 200;

type ListInput = ApiFilters & { search?: string; sort: ListSort; dir: 'asc' | 'desc' };

function usePagedList(query: ListInput) {
  const key = JSON.stringify(query);
  const [want, setWant] = useState<{ key: string; pages: number[] }>({ key, pages: [0] });
  const pages = want.key === key ? want.pages : [0];
  const results = useQueries({
    queries: pages.map((p) => ({
      queryKey: ['cylinders.list', { ...query, offset: p * PAGE, limit: PAGE }],
      queryFn: () => call('cylinders.list', { ...query, offset: p * PAGE, limit: PAGE }),
      staleTime: 10_000,
      retry: 1,
    })),
  });
  const byPage = new Map(pages.map((p, i) => [p, results[i]] as const));
  const anyTotal = byPage.get(0)?.data?.total ?? results.find((r) => r.data)?.data?.total;
  // while a new query's first page loads, the previous total keeps the list in place
  const [lastTotal, setLastTotal] = useState(0);
  useEffect(() => {
    if (anyTotal !== undefined) setLastTotal(anyTotal);
  }, [anyTotal]);
  const getRow = (i: number): CylinderRow | undefined => byPage.get(Math.floor(i / PAGE))?.data?.rows[i % PAGE];
  const need = useCallback(
    (s: number, e: number) =>
      setWant((w) => {
        const cur = w.key === key ? w.pages : [0];
        const next = wantPages(cur, pagesFor(s, e, PAGE));
        return next === cur && w.key === key ? w : { key, pages: next };
      }),
    [key],
  );
  return {
    total: anyTotal ?? lastTotal,
    known: anyTotal !== undefined,
    getRow,
    need,
    fetching: results.some((r) => r.isFetching),
    error: results.find((r) => r.error)?.error ?? null,
    refetch: () => results.forEach((r) => void r.refetch()),
  };
}

export function ListScreen() {
  const { t } = useTranslation('cylinders');
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const location = useLocation();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const api = useMemo(() => toApiFilters(filters), [filters]);
  const search = params.get('q') ?? '';
  const sortParam = params.get('sort');
  const sort: ListSort = isListSort(sortParam) ? sortParam : 'cylinderNo';
  const dir = params.get('dir') === 'desc' ? 'desc' : 'asc';
  const openNo = params.get('no');
  const [text, setText] = useState(search);
  const query: ListInput = useMemo(() => ({ ...api, ...(search ? { search } : {}), sort, dir }), [api, search, sort, dir]);
  const list = usePagedList(query);

  const update = useCallback(
    (fn: (p: URLSearchParams) => void, replace = true) => {
      const next = liveParams();
      fn(next);
      setParams(next, { replace });
    },
    [setParams],
  );
  // the search box is debounced into the URL
  useEffect(() => {
    if (text.trim() === search) return;
    const h = setTimeout(() => update((p) => (text.trim() ? p.set('q', text.trim()) : p.delete('q'))), 250);
    return () => clearTimeout(h);
  }, [text, search, update]);

  const setFilters = (fn: FilterUpdate) => update((p) => {
    const next = writeFilterParams(fn(filtersFromParams(p)), p);
    for (const k of [...p.keys()]) p.delete(k);
    next.forEach((v, k) => p.append(k, v));
  });
  const onSort = (k: string) => update((p) => {
    p.set('sort', k);
    p.set('dir', sort === k && dir === 'asc' ? 'desc' : 'asc');
  });
  const open = (no: string | null) => update((p) => (no ? p.set('no', no) : p.delete('no')), false);
  const first = list.getRow(0);
  const typeLabel = filters.typeKey && first ? [first.gasName || t('none'), first.capacity, first.valveSpec, first.cylinderSpec, first.enduser].filter(Boolean).join(' · ') : undefined;

  const none = t('none');
  const columns: Column<CylinderRow>[] = [
    { key: 'cylinderNo', header: t('col.cylinderNo'), width: 120, sortable: true, render: (r) => <strong className="mono" data-testid="list-no">{r.cylinderNo}</strong> },
    { key: 'gasName', header: t('col.gas'), width: 'minmax(60px, 0.7fr)', sortable: true, render: (r) => val(r.gasName, none) },
    { key: 'capacity', header: t('col.capacity'), width: 76, align: 'right', sortable: true, render: (r) => val(r.capacity, none, true) },
    { key: 'valveSpec', header: t('col.valve'), width: 'minmax(120px, 1.4fr)', sortable: true, render: (r) => <span title={r.valveSpecName}>{r.valveSpec}</span> },
    { key: 'cylinderSpec', header: t('col.cylinderSpec'), width: 'minmax(100px, 1fr)', sortable: true, render: (r) => val(r.cylinderSpec, none) },
    { key: 'enduser', header: t('col.enduser'), width: 80, sortable: true, render: (r) => <strong>{r.enduser}</strong> },
    { key: 'status', header: t('col.status'), width: 80, sortable: true, render: (r) => <StatusBadge status={r.status} /> },
    { key: 'location', header: t('col.location'), width: 'minmax(100px, 1fr)', sortable: true, render: (r) => val(r.location, none) },
    { key: 'moveDate', header: t('col.moveDate'), width: 150, sortable: true, render: (r) => <span className="nowrap small">{kstMinute(r.moveDate)}</span> },
  ];

  const back = () => (location.key !== 'default' ? navigate(-1) : navigate('/cylinders'));
  return (
    <div className="stack">
      <FilterBar value={filters} onChange={setFilters} typeLabel={typeLabel} />
      <div className="toolbar">
        {filters.typeKey && (
          <button type="button" className="btn" onClick={back} data-testid="back-to-summary">
            ← {t('backToSummary')}
          </button>
        )}
        <label className="inline-field">
          {t('searchNo')}
          <input
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && text.trim()) open(text.trim());
            }}
            placeholder={t('searchPlaceholder')}
            maxLength={20}
            data-testid="list-search"
            aria-describedby="list-search-help"
          />
        </label>
        <span id="list-search-help" className="muted small">
          {t('searchHelp')}
        </span>
        <span className="cy-list-total" role="status" aria-live="polite">
          <strong data-testid="list-total" data-value={list.known ? list.total : ''}>
            {fmtInt(list.total)}
          </strong>{' '}
          {t('cylindersUnit')}
          {list.fetching && <span className="spinner cy-spinner-inline" aria-label={t('updating')} />}
        </span>
        <span className="cy-grow" />
        <ExportButtons what="list" filters={query} disabled={!list.total} />
      </div>
      {list.error && <ErrorState error={list.error} onRetry={list.refetch} />}
      <div className={`cy-list-layout${openNo ? ' with-detail' : ''}`}>
        <div className="cy-list-main">
          {list.known && list.total === 0 ? (
            <div className="state state-empty" data-testid="list-empty">
              {search ? t('list.noMatch', { q: search }) : t('list.empty')}
            </div>
          ) : (
            <VirtualTable
              key={JSON.stringify(query)} // a new filter, search or sort starts at the top
              columns={columns}
              rowCount={list.total}
              getRow={list.getRow}
              onNeedRange={list.need}
              rowKey={(r) => r.cylinderNo}
              sort={{ key: sort, dir }}
              onSort={onSort}
              onOpen={(r) => open(r.cylinderNo)}
              height="max(360px, calc(100vh - 470px))"
              label={t('list.label')}
              testId="cylinder-list"
            />
          )}
          <p className="muted small">{t('list.keys')}</p>
        </div>
        {openNo && <DetailPanel cylinderNo={openNo} onClose={() => open(null)} />}
      </div>
    </div>
  );
}
