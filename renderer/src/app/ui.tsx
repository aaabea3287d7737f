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

export function ErrorState({ error, onRetry }: { error: CallError | Error | null | undefined; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  const kind = (error as CallError).kind as string | undefined;
  return (
    <div className="state state-error" role="alert">
      <strong>{kind ? t(`errors.${kind}`) : t('common.error')}</strong>
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
