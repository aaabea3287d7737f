import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Field, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import type { Role } from '../../../../../main/api/kit';

const ROLES: Role[] = ['admin', 'manager', 'worker', 'viewer'];

export function UsersScreen() {
  const { t } = useTranslation('admin');
  const { t: tc } = useTranslation();
  const users = useCall('admin.users.list', {});
  const create = useCallMutation('admin.users.create', ['admin.users.list']);
  const update = useCallMutation('admin.users.update', ['admin.users.list']);
  const unlock = useCallMutation('admin.users.unlock', ['admin.users.list']);
  const [form, setForm] = useState({ username: '', email: '', fullName: '', password: '', role: 'worker' as Role });
  const [msg, setMsg] = useState<string | null>(null);
  const [unlocked, setUnlocked] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    try {
      await create.mutateAsync({ ...form, fullName: form.fullName || undefined });
      setForm({ username: '', email: '', fullName: '', password: '', role: 'worker' });
      setMsg(t('users.created'));
    } catch {
      /* shown below */
    }
  };

  if (users.isPending) return <Loading />;
  if (users.error) return <ErrorState error={users.error} onRetry={() => void users.refetch()} />;
  return (
    <div className="stack">
      <table className="table" aria-label={t('tabs.users')}>
        <thead>
          <tr>
            <th>{t('users.username')}</th>
            <th>{t('users.fullName')}</th>
            <th>{t('users.email')}</th>
            <th>{t('users.role')}</th>
            <th>{t('users.active')}</th>
            <th>{t('users.lastLogin')}</th>
            <th>{t('users.locked')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.data.map((u) => (
            <tr key={u.userId}>
              <td>{u.username}</td>
              <td>{u.fullName}</td>
              <td>{u.email}</td>
              <td>
                <select aria-label={`${t('users.role')} ${u.username}`} value={u.role} onChange={(e) => update.mutate({ userId: u.userId, role: e.target.value as Role })}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {tc(`roles.${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.isActive ? tc('common.yes') : tc('common.no')}</td>
              <td>{fmtDateTime(u.lastLoginAt)}</td>
              <td>
                {u.lockedAt ? (
                  <span className="badge badge-stale">{t('users.locked')}</span>
                ) : u.locked && u.lockedUntil ? (
                  <span className="badge badge-stale">{t('users.lockedUntil', { time: fmtDateTime(u.lockedUntil) })}</span>
                ) : u.failedLogins > 0 ? (
                  <span className="muted">{t('users.failedLogins', { n: u.failedLogins })}</span>
                ) : null}
                {(u.lockedAt || u.failedLogins > 0) && (
                  <button
                    type="button"
                    className="btn"
                    aria-label={`${t('users.unlock')} ${u.username}`}
                    disabled={unlock.isPending}
                    onClick={() => unlock.mutate({ userId: u.userId }, { onSuccess: () => setUnlocked(t('users.unlocked', { name: u.username })) })}
                  >
                    {t('users.unlock')}
                  </button>
                )}
              </td>
              <td>
                <button type="button" className="btn" onClick={() => update.mutate({ userId: u.userId, isActive: !u.isActive })}>
                  {u.isActive ? t('users.deactivate') : t('users.activate')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorState error={update.error ?? unlock.error} />
      {unlocked && <span role="status">{unlocked}</span>}
      <form className="card form-grid" onSubmit={submit} aria-label={t('users.new')}>
        <h2>{t('users.new')}</h2>
        <Field label={t('users.username')}>
          <input name="new-username" value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} required />
        </Field>
        <Field label={t('users.email')}>
          <input name="new-email" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} required />
        </Field>
        <Field label={t('users.fullName')}>
          <input name="new-fullname" value={form.fullName} onChange={(e) => setForm({ ...form, fullName: e.target.value })} />
        </Field>
        <Field label={tc('auth.password')} hint={tc('auth.passwordRule')}>
          <input name="new-password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} required minLength={10} />
        </Field>
        <Field label={t('users.role')}>
          <select name="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {tc(`roles.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={create.isPending}>
            {tc('common.add')}
          </button>
          {msg && <span role="status">{msg}</span>}
        </div>
        <ErrorState error={create.error} />
      </form>
    </div>
  );
}
