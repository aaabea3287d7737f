/**
 * `linedeck telemetry …` (contracts/cli.md): refresh, trend, tech, kpi, comm — over the same query layer as the
 * screens (main/telemetry/queries.ts), without the screens' cache. Times in: ISO 8601 with an offset; out: UTC, Z.
 */
import type { Command } from 'commander';
import { ApiError } from '../api/kit';
import { bucketForSeconds, isBucket, isIsoDate, isIsoWithOffset, isWindow } from './rules';
import { BUCKETS, WINDOWS, type BucketName } from './types';
import type { CliContext } from '../domain';

/** The query layer, the refresh and the database driver: loaded when a command runs (parsing and --help need none). */
const queries = () => import('./queries');

const TIME_HINT = 'an ISO 8601 time with an offset, e.g. 2025-08-15T00:00:00Z or 2025-08-15T09:00:00+09:00';

function time(ctx: CliContext, name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!isIsoWithOffset(v)) ctx.fail(`--${name} must be ${TIME_HINT} (got ${JSON.stringify(v)})`, 2);
  return v;
}

function range(ctx: CliContext, o: { from?: string; to?: string }): { from: string; to: string } {
  const from = time(ctx, 'from', o.from)!;
  const to = time(ctx, 'to', o.to)!;
  if (Date.parse(from) >= Date.parse(to)) ctx.fail(`--from (${from}) must be before --to (${to})`, 2);
  return { from, to };
}

/** Runs a query; unknown tags and bad ranges are usage errors (2), a missing schema names the fix. */
async function run<T>(ctx: CliContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) ctx.fail(e.message, e.kind === 'validation' || e.kind === 'not_found' ? 2 : 1);
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '42883') {
      const { describePgError } = await import('../db/pools');
      ctx.fail(`the telemetry tables are missing in this database: run \`linedeck migrate\` (${describePgError(e)})`);
    }
    throw e;
  }
}

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(d));

