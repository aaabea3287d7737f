/**
 * `linedeck cylinders …` (contract: shared/contracts/cli.md):
 *   cylinders sync                      → {"synced": N, "ms": T, "changed": C, "deleted": D}
 *   cylinders summary [--gas G] [--status S] [--enduser E] [--location L] [--available] [--capacity C] [--valve V] [--spec S]
 *                                       → {"rows": [{cylinder_type_key, gas_name, capacity, valve_spec, cylinder_spec,
 *                                                    enduser, status, location, qty, available_qty}]}
 *   cylinders list [filters] [--search PREFIX] [--limit N] [--offset N]
 *   cylinders detail CYLINDER_NO
 *   cylinders freshness
 */
import type { Command } from 'commander';
import { ApiError } from '../api/kit';
import type { CylinderService } from './service';
import type { CylinderFilters } from './types';
import type { CliContext, DomainCli } from '../domain';
import { jobMessageText } from '../jobs/message';

interface FilterOpts {
  gas?: string;
  status?: string;
  enduser?: string;
  location?: string;
  available?: boolean;
  capacity?: string;
  valve?: string;
  spec?: string;
}

function addFilters(cmd: Command): Command {
  return cmd
    .option('--gas <name>', 'gas name (dashboard), e.g. NF3')
    .option('--status <status>', 'status: 보관 충전 분석 창입 출하 이상 폐기 기타')
    .option('--enduser <enduser>', 'EndUser after the policies, e.g. SDC')
    .option('--location <location>', 'location (FCMS POSITION_USER_NAME)')
    .option('--available', 'only available cylinders (보관, 충전)')
    .option('--capacity <number>', 'capacity, compared as a number (47 matches 47 and 47.0)')
    .option('--valve <name>', 'valve group, or valve name when in no group')
    .option('--spec <name>', 'cylinder spec name');
}

function toFilters(o: FilterOpts, ctx: CliContext): CylinderFilters {
  if (o.capacity !== undefined && !/^\d{1,12}(\.\d{1,6})?$/.test(o.capacity.trim())) ctx.fail(`--capacity must be a number like 47 or 47.0 (got "${o.capacity}")`, 2);
  const one = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : [v.trim()]);
  return {
    gas: one(o.gas),
    status: one(o.status),
    enduser: one(o.enduser),
    location: one(o.location),
    capacity: one(o.capacity),
    valve: one(o.valve),
    cylinderSpec: one(o.spec),
    availableOnly: Boolean(o.available),
  };
}

const services = new WeakMap<object, Promise<CylinderService>>();
/**
 * The module's service over the station's databases (what the module's `create` builds), without the App: a
 * cylinders command loads this domain's service and the database driver, not every module's (ONNX Runtime, sharp).
 * One per command line (its context); closing the station closes its pools.
 */
function service(ctx: DomainCli<{ svc: CylinderService }>): Promise<CylinderService> {
  let svc = services.get(ctx);
  if (!svc) {
    svc = Promise.all([ctx.station(), import('./service')]).then(([st, { CylinderService }]) => new CylinderService(st.dbs));
    services.set(ctx, svc);
  }
  return svc;
}

/** ApiErrors become one-line failures (validation → exit 2). */
async function run<T>(ctx: CliContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) ctx.fail(e.message, e.kind === 'validation' ? 2 : 1);
    throw e;
  }
}

const WIDE = /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u4e00-\u9fff]/g;
const ASTRAL = /[\ud800-\udbff]/g;
/** `s` padded to `n` terminal columns: Hangul and CJK take two (one regex pass per string: a summary has ~7 000 rows × 7 fields). */
function pad(s: string, n: number): string {
  const w = s.length - (s.match(ASTRAL)?.length ?? 0) + (s.match(WIDE)?.length ?? 0);
  return s + ' '.repeat(Math.max(0, n - w));
}

