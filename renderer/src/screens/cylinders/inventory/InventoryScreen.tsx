/** Inventory by cylinder type, status and location (design §4.3): filters, totals, status colours, drill-down. */
import { useCallback, useMemo } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { keepPreviousData } from '@tanstack/react-query';
import type { SummaryRow, SummarySort } from '../../../../../main/api/types';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { VirtualTable, type Column } from '../../../components/VirtualTable';
import { drillFilters, filtersFromParams, fmtInt, liveParams, pct, statusTone, toApiFilters, writeFilterParams } from '../format';
import { FilterBar, type FilterUpdate } from '../FilterBar';
import { ExportButtons, Stat, StatusBadge, val } from '../common';

const SORTS: SummarySort[] = ['gasName', 'capacity', 'valveSpec', 'cylinderSpec', 'enduser', 'status', 'location', 'qty', 'availableQty'];

export function InventoryScreen() {
  const { t } = useTranslation('cylinders');
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const api = useMemo(() => toApiFilters(filters), [filters]);
  const sortParam = params.get('sort');
  const sortKey = SORTS.includes(sortParam as SummarySort) ? (sortParam as SummarySort) : null;
  const dir: 'asc' | 'desc' = params.get('dir') === 'desc' ? 'desc' : 'asc';
  // main sorts (the same order for the screen and its CSV/XLSX export)
  const summarySort = useMemo(() => (sortKey ? { key: sortKey, dir } : undefined), [sortKey, dir]);
  const q = useCall('cylinders.summary', { ...api, sort: summarySort?.key, dir }, { placeholderData: keepPreviousData });
  const rows = useMemo(() => q.data?.rows ?? [], [q.data]);
  const byStatus = useMemo(() => {
    const m = new Map<string, number>();
    for (const r of q.data?.rows ?? []) m.set(r.status, (m.get(r.status) ?? 0) + r.qty);
    const order = ['보관', '충전', '분석', '창입', '출하', '이상', '폐기', '기타'];
    const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : order.length);
    return [...m.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
  }, [q.data]);

  const setFilters = (update: FilterUpdate) => {
    const base = liveParams();
    setParams(writeFilterParams(update(filtersFromParams(base)), base), { replace: true });
  };
  const onSort = (key: string) => {
    const next = liveParams();
    next.set('sort', key);
    next.set('dir', sortKey === key && dir === 'asc' ? 'desc' : 'asc');
    setParams(next, { replace: true });
  };
  const open = useCallback((r: SummaryRow) => navigate(`/cylinders/list?${writeFilterParams(drillFilters(r)).toString()}`), [navigate]);
  const getRow = useCallback((i: number) => rows[i], [rows]);

  const none = t('none');
  const columns: Column<SummaryRow>[] = [
    { key: 'gasName', header: t('col.gas'), width: 'minmax(70px, 0.8fr)', sortable: true, render: (r) => val(r.gasName, none) },
    { key: 'capacity', header: t('col.capacity'), width: 80, align: 'right', sortable: true, render: (r) => val(r.capacity, none, true) },
    {
      key: 'valveSpec',
      header: t('col.valve'),
      width: 'minmax(140px, 1.6fr)',
      sortable: true,
      render: (r) => (
        <span title={r.valveSpec}>
          {r.valveGroup && <span className="badge cy-group-badge">{t('group')}</span>} {val(r.valveSpec, none)}
        </span>
      ),
    },
    { key: 'cylinderSpec', header: t('col.cylinderSpec'), width: 'minmax(110px, 1.2fr)', sortable: true, render: (r) => val(r.cylinderSpec, none) },
    { key: 'enduser', header: t('col.enduser'), width: 90, sortable: true, render: (r) => <strong>{r.enduser}</strong> },
    { key: 'status', header: t('col.status'), width: 84, sortable: true, render: (r) => <StatusBadge status={r.status} /> },
    { key: 'location', header: t('col.location'), width: 'minmax(110px, 1.2fr)', sortable: true, render: (r) => val(r.location, none) },
    {
      key: 'qty',
      header: t('col.qty'),
      width: 80,
      align: 'right',
      sortable: true,
      render: (r) => (
        <strong className="cy-qty" data-testid="sum-qty">
          {fmtInt(r.qty)}
        </strong>
      ),
    },
    {
      key: 'availableQty',
      header: t('col.availableQty'),
      width: 84,
      align: 'right',
      sortable: true,
      render: (r) => (
        <span className={`cy-qty${r.availableQty ? ' ok' : ' muted'}`} data-testid="sum-avail">
          {fmtInt(r.availableQty)}
        </span>
      ),
    },
  ];

  const totals = q.data?.totals;
  return (
    <div className="stack">
      <FilterBar value={filters} onChange={setFilters} />
      {q.isPending ? (
        <Loading />
      ) : q.error && !q.data ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : totals ? (
        <>
          <div className="cy-totals" data-testid="totals" aria-busy={q.isFetching}>
            <Stat label={t('totals.qty')} value={<span data-testid="total-qty" data-value={totals.qty}>{fmtInt(totals.qty)}</span>} />
            <Stat
              label={t('totals.available')}
              value={<span data-testid="total-available" data-value={totals.availableQty}>{fmtInt(totals.availableQty)}</span>}
              sub={pct(totals.availableQty, totals.qty)}
              tone="ok"
            />
            <Stat label={t('totals.types')} value={<span data-testid="total-types">{fmtInt(totals.types)}</span>} />
            <Stat label={t('totals.rows')} value={<span data-testid="total-rows" data-value={totals.rows}>{fmtInt(totals.rows)}</span>} />
            <ul className="cy-by-status" aria-label={t('totals.byStatus')}>
              {byStatus.map(([s, n]) => (
                <li key={s} className={`cy-st-${statusTone(s)}`}>
                  <span className="cy-status-dot" aria-hidden /> {s} <strong>{fmtInt(n)}</strong>
                </li>
              ))}
            </ul>
          </div>
          <div className="toolbar">
            <span className="muted small">{t('summary.hint')}</span>
            {q.isFetching && <span className="spinner cy-spinner-inline" aria-label={t('updating')} />}
            {q.error && <span className="badge badge-stale">⚠ {q.error.message}</span>}
            <span className="cy-grow" />
            <ExportButtons what="summary" filters={api} summarySort={summarySort} disabled={!rows.length} />
          </div>
          {rows.length === 0 ? (
            <Empty>{t('summary.empty')}</Empty>
          ) : (
            <VirtualTable
              columns={columns}
              rowCount={rows.length}
              getRow={getRow}
              rowKey={(r) => `${r.cylinderTypeKey}|${r.status}|${r.location}`}
              sort={sortKey ? { key: sortKey, dir } : undefined}
              onSort={onSort}
              onOpen={open}
              height="max(320px, calc(100vh - 560px))"
              label={t('summary.label')}
              testId="summary-table"
            />
          )}
        </>
      ) : null}
    </div>
  );
}
