/**
 * The Cylinders workspace (CYNOW): inventory by cylinder type, the cylinders behind it, and the policy editors
 * (EndUser defaults, exceptions, valve groups), with the snapshot's freshness on top. Links are absolute: inside
 * the `/cylinders/*` splat route relative links would resolve against the matched sub-route.
 */
import { NavLink, Navigate, Route, Routes } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { FreshnessStrip } from './FreshnessStrip';
import { InventoryScreen } from './inventory/InventoryScreen';
import { ListScreen } from './list/ListScreen';
import { DefaultsScreen } from './defaults/DefaultsScreen';
import { ExceptionsScreen } from './exceptions/ExceptionsScreen';
import { ValveGroupsScreen } from './valvegroups/ValveGroupsScreen';
import { useIsManager } from './common';
import './cylinders.css';

const TABS = [
  { to: '/cylinders', key: 'inventory', end: true },
  { to: '/cylinders/list', key: 'list' },
  { to: '/cylinders/policies/defaults', key: 'defaults' },
  { to: '/cylinders/policies/exceptions', key: 'exceptions' },
  { to: '/cylinders/policies/valves', key: 'valves' },
] as const;

export function CylindersWorkspace() {
  const { t } = useTranslation('cylinders');
  const { t: tc } = useTranslation();
  const isManager = useIsManager();
  return (
    <section className="workspace cy" aria-labelledby="cylinders-title">
      <div className="cy-title">
        <h1 id="cylinders-title">{tc('nav.cylinders')}</h1>
        {!isManager && <span className="badge" data-testid="read-only">{t('readOnly')}</span>}
      </div>
      <FreshnessStrip />
      <nav className="tabs" aria-label={tc('nav.cylinders')}>
        {TABS.map((x) => (
          <NavLink key={x.key} to={x.to} end={'end' in x} className={({ isActive }) => `tab${isActive ? ' active' : ''}`} data-testid={`tab-${x.key}`}>
            {t(`tabs.${x.key}`)}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<InventoryScreen />} />
        <Route path="list" element={<ListScreen />} />
        <Route path="policies" element={<Navigate to="/cylinders/policies/defaults" replace />} />
        <Route path="policies/defaults" element={<DefaultsScreen />} />
        <Route path="policies/exceptions" element={<ExceptionsScreen />} />
        <Route path="policies/valves" element={<ValveGroupsScreen />} />
        <Route path="*" element={<Navigate to="/cylinders" replace />} />
      </Routes>
    </section>
  );
}
