/** Shared pieces of the Cylinders workspace: mutations that refresh every cylinders view, badges, errors, export. */
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { Contract, ProcedureName } from '../../../../main/api/contract';
import type { InputOf, OutputOf } from '../../../../main/api/kit';
import type { ExportResult, PolicyEffect, SummarySort } from '../../../../main/api/types';
import { call, type CallError } from '../../api/client';
import { useSession, hasRole } from '../../stores/session';
import { exportBytes, fmtInt, policyErrorDetails, statusTone, type ApiFilters } from './format';

export const useIsManager = () => useSession(hasRole('manager'));

/** After a policy change or a resync every cylinders view may differ: refetch them all (previews excepted). */
export function invalidateCylinders(qc: QueryClient): Promise<void> {
  return qc.invalidateQueries({ predicate: (q) => typeof q.queryKey[0] === 'string' && q.queryKey[0].startsWith('cylinders.') && q.queryKey[0] !== 'cylinders.defaults.preview' });
}

export function useCylMutation<N extends ProcedureName>(name: N) {
  const qc = useQueryClient();
  return useMutation<OutputOf<Contract[N]>, CallError, InputOf<Contract[N]>>({
    mutationFn: (input) => call(name, input),
    onSuccess: () => invalidateCylinders(qc),
  });
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`cy-status cy-st-${statusTone(status)}`}>{status || '—'}</span>;
}

/**
 * A cell value that may be '' (no gas name, no location yet): shown as "(none)". A plain function, not a component
 * with hooks: list cells render on every scroll frame.
 */
export function val(v: string | null | undefined, none: string, mono?: boolean): ReactNode {
  if (v === null || v === undefined) return <span className="muted">—</span>;
  if (v === '') return <span className="muted cy-none">{none}</span>;
  return mono ? <span className="mono">{v}</span> : v;
}

