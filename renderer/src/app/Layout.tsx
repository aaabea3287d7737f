import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useSession } from '../stores/session';
import { usePrefs } from '../stores/prefs';
import { useConnection, connState } from '../stores/connection';
import { BackgroundWork } from './BackgroundWork';
import { DemoBadge } from './DemoBadge';
import { ShortcutHelp } from './ShortcutHelp';
import { useShortcut } from './shortcuts';

export const WORKSPACES = [
  { path: '/cylinders', key: 'cylinders' },
  { path: '/telemetry', key: 'telemetry' },
  { path: '/inspection', key: 'inspection' },
  { path: '/admin', key: 'admin' },
] as const;

function ConnectionIndicator() {
  const { t } = useTranslation();
  const state = useConnection(connState);
  const embedded = useConnection((s) => s.embedded);
  const dbError = useConnection((s) => s.dbError);
  const outbox = useConnection((s) => s.outbox);
  return (
    <div className={`conn conn-${state}`} role="status" aria-live="polite" data-testid="connection" data-state={state} title={dbError ?? ''}>
      <span className="conn-dot" aria-hidden />
      {t(`conn.${state}`)}
      {embedded && state === 'connected' && <span className="conn-badge">{t('conn.embedded')}</span>}
      {outbox > 0 && (
        <span className="conn-badge conn-outbox" data-testid="connection-outbox" title={t('conn.outboxHint')}>
          {t('conn.outbox', { n: outbox })}
        </span>
      )}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const user = useSession((s) => s.user);
  const logout = useSession((s) => s.logout);
  const { lang, setLang, themeChoice, cycleTheme } = usePrefs();
  const navigate = useNavigate();

  // Alt+1…4: the workspaces (matched on the physical key: works in Korean input mode)
  const canAdmin = user?.role === 'admin' || user?.role === 'manager';
  useShortcut('nav.cylinders', () => navigate('/cylinders'));
  useShortcut('nav.telemetry', () => navigate('/telemetry'));
  useShortcut('nav.inspection', () => navigate('/inspection'));
  useShortcut('nav.admin', () => navigate('/admin'), { enabled: canAdmin });

  const toggleLang = () => {
    const next = lang === 'ko' ? 'en' : 'ko';
    setLang(next);
    void i18n.changeLanguage(next);
    document.documentElement.lang = next;
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <div className="brand" aria-label="LineDeck">
          <span className="brand-mark" aria-hidden>
            ▦
          </span>
          {t('app.name')}
          <DemoBadge />
        </div>
        <nav className="nav" aria-label={t('app.workspaces')}>
          {WORKSPACES.filter((w) => w.key !== 'admin' || user?.role === 'admin' || user?.role === 'manager').map((w, i) => (
            <NavLink key={w.key} to={w.path} className={({ isActive }) => `nav-link${isActive ? ' active' : ''}`} title={`Alt+${i + 1}`}>
              {t(`nav.${w.key}`)}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-right">
          <BackgroundWork />
          <ConnectionIndicator />
          <ShortcutHelp />
          <button type="button" className="btn btn-ghost" onClick={toggleLang} data-testid="lang-switch">
            {t('lang.switch')}
          </button>
          {/* system (follows the OS) → the other look → the OS's look → system (stores/prefs.ts) */}
          <button type="button" className="btn btn-ghost" onClick={cycleTheme} aria-label={t('habits:theme.next', { current: t(`habits:theme.${themeChoice}`) })} title={t('habits:theme.next', { current: t(`habits:theme.${themeChoice}`) })} data-testid="theme-switch" data-choice={themeChoice}>
            {themeChoice === 'system' ? '◐' : themeChoice === 'light' ? '☀' : '☾'}
          </button>
          {user && (
            <span className="user" data-testid="user">
              {t('auth.signedInAs', { name: user.fullName ?? user.username, role: t(`roles.${user.role}`) })}
              {user.offline && (
                <span className="badge badge-stale" title={t('auth.offlineHint')} data-testid="user-offline">
                  {t('auth.offline')}
                </span>
              )}
            </span>
          )}
          <button type="button" className="btn" onClick={() => void logout()} data-testid="logout">
            {t('auth.logout')}
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
