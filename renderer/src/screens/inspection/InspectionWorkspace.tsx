/**
 * The inspection workspace: Station (worker), History, Products and models (manager), Overview.
 * Sub-routes use absolute links: relative ones inside the `/inspection/*` splat resolve against the wrong base.
 */
import { useEffect } from 'react';
import { NavLink, Navigate, Route, Routes, useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { hasRole, useSession } from '../../stores/session';
import { HistoryDetailScreen, HistoryScreen } from './history/HistoryScreen';
import { OverviewScreen } from './overview/OverviewScreen';
import { ProductsScreen } from './products/ProductsScreen';
import { StationScreen } from './station/StationScreen';
import { useInspectionPrefs } from './store';
import './inspection.css';

const TABS = [
  { to: '/inspection', key: 'station', end: true },
  { to: '/inspection/history', key: 'history' },
  { to: '/inspection/products', key: 'products', manager: true },
  { to: '/inspection/overview', key: 'overview' },
] as const;

export function InspectionWorkspace() {
  const { t } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const isManager = useSession(hasRole('manager'));
  const kiosk = useInspectionPrefs((s) => s.kiosk);
  const setPrefs = useInspectionPrefs((s) => s.set);
  const [params, setParams] = useSearchParams();

  // `#/inspection?kiosk=1` (a station's start-up link) turns kiosk mode on; `kiosk=0` off
  useEffect(() => {
    const k = params.get('kiosk');
    if (k === null) return;
    setPrefs({ kiosk: k === '1' });
    params.delete('kiosk');
    setParams(params, { replace: true });
  }, [params, setParams, setPrefs]);

  return (
    <section className={`workspace insp-ws${kiosk ? ' insp-kiosk' : ''}`} aria-labelledby="inspection-title" data-testid="inspection-workspace" data-kiosk={kiosk ? '1' : '0'}>
      <div className="insp-ws-head">
        <h1 id="inspection-title">{tc('nav.inspection')}</h1>
        <button type="button" className={`btn${kiosk ? ' btn-primary' : ' btn-ghost'}`} aria-pressed={kiosk} onClick={() => setPrefs({ kiosk: !kiosk })} data-testid="kiosk-toggle" title={t('kiosk.help')}>
          {kiosk ? t('kiosk.exit') : t('kiosk.enter')}
        </button>
      </div>
      {!kiosk && (
        <nav className="tabs" aria-label={tc('nav.inspection')}>
          {TABS.filter((x) => !('manager' in x) || isManager).map((x) => (
            <NavLink key={x.key} to={x.to} end={'end' in x} className={({ isActive }) => `tab${isActive ? ' active' : ''}`} data-testid={`tab-${x.key}`}>
              {t(`tabs.${x.key}`)}
            </NavLink>
          ))}
        </nav>
      )}
      {kiosk ? (
        <StationScreen />
      ) : (
      <Routes>
        <Route index element={<StationScreen />} />
        <Route path="history" element={<HistoryScreen />} />
        <Route path="history/:inspectionId" element={<HistoryDetailScreen />} />
        <Route path="products" element={isManager ? <ProductsScreen /> : <Navigate to="/inspection" replace />} />
        <Route path="overview" element={<OverviewScreen />} />
        <Route path="*" element={<Navigate to="/inspection" replace />} />
      </Routes>
      )}
    </section>
  );
}