/** A policy column where NULL matches anything. */
export function Any({ v, sub }: { v: string | null | undefined; sub?: string | null }) {
  const { t } = useTranslation('cylinders');
  if (v === null || v === undefined || v === '') return <span className="cy-any">{t('any')}</span>;
  return (
    <span>
      <span className="mono">{v}</span>
      {sub ? <span className="muted small"> {sub}</span> : null}
    </span>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  const { t } = useTranslation('cylinders');
  return <span className={`badge ${active ? 'cy-on' : 'cy-off'}`}>{active ? t('active') : t('inactive')}</span>;
}

/** What a policy change did (or would do): how many cylinders changed, and the EndUser moves. */
export function EffectView({ effect, preview, testId }: { effect: PolicyEffect; preview?: boolean; testId?: string }) {
  const { t } = useTranslation('cylinders');
  return (
    <div className={`cy-effect${effect.changed ? '' : ' cy-effect-none'}`} role="status" data-testid={testId ?? 'effect'} data-changed={effect.changed}>
      <strong>{t(preview ? 'effect.wouldChange' : 'effect.changed', { n: fmtInt(effect.changed) })}</strong>
      {effect.moves.length > 0 && (
        <ul className="cy-moves">
          {effect.moves.map((m) => (
            <li key={`${m.from}→${m.to}`}>
              <span className="mono">{m.from || t('none')}</span> → <span className="mono">{m.to || t('none')}</span>: <strong>{fmtInt(m.qty)}</strong>
            </li>
          ))}
        </ul>
      )}
      {effect.changed > effect.moves.reduce((s, m) => s + m.qty, 0) && <div className="muted small">{t('effect.otherChanges')}</div>}
      {effect.sample.length > 0 && (
        <div className="muted small">
          {t('effect.sample')}: <span className="mono">{effect.sample.join(', ')}</span>
          {effect.changed > effect.sample.length ? ' …' : ''}
        </div>
      )}
    </div>
  );
}

/** A refused policy change, with what main listed: unknown numbers, existing exceptions, the rule that exists. */
export function PolicyError({ error, onEditExisting }: { error: CallError | Error | null | undefined; onEditExisting?: (id: number) => void }) {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  if (!error) return null;
  const kind = (error as CallError).kind as string | undefined;
  const d = policyErrorDetails((error as CallError).error?.details);
  return (
    <div className="state state-error cy-error" role="alert" data-testid="policy-error" data-kind={kind}>
      <strong>{kind === 'conflict' ? t('errors.conflict') : kind ? tc(`errors.${kind}`) : tc('common.error')}</strong>
      <span className="state-detail">{error.message}</span>
      {d.unknown.length > 0 && (
        <div className="cy-error-part" data-testid="error-unknown">
          <strong>{t('errors.unknown', { n: d.unknown.length })}</strong>
          <ul className="cy-chips">
            {d.unknown.map((n) => (
              <li key={n} className="mono">
                {n}
              </li>
            ))}
          </ul>
        </div>
      )}
      {d.existing.length > 0 && (
        <div className="cy-error-part" data-testid="error-existing">
          <strong>{t('errors.existing', { n: d.existing.length })}</strong>
          <ul>
            {d.existing.map((e) => (
              <li key={e.id}>
                <span className="mono">{e.cylinderNo}</span> — #{e.id} → {e.enduser} ({e.isActive ? t('active') : t('inactive')}){e.reason ? `, “${e.reason}”` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
      {d.listedTwice.length > 0 && (
        <div className="cy-error-part" data-testid="error-twice">
          <strong>{t('errors.listedTwice', { n: d.listedTwice.length })}</strong> <span className="mono">{d.listedTwice.join(', ')}</span>
        </div>
      )}
      {d.tooLong.length > 0 && (
        <div className="cy-error-part">
          <strong>{t('errors.tooLong')}</strong> <span className="mono">{d.tooLong.join(', ')}</span>
        </div>
      )}
      {d.problems.length > 1 && (
        <ul className="cy-error-part">
          {d.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {Object.entries(d.fields).map(([k, v]) => (
        <div key={k} className="cy-error-part">
          <strong className="mono">{k}</strong>: {v.join('; ')}
        </div>
      ))}
      {d.existingId !== null && onEditExisting && (
        <button type="button" className="btn" onClick={() => onEditExisting(d.existingId!)} data-testid="edit-existing">
          {t('errors.editExisting', { id: d.existingId })}
        </button>
      )}
    </div>
  );
}

/** Saves an export through a Blob and an <a download> (works in Electron and in the browser host). */
export function downloadExport(r: ExportResult): void {
  const blob = new Blob([exportBytes(r)], { type: r.mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = r.filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

type ExportFilters = ApiFilters & { search?: string; sort?: string; dir?: 'asc' | 'desc' };

/** CSV and XLSX of what the screen shows (the same filters, search and sort). */
export function ExportButtons({
  what,
  filters,
  summarySort,
  disabled,
}: {
  what: 'summary' | 'list';
  filters: ExportFilters;
  /** the summary's column sort on screen */
  summarySort?: { key: SummarySort; dir: 'asc' | 'desc' };
  disabled?: boolean;
}) {
  const { t } = useTranslation('cylinders');
  const [busy, setBusy] = useState<'csv' | 'xlsx' | null>(null);
  const [error, setError] = useState<CallError | null>(null);
  const [done, setDone] = useState<{ rows: number; filename: string } | null>(null);
  const go = async (format: 'csv' | 'xlsx') => {
    setBusy(format);
    setError(null);
    setDone(null);
    try {
      const r = await call('cylinders.export', { what, format, filters: filters as never, summarySort });
      downloadExport(r);
      setDone({ rows: r.rows, filename: r.filename });
    } catch (e) {
      setError(e as CallError);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="cy-export" role="group" aria-label={t('export.label')}>
      {(['csv', 'xlsx'] as const).map((f) => (
        <button key={f} type="button" className="btn" disabled={disabled || busy !== null} onClick={() => void go(f)} data-testid={`export-${what}-${f}`}>
          {busy === f ? <span className="spinner cy-spinner-inline" aria-hidden /> : '⤓'} {f.toUpperCase()}
        </button>
      ))}
      <span className="sr-only" role="status" aria-live="polite">
        {busy ? t('export.busy') : done ? t('export.done', { n: fmtInt(done.rows), file: done.filename }) : ''}
      </span>
      {done && (
        <span className="muted small" data-testid="export-done">
          {t('export.done', { n: fmtInt(done.rows), file: done.filename })}
        </span>
      )}
      {error && (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      )}
    </div>
  );
}

/** The confirmation after a saved change, with its effect on the inventory. */
export function SavedFlash({ saved }: { saved: { what: string; effect: PolicyEffect } | null }) {
  if (!saved) return null;
  return (
    <div className="cy-flash" data-testid="flash">
      <span className="ok">✓ {saved.what}</span>
      <EffectView effect={saved.effect} />
    </div>
  );
}

/** A compact card with a big number. */
export function Stat({ label, value, sub, tone, testId }: { label: ReactNode; value: ReactNode; sub?: ReactNode; tone?: 'ok' | 'warn' | 'bad'; testId?: string }) {
  return (
    <div className={`cy-stat${tone ? ` cy-stat-${tone}` : ''}`} data-testid={testId}>
      <div className="cy-stat-label">{label}</div>
      <div className="cy-stat-value">{value}</div>
      {sub !== undefined && <div className="cy-stat-sub">{sub}</div>}
    </div>
  );
}
