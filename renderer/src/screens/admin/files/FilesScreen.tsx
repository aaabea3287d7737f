/**
 * Admin → Files: the space the plant's shared files take in the database (blobs count and bytes by kind; main/files),
 * this console's cache, and the retention of inspection pictures (decisions.md, Plant rule 5): the setting and a
 * run button (a job with progress; audited). Managers see the figures; admins change and run.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call, onEvent } from '../../../api/client';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { hasRole, useSession } from '../../../stores/session';
import type { JobProgress } from '../../../../../main/api/events';

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function FilesScreen() {
  const { t } = useTranslation('admin');
  const { t: tc } = useTranslation();
  const isAdmin = useSession(hasRole('admin'));
  const space = useCall('files.space', {});
  const save = useCallMutation('files.retention.set', ['files.space']);
  // what the admin typed; null: not edited, the stored setting is shown (no empty first render, no reset on clearing)
  const [edited, setDays] = useState<string | null>(null);
  const [job, setJob] = useState<JobProgress | null>(null);
  const [err, setErr] = useState<Error | null>(null);
  useEffect(
    () =>
      onEvent('job.progress', (p) => {
        if (p.kind !== 'files.retention') return;
        setJob((j) => (j && j.jobId !== p.jobId ? j : p));
        if (p.state !== 'running') void space.refetch();
      }),
    [space],
  );
  if (space.isPending) return <Loading />;
  if (!space.data) return <ErrorState error={space.error} onRetry={() => void space.refetch()} />;
  const s = space.data;
  const days = edited ?? String(s.retentionDays);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.mutateAsync({ retentionDays: Number(days) }).catch(() => undefined);
  };
  const run = async () => {
    setErr(null);
    try {
      const r = await call('files.retention.run', {});
      setJob({ jobId: r.jobId, kind: 'files.retention', progress: 0, state: 'running' });
    } catch (e) {
      setErr(e as Error);
    }
  };
  const running = job?.state === 'running';
  const result = job?.state === 'completed' ? (job.result as { files: number; bytes: number; inspections: number } | undefined) : undefined;
  return (
    <div className="stack">
      <section className="card stack" aria-labelledby="files-space-title">
        <h3 id="files-space-title">{t('files.space')}</h3>
        <table className="table" aria-label={t('files.space')}>
          <thead>
            <tr>
              <th>{t('files.kind')}</th>
              <th className="num">{t('files.blobs')}</th>
              <th className="num">{t('files.bytes')}</th>
            </tr>
          </thead>
          <tbody>
            {s.kinds.map((k) => (
              <tr key={k.kind} data-testid={`files-kind-${k.kind}`}>
                <td>{t(`files.kinds.${k.kind}`)}</td>
                <td className="num">{k.blobs.toLocaleString()}</td>
                <td className="num">{fmtBytes(k.bytes)}</td>
              </tr>
            ))}
            <tr data-testid="files-total">
              <th>{t('files.total')}</th>
              <th className="num">{s.total.blobs.toLocaleString()}</th>
              <th className="num">{fmtBytes(s.total.bytes)}</th>
            </tr>
          </tbody>
        </table>
        <p className="muted small" data-testid="files-cache">
          {t('files.cache', { used: fmtBytes(s.cache.bytes), n: s.cache.files, limit: fmtBytes(s.cache.limitBytes) })}
        </p>
      </section>
      <section className="card stack" aria-labelledby="files-retention-title">
        <h3 id="files-retention-title">{t('files.retention')}</h3>
        <p className="muted small">{t('files.retentionHelp')}</p>
        <form className="toolbar" onSubmit={submit}>
          <label>
            {t('files.days')}{' '}
            <input name="retention-days" type="number" min={1} max={36500} value={days} onChange={(e) => setDays(e.target.value)} disabled={!isAdmin} required />
          </label>
          {isAdmin && (
            <button className="btn" type="submit" disabled={save.isPending || Number(days) === s.retentionDays}>
              {tc('common.save')}
            </button>
          )}
          {isAdmin && (
            <button className="btn btn-primary" type="button" onClick={() => void run()} disabled={running} data-testid="retention-run">
              {t('files.run')}
            </button>
          )}
        </form>
        <ErrorState error={save.error ?? err} />
        {running && (
          <p role="status">
            <progress max={1} value={job?.progress ?? undefined} /> {job?.message}
          </p>
        )}
        {job?.state === 'failed' && <p className="field-error">{job.error}</p>}
        {result && (
          <p role="status" data-testid="retention-result">
            {t('files.done', { files: result.files, inspections: result.inspections, bytes: fmtBytes(result.bytes) })}
          </p>
        )}
        <p className="muted small" data-testid="files-removed">
          {s.removed.count ? t('files.removed', { n: s.removed.count, at: fmtDateTime(s.removed.lastAt!) }) : t('files.noneRemoved')}
        </p>
      </section>
    </div>
  );
}
