/** Small shared UI pieces: loading / error / empty states, a button, a field, a toast-less status line. */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { CallError } from '../api/client';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden /> {label ?? t('common.loading')}
    </div>
  );
}

/** The particulars main gave with a refusal (`details.params`: plain strings and numbers), or undefined. */
export type ReasonParams = Record<string, string | number>;

/**
 * A refusal in the operator's language: main names the case in the error envelope's `details.reason` ("damaged",
 * "no_bank", …; see refusalReason) and its particulars in `details.params` (see refusalParams); the words are in the
 * `reasons` namespace (locales/<lang>/reasons.json, one text per code of main/api/reasons.ts, `{{param}}`
 * placeholders), else in common.json's older `reasons` (no params). Null when main named none or the words are
 * missing, or when the text needs params that were not given and no older text exists: the screen then shows main's
 * own message.
 */
export function useReasonText(): (reason: string | null | undefined, params?: ReasonParams) => string | null {
  const { t, i18n } = useTranslation();
  return (reason, params) => {
    if (!reason) return null;
    if (i18n.exists(`reasons:${reason}`)) {
      const said = t(`reasons:${reason}`, { ...params });
      if (!said.includes('{{')) return said;
    }
    return i18n.exists(`common:reasons.${reason}`) ? t(`common:reasons.${reason}`) : null;
  };
}

/** The case main named for a refusal (`details.reason`), or null. */
export function refusalReason(error: unknown): string | null {
  const details = (error as { error?: { details?: unknown } } | null)?.error?.details;
  const reason = (details as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' && /^[a-z_]+$/.test(reason) ? reason : null;
}

/** The particulars of a refusal (`details.params`), only their string and number values; undefined when none. */
export function refusalParams(error: unknown): ReasonParams | undefined {
  const details = (error as { error?: { details?: unknown } } | null)?.error?.details;
  const params = (details as { params?: unknown } | null | undefined)?.params;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const out: ReasonParams = {};
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}

/** A refusal said in the operator's language (reason and params from the error), or null. */
export function useRefusalText(): (error: unknown) => string | null {
  const reasonText = useReasonText();
  return (error) => reasonText(refusalReason(error), refusalParams(error));
}

/**
 * An error: the refusal in the operator's language as the main line when main named a case we have words for, with
 * main's English sentence below it, smaller (logs and support read it); otherwise the translated kind and main's
 * message.
 */
export function ErrorState({ error, onRetry }: { error: CallError | Error | null | undefined; onRetry?: () => void }) {
  const { t } = useTranslation();
  const refusalText = useRefusalText();
  if (!error) return null;
  const kind = (error as CallError).kind as string | undefined;
  const said = refusalText(error);
  return (
    <div className="state state-error" role="alert">
      {said ? (
        <>
          <strong className="state-reason" title={kind ? t(`errors.${kind}`) : undefined}>
            {said}
          </strong>
          <small className="state-detail muted" lang="en" data-testid="error-detail">
            {error.message}
          </small>
        </>
      ) : (
        <>
          <strong>{kind ? t(`errors.${kind}`) : t('common.error')}</strong>
          <span className="state-detail">{error.message}</span>
        </>
      )}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useTranslation();
  return <div className="state state-empty">{children ?? t('common.empty')}</div>;
}

export function Field({ label, children, hint, error }: { label: string; children: ReactNode; hint?: string; error?: string }) {
  return (
    <label className={`field${error ? ' field-invalid' : ''}`}>
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}
