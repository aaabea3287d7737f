// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setBridge, type Bridge } from '../../../api/client';
import { initI18n } from '../../../app/i18n';
import { ReauthDialog } from '../../../app/ReauthDialog';
import { ACTIVITY_EVERY_MS, useActivityReporter } from '../../../app/activity';
import type { Envelope } from '../../../../../main/api/kit';
import type { UserRow } from '../../../../../main/auth/types';
import { UsersScreen } from './UsersScreen';

const user = (over: Partial<UserRow>): UserRow => ({
  userId: 2,
  username: 'op1',
  email: 'op1@plant.example',
  fullName: null,
  role: 'worker',
  isActive: true,
  lastLoginAt: null,
  createdAt: '2026-12-01T00:00:00Z',
  failedLogins: 10,
  lockedUntil: null,
  lockedAt: '2026-12-07T08:00:00Z',
  locked: true,
  ...over,
});

function bridge(handler: (name: string, input: unknown) => Envelope<unknown>) {
  const call = vi.fn(async (name: string, input: unknown) => handler(name, input));
  setBridge({ transport: 'ipc', call, on: () => () => undefined, fileUrl: (p: string) => p } as Bridge);
  return call;
}

describe('Admin → Users: unlock with a fresh password', () => {
  afterEach(cleanup);

  it('shows the lock, asks for the password again, then unlocks (Korean first)', async () => {
    initI18n('ko');
    let fresh = false;
    let locked = true;
    const call = bridge((name, input) => {
      if (name === 'admin.users.list') return { ok: true, value: [user({ locked, lockedAt: locked ? '2026-12-07T08:00:00Z' : null, failedLogins: locked ? 10 : 0 }), user({ userId: 1, username: 'chief', role: 'admin', failedLogins: 0, lockedAt: null, locked: false })] };
      if (name === 'auth.reauth') {
        fresh = (input as { password: string }).password === 'chief-admin-pass';
        return fresh ? { ok: true, value: { ok: true } } : { ok: false, error: { kind: 'validation', message: 'wrong password' } };
      }
      if (name === 'admin.users.unlock') {
        if (!fresh) return { ok: false, error: { kind: 'unauthenticated', message: 'enter your password again', details: { reason: 'reauth' } } };
        locked = false;
        return { ok: true, value: user({ locked: false, lockedAt: null, failedLogins: 0 }) };
      }
      return { ok: false, error: { kind: 'not_found', message: name } };
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <ReauthDialog />
        <UsersScreen />
      </QueryClientProvider>,
    );
    expect(await screen.findByText('잠김', { selector: '.badge' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: '잠금 해제 chief' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: '잠금 해제 op1' }));
    const dialog = await screen.findByRole('dialog', { name: '비밀번호 다시 입력' });
    const input = dialog.querySelector('input[name=reauth-password]') as HTMLInputElement;
    fireEvent.change(input, { target: { value: 'wrong-one-here' } });
    fireEvent.submit(input.form!);
    expect(await screen.findByText('wrong password')).toBeTruthy();
    fireEvent.change(input, { target: { value: 'chief-admin-pass' } });
    fireEvent.submit(input.form!);
    expect(await screen.findByText('op1 잠금을 해제했습니다')).toBeTruthy();
    await waitFor(() => expect(screen.queryByText('잠김', { selector: '.badge' })).toBeNull());
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(call.mock.calls.map((c) => c[0]).filter((n) => n !== 'admin.users.list')).toEqual(['admin.users.unlock', 'auth.reauth', 'auth.reauth', 'admin.users.unlock']);
  });
});

function Reporter({ onEnded }: { onEnded: () => void }) {
  useActivityReporter(true, onEnded);
  return null;
}

describe('activity reporting', () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('reports pointer and key input at most once a minute, nothing without input', async () => {
    vi.useFakeTimers();
    const call = bridge(() => ({ ok: true, value: { ok: true } }));
    render(<Reporter onEnded={() => undefined} />);
    vi.advanceTimersByTime(5 * ACTIVITY_EVERY_MS);
    expect(call).not.toHaveBeenCalled();
    fireEvent.keyDown(window, { key: 'a' });
    fireEvent.pointerDown(window);
    fireEvent.keyDown(window, { key: 'b' });
    expect(call).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(ACTIVITY_EVERY_MS);
    fireEvent.pointerMove(window);
    expect(call.mock.calls).toEqual([
      ['auth.activity', {}],
      ['auth.activity', {}],
    ]);
  });
});
