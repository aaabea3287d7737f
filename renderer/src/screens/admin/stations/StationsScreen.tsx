/**
 * Admin → Stations: every console that shares the plant database (main/stations), with its state (online, late,
 * offline; decided by the database, decisions.md Plant rule 6), refreshed every 10 s. Admins rename inline.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { Empty, ErrorState, Loading, refusalReason } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { hasRole, useSession } from '../../../stores/session';
import type { StationRow } from '../../../../../main/stations/types';
import './stations.css';
import { ExportButtons, type ExportColumn } from '../../../components/ExportButtons';

export const STATIONS_REFRESH_MS = 10_000;

function RenameForm({ station, onDone }: { station: StationRow; onDone: () => void }) {
  const { t } = useTranslation('admin');
  const { t: tc } = useTranslation();
  const rename = useCallMutation('stations.rename', ['stations.list']);
  const [name, setName] = useState(station.name);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === station.name) return onDone();
    await rename.mutateAsync({ stationId: station.stationId, name }).then(onDone, () => undefined);
  };
  const taken = refusalReason(rename.error) === 'station_name_taken';
  return (
    <form className="station-rename" onSubmit={submit} aria-label={t('stations.renameOf', { name: station.name })}>
      <input
        name="station-name"
        aria-label={t('stations.newName')}
        value={name}
        maxLength={64}
        autoFocus
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone();
        }}
        required
      />
      <button className="btn btn-primary" type="submit" disabled={rename.isPending || !name.trim()}>
        {tc('common.save')}
      </button>
      <button className="btn" type="button" onClick={onDone}>
        {tc('common.cancel')}
      </button>
      {taken ? (
        <span className="field-error" role="alert">
          {t('stations.nameTaken', { name: name.trim() })}
        </span>
      ) : (
        <ErrorState error={rename.error} />
      )}
    </form>
  );
}

/** The consoles of the plant (Admin → Stations; the Inspection overview shows it too, renaming for admins only). */
export function StationsScreen() {
  const { t } = useTranslation('admin');
  const isAdmin = useSession(hasRole('admin'));
  const list = useCall('stations.list', {}, { refetchInterval: STATIONS_REFRESH_MS });
  const [editing, setEditing] = useState<string | null>(null);
  const { t: th } = useTranslation('habits');
  const exportColumns: ExportColumn<StationRow>[] = [
    { header: t('stations.state'), value: (s) => t(`stations.states.${s.state}`) },
    { header: t('stations.name'), value: (s) => s.name },
    { header: t('stations.kind'), value: (s) => t(`stations.kinds.${s.kind}`) },
    { header: t('stations.host'), value: (s) => s.host },
    { header: t('stations.version'), value: (s) => s.version },
    { header: t('stations.models'), value: (s) => (s.modelsInUse ? Object.entries(s.modelsInUse).map(([k, v]) => `${t(`stations.modelKinds.${k}`, { defaultValue: k })}: ${v}`).join(', ') : '') },
    { header: t('stations.outbox'), value: (s) => s.outboxDepth },
    { header: `${t('stations.lastHeartbeat')} (KST)`, value: (s) => fmtDateTime(s.lastHeartbeat) },
    { header: t('stations.lastInspection'), value: (s) => (s.lastInspectionCode ? `${s.lastInspectionCode} ${fmtDateTime(s.lastInspectionAt)}` : '') },
  ];

  if (list.isPending) return <Loading />;
  if (!list.data) return <ErrorState error={list.error} onRetry={() => void list.refetch()} />;
  const { stations, self } = list.data;
  const online = stations.filter((s) => s.state === 'online').length;
  return (
    <div className="stack">
      {/* a failed refresh keeps the last list on screen, with the error above it */}
      {list.error && <ErrorState error={list.error} onRetry={() => void list.refetch()} />}
      <p className="muted" role="status">
        {t('stations.summary', { n: stations.length, online })} · {t('stations.refreshed', { time: fmtDateTime(list.data.now) })}
      </p>
      <ExportButtons name={th('tables.stations')} columns={exportColumns} rows={stations} testId="stations-export" />
      {stations.length === 0 ? (
        <Empty>{t('stations.empty')}</Empty>
      ) : (
        <table className="table" aria-label={t('tabs.stations')}>
          <thead>
            <tr>
              <th>{t('stations.state')}</th>
              <th>{t('stations.name')}</th>
              <th>{t('stations.kind')}</th>
              <th>{t('stations.host')}</th>
              <th>{t('stations.version')}</th>
              <th>{t('stations.models')}</th>
              <th className="num">{t('stations.outbox')}</th>
              <th>{t('stations.lastHeartbeat')}</th>
              <th>{t('stations.lastInspection')}</th>
              {isAdmin && <th />}
            </tr>
          </thead>
          <tbody>
            {stations.map((s) => (
              <tr key={s.stationId} data-testid={`station-${s.stationId}`} data-state={s.state}>
                <td>
                  <span className={`badge station-state station-state-${s.state}`}>{t(`stations.states.${s.state}`)}</span>
                </td>
                <td>
                  {editing === s.stationId ? (
                    <RenameForm station={s} onDone={() => setEditing(null)} />
                  ) : (
                    <>
                      {s.name}
                      {s.stationId === self && <span className="badge station-self">{t('stations.self')}</span>}
                    </>
                  )}
                </td>
                <td>{t(`stations.kinds.${s.kind}`)}</td>
                <td className="mono">{s.host}</td>
                <td className="mono">{s.version}</td>
                <td className="station-models mono">
                  {s.modelsInUse
                    ? Object.entries(s.modelsInUse)
                        .map(([k, v]) => `${t(`stations.modelKinds.${k}`, { defaultValue: k })}: ${v}`)
                        .join(', ')
                    : '—'}
                </td>
                <td className="num">{s.outboxDepth}</td>
                <td title={t('stations.ago', { n: s.secondsSinceHeartbeat })}>{fmtDateTime(s.lastHeartbeat)}</td>
                <td>
                  {s.lastInspectionCode ? (
                    <>
                      <span className="mono">{s.lastInspectionCode}</span> <span className="muted small">{fmtDateTime(s.lastInspectionAt)}</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                {isAdmin && (
                  <td>
                    {editing !== s.stationId && (
                      <button type="button" className="btn" onClick={() => setEditing(s.stationId)} aria-label={t('stations.renameOf', { name: s.name })}>
                        {t('stations.rename')}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
