import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { onEvent } from '../../api/client';
import { useCall } from '../../api/hooks';
import { kst } from './options';

export const WINDOWS = ['1m', '5m', '10m', '60m', '12h', '24h', '48h', '7d', '14d', '30d', '3m', '6m', '12m'] as const;
export type WindowName = (typeof WINDOWS)[number];

export function WindowSelect({ value, onChange }: { value: WindowName; onChange: (w: WindowName) => void }) {
  const { t } = useTranslation('telemetry');
  return (
    <label className="inline-field">
      {t('window')}
      <select value={value} onChange={(e) => onChange(e.target.value as WindowName)} data-testid="window-select">
        {WINDOWS.map((w) => (
          <option key={w} value={w}>
            {w}
          </option>
        ))}
      </select>
    </label>
  );
}

export function TagSelect({ value, onChange }: { value: string; onChange: (t: string) => void }) {
  const { t } = useTranslation('telemetry');
  const tags = useCall('telemetry.tags', {}, { staleTime: 60_000 });
  const names = useMemo(() => tags.data?.tags.map((x) => x.tag_name) ?? [], [tags.data]);
  useEffect(() => {
    if (!value && names.length) onChange(names[0]);
  }, [value, names, onChange]);
  return (
    <label className="inline-field">
      {t('tag')}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="tag-select">
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}

export function StaleBadge({ stale, servedAt }: { stale?: boolean; servedAt?: string }) {
  const { t } = useTranslation('telemetry');
  return (
    <span className="served">
      {stale && (
        <span className="badge badge-stale" role="status" data-testid="stale-badge" title={t('staleHelp')}>
          ⚠ {t('stale')}
        </span>
      )}
      {servedAt && <span className="muted small">{t('servedAt', { t: kst(servedAt) })}</span>}
    </span>
  );
}

/** New telemetry rows (simulator/ingest) invalidate the telemetry queries, at most every few seconds. */
export function useLiveTelemetry(): void {
  const qc = useQueryClient();
  useEffect(() => {
    let last = 0;
    return onEvent('telemetry.appended', () => {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      void qc.invalidateQueries({ predicate: (q) => typeof q.queryKey[0] === 'string' && /^telemetry\.(kpi|latest)$/.test(q.queryKey[0]) });
    });
  }, [qc]);
}

/** The legend checkboxes of the Trend and Tech charts (one per series key, `data-testid` = `${testIdPrefix}-${key}`). */
export function SeriesToggles<K extends string>({ keys, visible, onChange, label, testIdPrefix }: { keys: readonly K[]; visible: Record<K, boolean>; onChange: (v: Record<K, boolean>) => void; label: string; testIdPrefix: string }) {
  const { t } = useTranslation('telemetry');
  return (
    <fieldset className="toggles" aria-label={label}>
      {keys.map((k) => (
        <label key={k} className="toggle">
          <input type="checkbox" checked={visible[k]} onChange={(e) => onChange({ ...visible, [k]: e.target.checked })} data-testid={`${testIdPrefix}-${k}`} />
          {t(`series.${k}`)}
        </label>
      ))}
    </fieldset>
  );
}

/** One row per bucket, newest first: №, TAG, time (KST), then the given numeric columns (headed by `table.col.<key>`). */
export function BucketTable<R extends { bucket: string; tag_name: string }>({ rows, title, testId, columns }: { rows: readonly R[]; title: string; testId: string; columns: { key: string; cell: (r: R) => string | number | null }[] }) {
  const { t } = useTranslation('telemetry');
  const titleId = `${testId}-title`;
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>
        {title} <span className="muted small">{t('table.rows', { n: rows.length })}</span>
      </h2>
      <div className="table-scroll">
        <table className="table" data-testid={testId}>
          <thead>
            <tr>
              <th className="num">{t('table.num')}</th>
              <th>{t('latest.tag')}</th>
              <th>{t('table.time')}</th>
              {columns.map((c) => (
                <th key={c.key} className="num">
                  {t(`table.col.${c.key}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...rows].reverse().map((r, i) => (
              <tr key={r.bucket}>
                <td className="num">{i + 1}</td>
                <td>{r.tag_name}</td>
                <td className="nowrap">{kst(r.bucket)}</td>
                {columns.map((c) => (
                  <td key={c.key} className="num">
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
