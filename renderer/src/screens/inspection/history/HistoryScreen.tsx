/** History: recent inspections (the design's recent_inspections), filters, reopen one with its artifacts, CSV export. */
import { useDeferredValue, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { call } from '../../../api/client';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { ActionStatusBadge, ProductSelect, useInspectionLive, VerdictBadge } from '../common';
import { defectName, EMPTY_FILTERS, filtersToQuery, fmtPct, fmtScore, type HistoryFilters } from '../logic';
import { ResultView } from '../result/ResultView';
import { ExportButtons, type ExportColumn, type FetchRows } from '../../../components/ExportButtons';
import { fetchAllRows } from '../../../lib/exportAll';

const PAGE = 50;

export function HistoryScreen() {
  const { t, i18n } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const navigate = useNavigate();
  useInspectionLive();
  const [f, setF] = useState<HistoryFilters>(EMPTY_FILTERS);
  const [page, setPage] = useState(0);
  const [exporting, setExporting] = useState<string | null>(null);
  const deferred = useDeferredValue(f);
  const query = filtersToQuery(deferred);
  const products = useCall('inspection.products.list', { includeInactive: true });
  const inspectors = useCall('inspection.inspectors.list', {});
  const list = useCall('inspection.inspections.list', { ...query, limit: PAGE, offset: page * PAGE }, { placeholderData: (prev) => prev });
  const { t: th } = useTranslation('habits');
  type HistoryRow = NonNullable<typeof list.data>['rows'][number];
  // every inspection matching the filters (the table shows 50 a page), with the table's headers
  const pageColumns: ExportColumn<HistoryRow>[] = [
    { header: t('history.code'), value: (r) => r.inspectionCode },
    { header: `${t('history.date')} (KST)`, value: (r) => fmtDateTime(r.inspectionDate) },
    { header: t('product'), value: (r) => r.productCode },
    { header: t('history.verdict'), value: (r) => (r.defectDetected == null ? '' : r.defectDetected ? 'NG' : 'OK') },
    { header: t('facts.defectType'), value: (r) => (r.defectDetected ? defectName(r, i18n.language) : '') },
    { header: t('facts.anomaly'), value: (r) => r.anomalyScore },
    { header: t('facts.confidence'), value: (r) => r.confidenceScore },
    { header: t('history.actionStatus'), value: (r) => t(`actionStatus.${r.actionStatus}`) },
    { header: t('history.inspector'), value: (r) => r.inspector ?? t('autoInspector') },
    { header: t('history.source'), value: (r) => t(`source.${r.source}`) },
  ];
  const fetchAll: FetchRows<HistoryRow> = (onProgress) => {
    const q = filtersToQuery(f);
    return fetchAllRows((offset, limit) => call('inspection.inspections.list', { ...q, limit, offset }), { key: (r) => r.inspectionId, onProgress });
  };
  const set = (p: Partial<HistoryFilters>) => {
    setF((cur) => ({ ...cur, ...p }));
    setPage(0);
  };

  const exportCsv = async () => {
    setExporting(null);
    try {
      const r = await call('inspection.inspections.export', filtersToQuery(f));
      const blob = new Blob([r.csv], { type: 'text/csv;charset=utf-8' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = r.fileName;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setExporting(t('history.exported', { n: r.rows, file: r.fileName }));
    } catch (e) {
      setExporting((e as Error).message);
    }
  };

  const total = list.data?.total ?? 0;
  return (
    <div className="stack">
      <form className="card insp-filters" onSubmit={(e) => e.preventDefault()} aria-label={tc('common.filters')} data-testid="history-filters">
        <ProductSelect products={products.data ?? []} value={f.productId ? Number(f.productId) : null} onChange={(id) => set({ productId: id ? String(id) : '' })} allowAll testId="history-product" />
        <label className="inline-field">
          {t('history.from')}
          <input type="date" value={f.from} onChange={(e) => set({ from: e.target.value })} data-testid="history-from" />
        </label>
        <label className="inline-field">
          {t('history.to')}
          <input type="date" value={f.to} onChange={(e) => set({ to: e.target.value })} data-testid="history-to" />
        </label>
        <label className="inline-field">
          {t('history.verdict')}
          <select value={f.verdict} onChange={(e) => set({ verdict: e.target.value as HistoryFilters['verdict'] })} data-testid="history-verdict">
            <option value="">{tc('common.all')}</option>
            <option value="defect">{t('verdict.ngOption')}</option>
            <option value="normal">{t('verdict.okOption')}</option>
          </select>
        </label>
        <label className="inline-field">
          {t('history.actionStatus')}
          <select value={f.actionStatus} onChange={(e) => set({ actionStatus: e.target.value as HistoryFilters['actionStatus'] })} data-testid="history-action">
            <option value="">{tc('common.all')}</option>
            {(['pending', 'resolved', 'none'] as const).map((s) => (
              <option key={s} value={s}>
                {t(`actionStatus.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          {t('history.inspector')}
          <select value={f.inspectorId} onChange={(e) => set({ inspectorId: e.target.value })} data-testid="history-inspector">
            <option value="">{tc('common.all')}</option>
            {(inspectors.data ?? []).map((u) => (
              <option key={u.userId} value={u.userId}>
                {u.fullName ? `${u.fullName} (${u.username})` : u.username} · {u.inspections}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          {t('history.code')}
          <input type="search" value={f.q} onChange={(e) => set({ q: e.target.value })} placeholder="INS-…" maxLength={50} data-testid="history-q" />
        </label>
        <button type="button" className="btn" onClick={() => set(EMPTY_FILTERS)}>
          {t('history.clear')}
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void exportCsv()} data-testid="history-export">
          ⤓ {t('history.export')}
        </button>
        <ExportButtons name={th('tables.history')} columns={pageColumns} rows={list.data?.rows ?? []} fetchRows={fetchAll} testId="history-page-export" />
      </form>
      {exporting && (
        <p className="muted" role="status" data-testid="export-status">
          {exporting}
        </p>
      )}
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data.rows.length ? (
        <Empty />
      ) : (
        <>
          <div className="table-scroll insp-history-scroll">
            <table className="table" aria-label={t('tabs.history')} data-testid="history-table">
              <thead>
                <tr>
                  <th>{t('history.code')}</th>
                  <th>{t('history.date')}</th>
                  <th>{t('product')}</th>
                  <th>{t('history.verdict')}</th>
                  <th>{t('facts.defectType')}</th>
                  <th className="num">{t('facts.anomaly')}</th>
                  <th className="num">{t('facts.confidence')}</th>
                  <th>{t('history.actionStatus')}</th>
                  <th>{t('history.inspector')}</th>
                  <th>{t('history.source')}</th>
                </tr>
              </thead>
              <tbody>
                {list.data.rows.map((r) => (
                  <tr key={r.inspectionId} className="insp-row" onClick={() => navigate(`/inspection/history/${r.inspectionId}`)} data-testid={`history-row-${r.inspectionCode}`}>
                    <td className="mono nowrap">
                      <Link to={`/inspection/history/${r.inspectionId}`} onClick={(e) => e.stopPropagation()}>
                        {r.inspectionCode}
                      </Link>
                    </td>
                    <td className="nowrap">{fmtDateTime(r.inspectionDate)}</td>
                    <td>{r.productCode}</td>
                    <td>
                      <VerdictBadge defect={r.defectDetected} />
                    </td>
                    <td>{r.defectDetected ? defectName(r, i18n.language) : '—'}</td>
                    <td className="num">{fmtScore(r.anomalyScore)}</td>
                    <td className="num">{fmtPct(r.confidenceScore)}</td>
                    <td>
                      <ActionStatusBadge status={r.actionStatus} />
                    </td>
                    <td>{r.inspector ?? <span className="muted">{t('autoInspector')}</span>}</td>
                    <td>{t(`source.${r.source}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <span className="muted" data-testid="history-total">
              {t('history.total', { n: total, from: page * PAGE + 1, to: Math.min(total, (page + 1) * PAGE) })}
            </span>
            <button type="button" className="btn" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
              ‹ {t('history.prev')}
            </button>
            <button type="button" className="btn" disabled={(page + 1) * PAGE >= total} onClick={() => setPage((p) => p + 1)}>
              {t('history.next')} ›
            </button>
          </div>
        </>
      )}
    </div>
  );
}

export function HistoryDetailScreen() {
  const { t } = useTranslation('inspection');
  const { inspectionId } = useParams();
  const id = Number(inspectionId);
  return (
    <div className="stack">
      <div className="toolbar">
        <Link className="btn" to="/inspection/history" data-testid="history-back">
          ‹ {t('history.back')}
        </Link>
      </div>
      {Number.isInteger(id) && id > 0 ? <ResultView inspectionId={id} /> : <Empty />}
    </div>
  );
}
