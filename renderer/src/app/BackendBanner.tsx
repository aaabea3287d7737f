/**
 * The desktop app's backend process (Electron main relays to it) says when it stopped and is being restarted, when
 * it is back, and when it could not be restarted. Sessions died with the old process: once it is back every query
 * is refetched, its `unauthenticated` answer sends the window to login, and the banner says why.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import type { BackendStatus } from '../../../main/api/events';
import { onEvent } from '../api/client';

export function BackendBanner() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [status, setStatus] = useState<BackendStatus | null>(null);
  useEffect(
    () =>
      // Electron only: the browser host is the backend itself, and onTransport covers it
      onEvent('backend.status', (s) => {
        setStatus(s);
        if (s.state === 'ready' && s.restarts > 0) void qc.invalidateQueries();
      }),
    [qc],
  );
  // "back" stays a few seconds, then goes
  useEffect(() => {
    if (status?.state !== 'ready') return;
    const timer = setTimeout(() => setStatus(null), 8000);
    return () => clearTimeout(timer);
  }, [status]);
  if (!status || status.state === 'starting' || status.state === 'stopped' || (status.state === 'ready' && status.restarts === 0)) return null;
  const kind = status.state === 'ready' ? 'back' : status.state;
  return (
    <div className={`backend-banner backend-banner-${kind}`} role={kind === 'back' ? 'status' : 'alert'} data-testid="backend-banner" data-state={status.state}>
      {t(`backend.${kind}`, { n: status.restarts })}
      {kind === 'failed' && status.message ? <span className="muted small"> ({status.message})</span> : null}
    </div>
  );
}
