import { NavLink, Route, Routes } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { DashboardScreen } from './dashboard/DashboardScreen';
import { TrendScreen } from './trend/TrendScreen';
import { TechScreen } from './tech/TechScreen';
import { CommScreen } from './comm/CommScreen';
import { QcScreen } from './qc/QcScreen';

const TABS = [
  { to: '/telemetry', key: 'dashboard', end: true },
  { to: '/telemetry/trend', key: 'trend' },
  { to: '/telemetry/tech', key: 'tech' },
  { to: '/telemetry/comm', key: 'comm' },
  { to: '/telemetry/qc', key: 'qc' },
] as const;

export function TelemetryWorkspace() {
  const { t } = useTranslation('telemetry');
  const { t: tc } = useTranslation();
  return (
    <section className="workspace" aria-labelledby="telemetry-title">
      <h1 id="telemetry-title">{tc('nav.telemetry')}</h1>
      <nav className="tabs" aria-label={tc('nav.telemetry')}>
        {TABS.map((x) => (
          <NavLink key={x.key} to={x.to} end={'end' in x} className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
            {t(`tabs.${x.key}`)}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<DashboardScreen />} />
        <Route path="trend" element={<TrendScreen />} />
        <Route path="tech" element={<TechScreen />} />
        <Route path="comm" element={<CommScreen />} />
        <Route path="qc" element={<QcScreen />} />
      </Routes>
    </section>
  );
}