export function registerTelemetryCommands(program: Command, ctx: CliContext): void {
  const t = program.command('telemetry').description('telemetry aggregates, trends, indicators, KPI tiles and communication success');

  t.command('refresh')
    .description('bring the derived aggregates up to date (without a range: what changed since the last refresh)')
    .option('--from <time>', 'start of the range to recompute (ISO 8601 with offset)')
    .option('--to <time>', 'end of the range, exclusive')
    .action(async (o: { from?: string; to?: string }) => {
      if (Boolean(o.from) !== Boolean(o.to)) ctx.fail('give both --from and --to, or neither', 2);
      const r = o.from ? range(ctx, o) : undefined;
      const [st, { refreshTelemetry }] = await Promise.all([ctx.station(), import('./refresh')]);
      const res = await run(ctx, () => refreshTelemetry(st.dbs.pool('telemetry', 'job'), { ...r, progress: (f, m) => !ctx.json && m && ctx.progress(`${Math.round((f ?? 0) * 100)}% ${m}`) }));
      ctx.output({ refreshed: res.refreshed }, () =>
        [`${res.mode}: ${res.full ? 'full rebuild' : res.ranges.length ? res.ranges.map((x) => `${x.from} .. ${x.to}`).join(', ') : 'nothing changed'} (${res.ms} ms)`, ...Object.entries(res.refreshed).map(([k, v]) => `  ${k}: ${v}`)].join('\n'),
      );
    });

  t.command('trend')
    .description('aggregate rows of one tag, from <= bucket < to')
    .requiredOption('--tag <tag>', 'tag name, e.g. D100')
    .option('--bucket <bucket>', `${BUCKETS.join('|')} (default: from the range length, design §B8)`)
    .requiredOption('--from <time>', 'start (ISO 8601 with offset)')
    .requiredOption('--to <time>', 'end, exclusive')
    .action(async (o: { tag: string; bucket?: string; from: string; to: string }) => {
      const r = range(ctx, o);
      if (o.bucket !== undefined && !isBucket(o.bucket)) ctx.fail(`--bucket must be one of ${BUCKETS.join(', ')} (got ${JSON.stringify(o.bucket)})`, 2);
      const bucket: BucketName = (o.bucket as BucketName | undefined) ?? bucketForSeconds((Date.parse(r.to) - Date.parse(r.from)) / 1000);
      const [st, Q] = await Promise.all([ctx.station(), queries()]);
      const q = st.dbs.pool('telemetry');
      const rows = await run(ctx, async () => {
        await Q.assertKnownTag(q, o.tag);
        return Q.trend(q, { tag: o.tag, bucket, ...r });
      });
      ctx.output({ rows: rows.map((x) => ({ bucket: x.bucket, n: x.n, avg: x.avg, min: x.min, max: x.max, first: x.first, last: x.last })) }, () =>
        [`${o.tag} ${bucket} ${rows.length} row(s)`, 'bucket                      n      avg      min      max    first     last', ...rows.map((x) => `${x.bucket.padEnd(24)} ${String(x.n).padStart(5)} ${[x.avg, x.min, x.max, x.first, x.last].map((v) => fmt(v).padStart(8)).join(' ')}`)].join('\n'),
      );
    });

  t.command('tech')
    .description('1-minute indicators of one tag (SMA 10/60, Bollinger 20, slope 60) computed with look-back')
    .requiredOption('--tag <tag>', 'tag name')
    .requiredOption('--from <time>', 'start (ISO 8601 with offset)')
    .requiredOption('--to <time>', 'end, exclusive')
    .action(async (o: { tag: string; from: string; to: string }) => {
      const r = range(ctx, o);
      const [st, Q] = await Promise.all([ctx.station(), queries()]);
      const q = st.dbs.pool('telemetry');
      const rows = await run(ctx, async () => {
        await Q.assertKnownTag(q, o.tag);
        return Q.tech(q, { tag: o.tag, ...r });
      });
      ctx.output({ rows: rows.map((x) => ({ bucket: x.bucket, avg: x.avg, sma_10: x.sma_10, sma_60: x.sma_60, bb_top: x.bb_top, bb_bot: x.bb_bot, slope_60: x.slope_60 })) }, () =>
        [`${o.tag} ${rows.length} row(s)`, ...rows.map((x) => `${x.bucket} avg=${fmt(x.avg)} sma10=${fmt(x.sma_10)} sma60=${fmt(x.sma_60)} bb=[${fmt(x.bb_bot)}, ${fmt(x.bb_top)}] slope60=${fmt(x.slope_60)}`)].join('\n'),
      );
    });

  t.command('kpi')
    .description('one KPI tile per tag for a window (decisions.md, telemetry 3-5)')
    .option('--window <window>', `${WINDOWS.join('|')}`, '5m')
    .option('--now <time>', 'the instant the window ends at (default: now)')
    .action(async (o: { window: string; now?: string }) => {
      if (!isWindow(o.window)) ctx.fail(`--window must be one of ${WINDOWS.join(', ')} (got ${JSON.stringify(o.window)})`, 2);
      const now = time(ctx, 'now', o.now) ?? new Date().toISOString();
      const [st, Q] = await Promise.all([ctx.station(), queries()]);
      const r = await run(ctx, () => Q.kpi(st.dbs.pool('telemetry'), { window: o.window as (typeof WINDOWS)[number], now }));
      ctx.output(
        {
          bucket: r.bucket,
          tiles: r.tiles.map((x) => ({
            tag_name: x.tag_name,
            value: x.value,
            delta_pct: x.delta_pct,
            gauge_pct: x.gauge_pct,
            status_level: x.status_level,
            range_label: x.range_label,
            count: x.count,
            min: x.min,
            max: x.max,
            first: x.first,
            last: x.last,
            ts: x.ts,
          })),
        },
        () =>
          [`window ${r.window} (bucket ${r.bucket}) at ${r.now}`, ...r.tiles.map((x) => `${x.tag_name.padEnd(8)} ${x.value_s.padStart(10)} ${x.delta_s.padStart(8)} gauge ${fmt(x.gauge_pct, 1).padStart(5)}% status ${x.status_level ?? '-'} [${x.range_label ?? '-'}] n=${x.count}`)].join('\n'),
      );
    });

  t.command('comm')
    .description('30 × 24 hourly communication success (UTC) and outages of one tag')
    .requiredOption('--tag <tag>', 'tag name')
    .option('--start <date>', 'first day of the grid, YYYY-MM-DD (UTC; default: 29 days before today)')
    .option('--now <time>', 'hours that have not ended by then have no data (default: now)')
    .action(async (o: { tag: string; start?: string; now?: string }) => {
      const now = time(ctx, 'now', o.now) ?? new Date().toISOString();
      if (o.start !== undefined && !isIsoDate(o.start)) ctx.fail(`--start must be a date YYYY-MM-DD (got ${JSON.stringify(o.start)})`, 2);
      const start = o.start ?? (await import('./service')).defaultCommStart(now);
      const [st, Q] = await Promise.all([ctx.station(), queries()]);
      const q = st.dbs.pool('telemetry');
      const r = await run(ctx, async () => {
        await Q.assertKnownTag(q, o.tag);
        return Q.comm(q, { tag: o.tag, startDate: start, now });
      });
      ctx.output(
        {
          cells: r.cells.map((c) => ({ bucket_utc: c.bucket_utc, success_rate: c.success_rate, recv_msgs: c.recv_msgs, exp_msgs: c.exp_msgs, missing_msgs: c.missing_msgs })),
          outages: r.outages.map((x) => ({ start_ts_utc: x.start_ts_utc, end_ts_utc: x.end_ts_utc, hours: x.hours })),
        },
        () => {
          const data = r.cells.filter((c) => c.success_rate !== null);
          const avg = data.length ? data.reduce((s, c) => s + (c.success_rate ?? 0), 0) / data.length : null;
          return [
            `${r.tag_name} from ${r.start} (UTC), ${data.length}/720 hours with data, mean success ${avg === null ? '-' : `${(avg * 100).toFixed(2)}%`}, SLO crit ${r.slo_crit}${r.has_expectation ? '' : ' (defaults: no ingest_expectation)'}`,
            ...r.outages.map((x) => `outage ${x.start_ts_utc} .. ${x.end_ts_utc} (${x.hours} h)`),
          ].join('\n');
        },
      );
    });
}
