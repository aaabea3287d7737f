import { NavLink, Navigate, Route, Routes } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { useSession, hasRole } from '../../stores/session';
import { UsersScreen } from './users/UsersScreen';
import { DataSourcesScreen } from './datasources/DataSourcesScreen';
import { AuditScreen } from './audit/AuditScreen';
import { StationsScreen } from './stations/StationsScreen';
import { FilesScreen } from './files/FilesScreen';

export function AdminWorkspace() {
  const { t } = useTranslation('admin');
  const isAdmin = useSession(hasRole('admin'));
  const isManager = useSession(hasRole('manager'));
  return (
    <section className="workspace" aria-labelledby="admin-title">
      <h1 id="admin-title">{t('title')}</h1>
      <nav className="tabs" aria-label={t('title')}>
        {isAdmin && (
          <NavLink to="users" className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
            {t('tabs.users')}
          </NavLink>
        )}
        {isAdmin && (
          <NavLink to="datasources" className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
            {t('tabs.datasources')}
          </NavLink>
        )}
        <NavLink to="stations" className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
          {t('tabs.stations')}
        </NavLink>
        {isManager && (
          <NavLink to="files" className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
            {t('tabs.files')}
          </NavLink>
        )}
        <NavLink to="audit" className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
          {t('tabs.audit')}
        </NavLink>
      </nav>
      <Routes>
        <Route index element={<Navigate to={isAdmin ? 'users' : 'audit'} replace />} />
        {isAdmin && <Route path="users" element={<UsersScreen />} />}
        {isAdmin && <Route path="datasources" element={<DataSourcesScreen />} />}
        <Route path="stations" element={<StationsScreen />} />
        {isManager && <Route path="files" element={<FilesScreen />} />}
        <Route path="audit" element={<AuditScreen />} />
      </Routes>
    </section>
  );
}
