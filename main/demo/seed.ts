/**
 * Demo data for every screen (`linedeck demo seed`, and the first start of an empty embedded database): each
 * module's seeder in the modules' order (the system module's demo accounts first: the inspection history names
 * manager1/worker1). Idempotent: users that exist are kept, each domain's seeder skips what is already there.
 */
import type { App } from '../app';
import { ApiError } from '../api/kit';
import type { SeedOptions } from '../domain';
import { log } from '../log';

export type { SeedOptions } from '../domain';
export { DEMO_PASSWORD, DEMO_USERS } from '../system/demo';

/** The seeders `--only` may name (the demo accounts are always seeded). */
const ALWAYS = 'system';

export async function seedDemo(app: App, opts: SeedOptions): Promise<Record<string, number>> {
  const logger = log('demo');
  const seeders = app.instances().filter((b) => b.instance.seed);
  if (opts.only) {
    const known = seeders.map((s) => s.module.name).filter((n) => n !== ALWAYS);
    const unknown = opts.only.filter((n) => !known.includes(n));
    if (unknown.length) throw new ApiError('validation', `unknown demo domain(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  const counts: Record<string, number> = {};
  for (const { module, instance } of seeders) {
    if (opts.only && module.name !== ALWAYS && !opts.only.includes(module.name)) continue;
    if (module.name !== ALWAYS) opts.onProgress?.(`seeding ${module.name}…`);
    const t0 = performance.now();
    Object.assign(counts, await instance.seed!(opts));
    logger.info({ seeder: module.name, ms: Math.round(performance.now() - t0) }, 'seeded');
  }
  return counts;
}
