/**
 * Test kit for screen components (jsdom): a bridge that answers procedure calls from a handler (and lets the test
 * push events), and a mount with the session's role, the language and a query client that does not retry.
 */
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { setBridge, type Bridge } from '../api/client';
import { initI18n } from '../app/i18n';
import { useSession } from '../stores/session';
import type { Envelope, Role } from '../../../main/api/kit';

export type CallHandler = (name: string, input: unknown) => Envelope<unknown> | Promise<Envelope<unknown>>;

/** Installs a bridge over `handler`; returns the call spy and a function that pushes an event to the screen. */
export function stubBridge(handler: CallHandler): { call: ReturnType<typeof vi.fn>; push: (event: string, payload: unknown) => void } {
  const call = vi.fn(async (name: string, input: unknown) => handler(name, input));
  const listeners = new Set<(event: string, payload: unknown) => void>();
  setBridge({
    transport: 'ipc',
    call,
    on: (h: (event: string, payload: unknown) => void) => {
      listeners.add(h);
      return () => listeners.delete(h);
    },
    fileUrl: (p: string) => p,
  } as unknown as Bridge);
  return { call, push: (event, payload) => listeners.forEach((h) => h(event, payload)) };
}

/** Renders a screen for a logged-in user of `role`, in `lang`. */
export function mountScreen(node: ReactNode, role: Role, lang: 'ko' | 'en' = 'ko'): void {
  initI18n(lang);
  useSession.setState({ status: 'authenticated', user: { userId: 1, username: 'u', fullName: null, role } });
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(<QueryClientProvider client={qc}>{node}</QueryClientProvider>);
}
