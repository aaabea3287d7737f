/**
 * Asks for the password again when main refuses an admin change for want of a recent one (`details.reason`
 * 'reauth'); on success the refused call is sent again (api/client.ts setReauthHandler).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call, CallError, setReauthHandler } from '../api/client';
import { Field } from './ui';

export function ReauthDialog() {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const settle = useRef<((ok: boolean) => void) | undefined>(undefined);

  useEffect(
    () =>
      setReauthHandler(
        () =>
          new Promise<boolean>((resolve) => {
            settle.current = resolve;
            setPassword('');
            setError(null);
            setOpen(true);
          }),
      ),
    [],
  );

  const close = (ok: boolean) => {
    setOpen(false);
    setPassword('');
    settle.current?.(ok);
    settle.current = undefined;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call('auth.reauth', { password });
      close(true);
    } catch (err) {
      setError(err instanceof CallError ? err.message : String(err));
      if (err instanceof CallError && err.kind === 'unauthenticated') close(false);
    } finally {
      setBusy(false);
    }
  };

  if (!open) return null;
  return (
    <div className="reauth-backdrop" style={{ position: 'fixed', inset: 0, background: 'rgba(0,0,0,0.45)', display: 'grid', placeItems: 'center', zIndex: 1000 }}>
      <form className="auth-card" role="dialog" aria-modal="true" aria-labelledby="reauth-title" onSubmit={submit}>
        <h2 id="reauth-title">{t('auth.reauthTitle')}</h2>
        <p className="muted">{t('auth.reauthHelp')}</p>
        <Field label={t('auth.password')}>
          <input name="reauth-password" type="password" autoComplete="current-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {t('auth.reauthSubmit')}
          </button>
          <button className="btn" type="button" onClick={() => close(false)}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}
