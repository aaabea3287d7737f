/**
 * Demo data for every screen (`linedeck demo seed`, and the first start of an empty embedded database): the demo
 * accounts first (the inspection history names manager1/worker1), then the modules' seeders side by side.
 * Idempotent: users that exist are kept, each domain's seeder skips what is already there.
 */
import type { App } from '../app';
import { ApiError } from '../api/kit';
import type { SeedOptions } from '../domain';
import { log } from '../log';
import { seedDemoUsers } from '../system/demo';

/** Rough share of each domain in a first start's seeding time (for one progress fraction over them all). */
const WEIGHT: Record<string, number> = { cylinders: 1, telemetry: 6, inspection: 20 };

/**
 * The domains' seeders run side by side (the telemetry history is the database's work, the inspection banks this
 * process's and ONNX Runtime's); `onProgress` gets one fraction over all of them.
 */
export async function seedDemo(app: App, opts: SeedOptions): Promise<Record<string, number>> {
  const logger = log('demo');
  const seeders = app.instances().filter((b) => b.instance.seed);
  if (opts.only) {
    const known = seeders.map((s) => s.module.name);
    const unknown = opts.only.filter((n) => !known.includes(n));
    if (unknown.length) throw new ApiError('validation', `unknown demo domain(s): ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  const counts: Record<string, number> = { ...(await seedDemoUsers(app.services.auth, opts)) };
  const chosen = seeders.filter(({ module }) => !opts.only || opts.only.includes(module.name));
  const done = new Map(chosen.map(({ module }) => [module.name, 0]));
  const weight = (name: string) => WEIGHT[name] ?? 1;
  const total = chosen.reduce((a, { module }) => a + weight(module.name), 0);
  const report = (name: string, message: string, fraction?: number) => {
    if (fraction !== undefined && Number.isFinite(fraction)) done.set(name, Math.max(done.get(name) ?? 0, Math.min(1, fraction)));
    const sum = [...done].reduce((a, [n, f]) => a + weight(n) * f, 0);
    opts.onProgress?.(message, total ? sum / total : undefined);
  };
  const results = await Promise.allSettled(
    chosen.map(async ({ module, instance }) => {
      report(module.name, `데모 데이터: ${module.name} (demo data: ${module.name})…`, 0);
      const t0 = performance.now();
      const c = await instance.seed!({ ...opts, onProgress: (m, f) => report(module.name, m, f) });
      logger.info({ seeder: module.name, ms: Math.round(performance.now() - t0) }, 'seeded');
      report(module.name, `데모 데이터: ${module.name} 완료 (demo data: ${module.name} done)`, 1);
      return c;
    }),
  );
  // every seeder has stopped before a failure is reported (the caller closes the pools next)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  for (const r of results) if (r.status === 'fulfilled') Object.assign(counts, r.value);
  return counts;
}
