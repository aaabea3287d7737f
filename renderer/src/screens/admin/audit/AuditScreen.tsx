import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../../../api/client';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { ExportButtons, type FetchRows } from '../../../components/ExportButtons';
import { fetchAllRows } from '../../../lib/exportAll';

export function AuditScreen() {
  const { t } = useTranslation('admin');
  const { t: tc } = useTranslation();
  const [action, setAction] = useState('');
  const [page, setPage] = useState(0);
  const limit = 100;
  const q = useCall('admin.audit.list', { action: action || undefined, limit, offset: page * limit });
  const { t: th } = useTranslation('habits');
  type AuditRow = NonNullable<typeof q.data>['rows'][number];
  // main writes 'system' for what no logged-in user did (start-up, the demo seed, background jobs)
  const who = (username: string | null) => (username === 'system' ? t('audit.system') : username);
  // every entry matching the filter (the table shows 100 a page), with the table's headers; times in KST
  const exportColumns = [
    { header: `${t('audit.when')} (KST)`, value: (r: AuditRow) => fmtDateTime(r.loggedAt) },
    { header: t('audit.who'), value: (r: AuditRow) => who(r.username) },
    { header: t('audit.action'), value: (r: AuditRow) => r.action },
    { header: t('audit.target'), value: (r: AuditRow) => r.target },
    { header: t('audit.before'), value: (r: AuditRow) => (r.oldData ? JSON.stringify(r.oldData) : '') },
    { header: t('audit.after'), value: (r: AuditRow) => (r.newData ? JSON.stringify(r.newData) : '') },
  ];
  const fetchAll: FetchRows<AuditRow> = (onProgress) => {
    // entries written after the export began are not in it: the pages stay put while they come in
    const to = new Date().toISOString();
    return fetchAllRows((offset, limit) => call('admin.audit.list', { action: action || undefined, to, limit, offset }), { key: (r) => r.logId, onProgress });
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <label>
          {t('audit.action')}{' '}
          <input value={action} onChange={(e) => (setAction(e.target.value), setPage(0))} placeholder="cylinders." translate="no" />
        </label>
        <button type="button" className="btn" onClick={() => void q.refetch()}>
          {tc('common.refresh')}
        </button>
        {q.data && <span className="muted">{t('audit.total', { n: q.data.total })}</span>}
        <ExportButtons name={th('tables.audit')} columns={exportColumns} rows={q.data?.rows ?? []} fetchRows={fetchAll} testId="audit-export" />
      </div>
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.data.rows.length === 0 ? (
        <Empty />
      ) : (
        <table className="table" aria-label={t('tabs.audit')}>
          <thead>
            <tr>
              <th>{t('audit.when')}</th>
              <th>{t('audit.who')}</th>
              <th>{t('audit.action')}</th>
              <th>{t('audit.target')}</th>
              <th>{t('audit.before')}</th>
              <th>{t('audit.after')}</th>
            </tr>
          </thead>
          <tbody>
            {q.data.rows.map((r) => (
              <tr key={r.logId}>
                <td className="nowrap">{fmtDateTime(r.loggedAt)}</td>
                <td>{who(r.username)}</td>
                {/* codes and their recorded values are data, not text in the UI's language */}
                <td className="mono" translate="no">
                  {r.action}
                </td>
                <td translate="no">{r.target}</td>
                <td className="mono small" translate="no">
                  {r.oldData ? JSON.stringify(r.oldData) : ''}
                </td>
                <td className="mono small" translate="no">
                  {r.newData ? JSON.stringify(r.newData) : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="toolbar">
        <button type="button" className="btn" disabled={page === 0} onClick={() => setPage(page - 1)}>
          ‹
        </button>
        <span>{page + 1}</span>
        <button type="button" className="btn" disabled={!q.data || (page + 1) * limit >= q.data.total} onClick={() => setPage(page + 1)}>
          ›
        </button>
      </div>
    </div>
  );
}
