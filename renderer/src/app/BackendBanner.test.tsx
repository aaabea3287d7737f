// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackendStatus } from '../../../main/api/events';
import { setBridge } from '../api/client';
import { BackendBanner } from './BackendBanner';
import { i18n, initI18n } from './i18n';

function fakeBridge() {
  const listeners = new Set<(event: string, payload: unknown) => void>();
  setBridge({ transport: 'ipc', call: async () => ({ ok: true, value: null }), on: (h) => (listeners.add(h), () => listeners.delete(h)), fileUrl: (p) => `linedeck://file/${p}` });
  return (s: BackendStatus) => act(() => listeners.forEach((l) => l('backend.status', s)));
}

describe('backend banner', () => {
  afterEach(cleanup);

  it('says the backend is restarting, back (and refetches, so a lost session goes to login) or failed — Korean first', async () => {
    initI18n('ko');
    const emit = fakeBridge();
    const qc = new QueryClient();
    const invalidate = vi.spyOn(qc, 'invalidateQueries');
    render(
      <QueryClientProvider client={qc}>
        <BackendBanner />
      </QueryClientProvider>,
    );
    expect(screen.queryByTestId('backend-banner')).toBeNull();
    emit({ state: 'ready', restarts: 0 });
    expect(screen.queryByTestId('backend-banner')).toBeNull();
    emit({ state: 'restarting', restarts: 1, message: 'killed by SIGKILL' });
    expect(screen.getByTestId('backend-banner').textContent).toContain('다시 시작');
    expect(screen.getByRole('alert')).toBeTruthy();
    emit({ state: 'ready', restarts: 1 });
    expect(screen.getByTestId('backend-banner').dataset.state).toBe('ready');
    expect(invalidate).toHaveBeenCalled();
    await act(() => i18n.changeLanguage('en'));
    emit({ state: 'failed', restarts: 5, message: 'exit code 1' });
    expect(screen.getByTestId('backend-banner').textContent).toContain('could not be restarted');
  });
});
