import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { CallError } from '../../api/client';
import { DemoBadge } from '../../app/DemoBadge';
import { useSession } from '../../stores/session';
import { Field, refusalReason, useReasonText } from '../../app/ui';

export function LoginScreen() {
  const { t } = useTranslation();
  const login = useSession((s) => s.login);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonText = useReasonText();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
    } catch (err) {
      // locked or throttled: say it in the operator's language (main's message keeps the seconds)
      const said = err instanceof CallError ? reasonText(refusalReason(err)) : null;
      setError(err instanceof CallError ? (said ? `${said} (${err.message})` : err.message) : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="auth-screen">
      <form className="auth-card" onSubmit={submit} aria-labelledby="login-title">
        <DemoBadge />
        <h1 id="login-title">{t('app.name')}</h1>
        <p className="muted">{t('app.tagline')}</p>
        <Field label={t('auth.username')}>
          <input name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} required />
        </Field>
        <Field label={t('auth.password')}>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {error && (
          <p className="form-error" role="alert">
            {t('auth.loginFailed')}: {error}
          </p>
        )}
        <button className="btn btn-primary btn-big" type="submit" disabled={busy}>
          {t('auth.login')}
        </button>
      </form>
    </main>
  );
}
