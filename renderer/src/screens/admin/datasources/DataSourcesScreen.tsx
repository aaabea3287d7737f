import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Field, Loading } from '../../../app/ui';

export function DataSourcesScreen() {
  const { t } = useTranslation('admin');
  const { t: tc } = useTranslation();
  const ds = useCall('admin.datasources.get', {});
  const save = useCallMutation('admin.datasources.set', ['admin.datasources.get']);
  const [shared, setShared] = useState('');
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    await save.mutateAsync({ databaseUrl: shared.trim() || null }).then(() => setDone(true), () => undefined);
  };
  if (ds.isPending) return <Loading />;
  if (ds.error) return <ErrorState error={ds.error} onRetry={() => void ds.refetch()} />;
  return (
    <div className="stack">
      {ds.data.embedded && <p className="badge-info">{t('datasources.embedded')}</p>}
      <table className="table" aria-label={t('tabs.datasources')}>
        <thead>
          <tr>
            <th>{t('datasources.source')}</th>
            <th>{t('datasources.url')}</th>
            <th>{t('datasources.configured')}</th>
            <th>{t('datasources.status')}</th>
          </tr>
        </thead>
        <tbody>
          {ds.data.sources.map((s) => (
            <tr key={s.source}>
              <td>{t(`datasources.${s.source}`)}</td>
              <td className="mono">{s.url}</td>
              <td className="mono">{s.configured ?? '—'}</td>
              <td className={s.ok ? 'ok' : 'bad'}>{s.ok ? t('datasources.ok') : `${t('datasources.down')}: ${s.error ?? ''}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" onSubmit={submit}>
        <Field label={t('datasources.shared')} hint={t('datasources.help')}>
          <input className="mono" name="database-url" placeholder="postgresql://user:password@host:5432/db" value={shared} onChange={(e) => setShared(e.target.value)} />
        </Field>
        <div className="form-actions">
          <button className="btn btn-primary" type="submit" disabled={save.isPending}>
            {tc('common.save')}
          </button>
          {done && <span role="status">{t('datasources.restart')}</span>}
        </div>
        <ErrorState error={save.error} />
      </form>
    </div>
  );
}
