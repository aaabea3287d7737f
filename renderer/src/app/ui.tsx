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

/**
 * A refusal in the operator's language: main names the case in the error envelope's `details.reason` ("damaged",
 * "no_bank", …; see refusalReason) and common.json's `reasons` has the words. Null when main named none or the
 * words are missing: the screen then shows main's own message.
 */
export function useReasonText(): (reason: string | null | undefined) => string | null {
  const { t, i18n } = useTranslation();
  return (reason) => (reason && i18n.exists(`common:reasons.${reason}`) ? t(`common:reasons.${reason}`) : null);
}

/** The case main named for a refusal (`details.reason`), or null. */
export function refusalReason(error: unknown): string | null {
  const details = (error as { error?: { details?: unknown } } | null)?.error?.details;
  const reason = (details as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' && /^[a-z_]+$/.test(reason) ? reason : null;
}

export function ErrorState({ error, onRetry }: { error: CallError | Error | null | undefined; onRetry?: () => void }) {
  const { t } = useTranslation();
  const reasonText = useReasonText();
  if (!error) return null;
  const kind = (error as CallError).kind as string | undefined;
  const said = reasonText(refusalReason(error));
  return (
    <div className="state state-error" role="alert">
      <strong>{kind ? t(`errors.${kind}`) : t('common.error')}</strong>
      {said && <span className="state-detail">{said}</span>}
      <span className="state-detail">{error.message}</span>
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