export function registerCylinderCommands(program: Command, ctx: DomainCli<{ svc: CylinderService }>): void {
  const cyl = program.command('cylinders').description('cylinder inventory (FCMS CDC snapshot with the CYNOW policies)');

  cyl
    .command('sync')
    .description('full, set-based resync of cy_cylinder_current from fcms_cdc.* and the policies')
    .action(async () => {
      const st = await ctx.station();
      const has = await st.dbs.pool('cylinders', 'job').query(`select to_regclass('cy_cylinder_current') as r`);
      if (!has.rows[0].r) ctx.fail('cy_cylinder_current does not exist: run `linedeck migrate` first');
      // Installs the FCMS triggers if the CDC tables appeared since the last migrate (idempotent, cheap when current).
      const { ensureCylinderSync } = await import('./migrations');
      const c = await st.dbs.pool('cylinders', 'job').connect();
      try {
        for (const n of await ensureCylinderSync(c)) ctx.progress(`note: ${n}`);
      } finally {
        c.release();
      }
      const r = await run(ctx, async () => (await service(ctx)).fullSync({ onProgress: (_f, m) => ctx.progress(jobMessageText(m)) }));
      ctx.output({ synced: r.synced, ms: r.ms, changed: r.changed, deleted: r.deleted }, `synced ${r.synced} cylinders in ${r.ms} ms (${r.changed} rows written, ${r.deleted} removed)`);
    });

  addFilters(cyl.command('summary').description('inventory by cylinder type, status and location (design §4.3)')).action(async (o: FilterOpts) => {
    const filters = toFilters(o, ctx);
    const r = await run(ctx, async () => (await service(ctx)).summary(filters));
    const rows = r.rows.map((x) => ({
      cylinder_type_key: x.cylinderTypeKey,
      gas_name: x.gasName,
      capacity: x.capacity,
      valve_spec: x.valveSpec,
      cylinder_spec: x.cylinderSpec,
      enduser: x.enduser,
      status: x.status,
      location: x.location,
      qty: x.qty,
      available_qty: x.availableQty,
    }));
    ctx.output({ rows }, () =>
      [
        ...r.rows.map(
          (x) =>
            `${pad(x.gasName || '-', 8)} ${pad(x.capacity ?? '-', 6)} ${pad(x.valveSpec || '-', 32)} ${pad(x.cylinderSpec || '-', 22)} ${pad(x.enduser, 6)} ${pad(x.status, 5)} ${pad(x.location || '-', 22)} ${String(x.qty).padStart(6)} ${String(x.availableQty).padStart(6)}`,
        ),
        `${r.totals.rows} rows, ${r.totals.types} cylinder types, ${r.totals.qty} cylinders (${r.totals.availableQty} available)`,
      ].join('\n'),
    );
  });

  addFilters(cyl.command('list').description('individual cylinders'))
    .option('--search <prefix>', 'cylinder number prefix')
    .option('--limit <n>', 'rows (default 100)', '100')
    .option('--offset <n>', 'rows to skip', '0')
    .action(async (o: FilterOpts & { search?: string; limit: string; offset: string }) => {
      const limit = Number(o.limit);
      const offset = Number(o.offset);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) ctx.fail('--limit must be an integer in 1..100000', 2);
      if (!Number.isInteger(offset) || offset < 0) ctx.fail('--offset must be a non-negative integer', 2);
      const r = await run(ctx, async () => (await service(ctx)).list({ ...toFilters(o, ctx), search: o.search, limit, offset }, { long: true }));
      ctx.output(r, () =>
        [...r.rows.map((x) => `${pad(x.cylinderNo, 12)} ${pad(x.gasName || '-', 8)} ${pad(x.capacity ?? '-', 6)} ${pad(x.valveSpec || '-', 32)} ${pad(x.enduser, 6)} ${pad(x.status, 5)} ${x.location}`), `${r.rows.length} of ${r.total}`].join('\n'),
      );
    });

  cyl
    .command('detail')
    .description('one cylinder: FCMS raw values beside dashboard values and the rule behind each difference')
    .argument('<cylinderNo>')
    .action(async (no: string) => {
      const d = await run(ctx, async () => (await service(ctx)).detail(no));
      ctx.output(d, () =>
        [
          `${d.cylinderNo}${d.inSync ? '' : `  (snapshot stale: ${d.staleColumns.join(', ') || 'missing'})`}`,
          ...d.fields.map((f) => `  ${pad(f.label, 14)} ${pad(f.raw ?? '-', 34)} → ${pad(f.dashboard ?? '-', 34)} ${f.reason}`),
          `  type key ${d.typeKey.key} = md5(${d.typeKey.input})`,
        ].join('\n'),
      );
    });

  cyl
    .command('freshness')
    .description('snapshot freshness (design §8)')
    .action(async () => {
      const f = await run(ctx, async () => (await service(ctx)).freshness());
      ctx.output(f, () =>
        [
          `total ${f.total}, updated in the last hour ${f.updatedLastHour}, last update ${f.lastUpdate ?? '-'}`,
          ...f.byEnduser.map((e) => `  ${pad(e.enduser, 8)} ${String(e.qty).padStart(7)} (${e.availableQty} available)`),
          ...(f.source.note ? [`note: ${f.source.note}`] : []),
        ].join('\n'),
      );
    });
}
