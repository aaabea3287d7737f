/**
 * Demo data for every screen (`linedeck demo seed`, and the first start of an empty embedded database).
 * Idempotent: users that exist are kept, each domain's seeder skips what is already there.
 */
import type { App } from '../app';
import { ApiError, type Role } from '../api/kit';
import { log } from '../log';

export const DEMO_PASSWORD = process.env.LINEDECK_DEMO_PASSWORD ?? 'linedeck-demo';
export const DEMO_USERS: { username: string; role: Role; fullName: string }[] = [
  { username: 'admin', role: 'admin', fullName: '관리자 (admin)' },
  { username: 'manager1', role: 'manager', fullName: '김현수 (manager)' },
  { username: 'worker1', role: 'worker', fullName: '이지은 (worker)' },
  { username: 'viewer1', role: 'viewer', fullName: '박민준 (viewer)' },
];

export interface SeedOptions {
  /** create the demo admin too (the CLI does; the app's first start leaves the admin to the first-run setup) */
  withAdmin: boolean;
  now?: Date;
  /** seed only these domains (users are always seeded) */
  only?: string[];
  onProgress?: (message: string) => void;
}

export type DomainSeeder = (app: App, opts: SeedOptions) => Promise<Record<string, number>>;
const seeders: { name: string; run: DomainSeeder }[] = [];

/** Each domain registers its seeder (see main/demo/domains.ts). */
export function registerSeeder(name: string, run: DomainSeeder): void {
  if (!seeders.some((s) => s.name === name)) seeders.push({ name, run });
}

export async function seedDemo(app: App, opts: SeedOptions): Promise<Record<string, number>> {
  const logger = log('demo');
  const counts: Record<string, number> = {};
  const existing = new Set((await app.services.auth.listUsers()).map((u) => u.username));
  let users = 0;
  for (const u of DEMO_USERS) {
    if (u.role === 'admin' && !opts.withAdmin) continue;
    if (existing.has(u.username)) continue;
    await app.services.auth.createUser({ username: u.username, email: `${u.username}@linedeck.local`, fullName: u.fullName, password: DEMO_PASSWORD, role: u.role });
    users++;
  }
  counts.users = users;
  if (opts.only) {
    const unknown = opts.only.filter((n) => !seeders.some((s) => s.name === n));
    if (unknown.length) throw new ApiError('validation', `unknown demo domain(s): ${unknown.join(', ')} (known: ${seeders.map((s) => s.name).join(', ')})`);
  }
  for (const s of seeders) {
    if (opts.only && !opts.only.includes(s.name)) continue;
    opts.onProgress?.(`seeding ${s.name}…`);
    const t0 = performance.now();
    Object.assign(counts, await s.run(app, opts));
    logger.info({ seeder: s.name, ms: Math.round(performance.now() - t0) }, 'seeded');
  }
  return counts;
}
