import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CallError } from '../../api/client';
import { DemoBadge } from '../../app/DemoBadge';
import { useSession } from '../../stores/session';
import { Field } from '../../app/ui';

/** First run: no admin exists yet, so the station asks for one instead of shipping a default password. */
export function SetupScreen() {
  const { t } = useTranslation();
  const setup = useSession((s) => s.setup);
  const demoCode = useSession((s) => s.setupCode);
  const [f, setF] = useState({ username: 'admin', email: '', fullName: '', password: '', confirm: '', setupCode: demoCode ?? '' });
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    if (f.password !== f.confirm) return setError(t('auth.passwordMismatch'));
    setBusy(true);
    try {
      await setup({ username: f.username, email: f.email, fullName: f.fullName || undefined, password: f.password, setupCode: f.setupCode });
    } catch (err) {
      if (err instanceof CallError) {
        setError(err.message);
        if (err.error.details && typeof err.error.details === 'object') setFieldErrors(err.error.details as Record<string, string[]>);
      } else setError(String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="auth-screen">
      <form className="auth-card" onSubmit={submit} aria-labelledby="setup-title">
        <DemoBadge />
        <h1 id="setup-title">{t('auth.setupTitle')}</h1>
        <p className="muted">{t('auth.setupHelp')}</p>
        <Field label={t('auth.setupCode')} error={fieldErrors.setupCode?.[0]}>
          <input name="setupCode" value={f.setupCode} onChange={set('setupCode')} required autoComplete="off" spellCheck={false} className="mono" aria-describedby="setup-code-help" />
        </Field>
        <p id="setup-code-help" className="muted small">
          {demoCode ? t('auth.setupCodeDemo') : t('auth.setupCodeHelp')}
        </p>
        <Field label={t('auth.username')} error={fieldErrors.username?.[0]}>
          <input name="username" value={f.username} onChange={set('username')} required autoFocus />
        </Field>
        <Field label={t('auth.email')} error={fieldErrors.email?.[0]}>
          <input name="email" type="email" value={f.email} onChange={set('email')} required />
        </Field>
        <Field label={t('auth.fullName')}>
          <input name="fullName" value={f.fullName} onChange={set('fullName')} />
        </Field>
        <Field label={t('auth.password')} error={fieldErrors.password?.[0]}>
          <input name="password" type="password" autoComplete="new-password" value={f.password} onChange={set('password')} required minLength={10} />
        </Field>
        <Field label={t('auth.passwordConfirm')}>
          <input name="confirm" type="password" autoComplete="new-password" value={f.confirm} onChange={set('confirm')} required />
        </Field>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button className="btn btn-primary btn-big" type="submit" disabled={busy}>
          {t('auth.create')}
        </button>
      </form>
    </main>
  );
}
