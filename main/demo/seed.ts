/**
 * Demo data for every screen (`linedeck demo seed`, and the first start of an empty embedded database): the demo
 * accounts first (the inspection history names manager1/worker1), then each module's seeder in the modules' order.
 * Idempotent: users that exist are kept, each domain's seeder skips what is already there.
 */
import type { App } from '../app';
import { ApiError } from '../api/kit';
import type { SeedOptions } from '../domain';
import { log } from '../log';
import { seedDemoUsers } from '../system/demo';

export async function seedDemo(app: App, opts: SeedOptions): Promise<Record<string, number>> {
  const logger = log('demo');
  const seeders = app.instances().filter((b) => b.instance.seed);
  if (opts.only) {
    const known = seeders.map((s) => s.module.name);
    const unknown = opts.only.filter((n) => !known.includes(n));
    if (unknown.length) throw new ApiError('validation', `unknown demo domain(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  const counts: Record<string, number> = { ...(await seedDemoUsers(app.services.auth, opts)) };
  for (const { module, instance } of seeders) {
    if (opts.only && !opts.only.includes(module.name)) continue;
    opts.onProgress?.(`seeding ${module.name}…`);
    const t0 = performance.now();
    Object.assign(counts, await instance.seed!(opts));
    logger.info({ seeder: module.name, ms: Math.round(performance.now() - t0) }, 'seeded');
  }
  return counts;
}
