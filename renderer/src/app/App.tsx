import { useCallback, useEffect } from 'react';
import { HashRouter, Navigate, Route, Routes } from 'react-router-dom';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { call, onEvent, onTransport, onUnauthenticated } from '../api/client';
import { useSession } from '../stores/session';
import { usePrefs } from '../stores/prefs';
import { useConnection } from '../stores/connection';
import { BackendBanner } from './BackendBanner';
import { useActivityReporter } from './activity';
import { ReauthDialog } from './ReauthDialog';
import { Layout } from './Layout';
import { Loading, ErrorState } from './ui';
import { LoginScreen } from '../screens/login/LoginScreen';
import { SetupScreen } from '../screens/login/SetupScreen';
import { AdminWorkspace } from '../screens/admin/AdminWorkspace';
import { CylindersWorkspace } from '../screens/cylinders/CylindersWorkspace';
import { InspectionWorkspace } from '../screens/inspection/InspectionWorkspace';
import { TelemetryWorkspace } from '../screens/telemetry/TelemetryWorkspace';
import { useQuery } from '@tanstack/react-query';

export const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 5_000 } },
});

function Home() {
  const role = useSession((s) => s.user?.role);
  return <Navigate to={role === 'worker' ? '/inspection' : '/cylinders'} replace />;
}

function Gate() {
  const status = useSession((s) => s.status);
  const refresh = useSession((s) => s.refresh);
  const expire = useSession((s) => s.expire);
  const boot = useQuery({ queryKey: ['auth.status.boot'], queryFn: refresh, retry: 3, retryDelay: (n) => 500 * 2 ** n });
  useEffect(() => onUnauthenticated(() => expire()), [expire]);
  useActivityReporter(status === 'authenticated', expire);
  if (status === 'unknown') return boot.error ? <ErrorState error={boot.error as Error} onRetry={() => void boot.refetch()} /> : <Loading />;
  if (status === 'setup') return <SetupScreen />;
  if (status === 'anonymous') return <LoginScreen />;
  return (
    <Layout>
      <ReauthDialog />
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/cylinders/*" element={<CylindersWorkspace />} />
        <Route path="/telemetry/*" element={<TelemetryWorkspace />} />
        <Route path="/inspection/*" element={<InspectionWorkspace />} />
        <Route path="/admin/*" element={<AdminWorkspace />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Layout>
  );
}

export function App() {
  const theme = usePrefs((s) => s.theme);
  const { i18n } = useTranslation();
  const setTransport = useConnection((s) => s.setTransport);
  const setDb = useConnection((s) => s.setDb);
  const setOutbox = useConnection((s) => s.setOutbox);
  const signedIn = useSession((s) => s.status === 'authenticated');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    document.title = i18n.language === 'ko' ? 'LineDeck 운영 콘솔' : 'LineDeck console';
  }, [i18n.language]);
  // the database's state now (events only report changes): at start, at every login and logout (a logged-out window
  // gets no events), after every reconnect, and when db.status says a source is down (a manager's or an admin's
  // session gets the error text from system.health; db.status never carries it)
  const syncDb = useCallback(
    () =>
      call('system.health', {}).then(
        (h) => {
          const bad = h.sources.find((s) => !s.ok);
          setDb(!bad, h.embedded, bad?.error);
        },
        () => undefined,
      ),
    [setDb],
  );
  useEffect(() => {
    void syncDb();
  }, [syncDb, signedIn]);
  useEffect(() => {
    const offs = [
      onTransport((up) => {
        setTransport(up);
        if (up) void syncDb();
      }),
      onEvent('db.status', (p) => {
        const bad = p.sources.find((s) => !s.ok);
        setDb(!bad, p.embedded, bad?.error);
        if (bad) void syncDb();
      }),
      onEvent('outbox.depth', (p) => setOutbox(p.depth)),
    ];
    return () => offs.forEach((f) => f());
  }, [setTransport, setDb, setOutbox, syncDb]);
  return (
    <QueryClientProvider client={queryClient}>
      <BackendBanner />
      <HashRouter>
        <Gate />
      </HashRouter>
    </QueryClientProvider>
  );
}
