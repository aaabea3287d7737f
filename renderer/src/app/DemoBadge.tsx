/** The DEMO badge every screen shows while the station runs in demo mode (issue "Installable product"). */
import { useTranslation } from 'react-i18next';
import { useSession } from '../stores/session';

export function DemoBadge() {
  const { t } = useTranslation();
  const demo = useSession((s) => s.demo);
  if (!demo) return null;
  return (
    <span className="badge badge-demo" role="note" title={t('auth.demoHint')} data-testid="demo-badge">
      {t('auth.demo')}
    </span>
  );
}
