/** Who is logged in, and whether the station needs its first admin. Actions call the API. */
import { create } from 'zustand';
import type { SessionUser, Role } from '../../../main/api/kit';
import { call } from '../api/client';

interface SessionState {
  status: 'unknown' | 'setup' | 'anonymous' | 'authenticated';
  user: SessionUser | null;
  /** demo mode: every screen shows DEMO */
  demo: boolean;
  /** in demo mode only: the setup code, prefilled on the first-run form */
  setupCode: string | null;
  refresh(): Promise<void>;
  login(username: string, password: string): Promise<void>;
  setup(input: { username: string; email: string; fullName?: string; password: string; setupCode: string }): Promise<void>;
  logout(): Promise<void>;
  expire(): void;
}

export const useSession = create<SessionState>()((set) => ({
  status: 'unknown',
  user: null,
  demo: false,
  setupCode: null,
  async refresh() {
    const s = await call('auth.status', {});
    set({ user: s.user, demo: s.demo, setupCode: s.setupCode, status: s.user ? 'authenticated' : s.needsSetup ? 'setup' : 'anonymous' });
  },
  async login(username, password) {
    const r = await call('auth.login', { username, password });
    set({ user: r.user, status: 'authenticated' });
  },
  async setup(input) {
    const r = await call('auth.setup', input);
    set({ user: r.user, status: 'authenticated' });
  },
  async logout() {
    await call('auth.logout', {}).catch(() => undefined);
    set({ user: null, status: 'anonymous' });
  },
  expire() {
    set({ user: null, status: 'anonymous' });
  },
}));

const RANK: Role[] = ['viewer', 'worker', 'manager', 'admin'];
/** selector: does the current user have at least `role`? */
export const hasRole = (role: Role) => (s: SessionState) => Boolean(s.user && RANK.indexOf(s.user.role) >= RANK.indexOf(role));
