/**
 * Demo accounts (the first start of an empty embedded database, and `linedeck demo seed`): one user per role with a
 * shared password. Idempotent: users that exist are kept.
 */
import type { Role } from '../api/kit';
import type { AuthService } from '../auth/auth';

export const DEMO_PASSWORD = process.env.LINEDECK_DEMO_PASSWORD ?? 'linedeck-demo';
export const DEMO_USERS: { username: string; role: Role; fullName: string }[] = [
  { username: 'admin', role: 'admin', fullName: '관리자 (admin)' },
  { username: 'manager1', role: 'manager', fullName: '김현수 (매니저)' },
  { username: 'worker1', role: 'worker', fullName: '이지은 (작업자)' },
  { username: 'viewer1', role: 'viewer', fullName: '박민준 (열람자)' },
];

/** Creates the demo users that do not exist yet (the admin only with `withAdmin`); returns how many it created. */
export async function seedDemoUsers(auth: AuthService, opts: { withAdmin: boolean }): Promise<{ users: number }> {
  const existing = new Set((await auth.listUsers()).map((u) => u.username));
  let users = 0;
  for (const u of DEMO_USERS) {
    if (u.role === 'admin' && !opts.withAdmin) continue;
    if (existing.has(u.username)) continue;
    await auth.createUser({ username: u.username, email: `${u.username}@linedeck.local`, fullName: u.fullName, password: DEMO_PASSWORD, role: u.role }, undefined, { demoPassword: DEMO_PASSWORD });
    users++;
  }
  return { users };
}
