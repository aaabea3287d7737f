/** `linedeck doctor` checks of telemetry: TimescaleDB or plain mode, the derived relations and their freshness. */
import type { Databases } from '../db/pools';
import type { Check } from '../domain';
import { DERIVED_COLUMNS, DERIVED_RELATIONS } from './migrations';
import * as Q from './queries';
import { isTimescale } from './refresh';
import { pgTimestampToIso } from './rules';

/** `linedeck doctor`: timescaledb present? derived relations present (with their columns) and fresh? */
export async function telemetryDoctorChecks(dbs: Databases): Promise<Check[]> {
  const q = dbs.pool('telemetry');
  const checks: Check[] = [];
  const ts = await isTimescale(q);
  const ext = await Q.sql<{ v: string | null; avail: string | null }>(
    q,
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS v, (SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb') AS avail`,
  );
  checks.push({
    name: 'telemetry.timescaledb',
    ok: true,
    detail: ts
      ? `TimescaleDB ${ext[0].v}: influx_hist is a hypertable, aggregates are continuous aggregates with refresh policies`
      : ext[0].v
        ? `TimescaleDB ${ext[0].v} is installed but influx_hist is not a hypertable: plain PostgreSQL mode (the console refreshes the aggregates)`
        : `not installed${ext[0].avail ? ` (available ${ext[0].avail})` : ''}: plain PostgreSQL mode, the console refreshes the aggregates`,
  });
  const cols = await Q.sql<{ table_name: string; column_name: string }>(
    q,
    `SELECT c.relname AS table_name, a.attname AS column_name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [[...DERIVED_RELATIONS, 'influx_hist', 'influx_qc_rule', 'ingest_expectation', 'tl_derived']],
  );
  const have = new Map<string, Set<string>>();
  for (const c of cols) have.set(c.table_name, (have.get(c.table_name) ?? new Set()).add(c.column_name));
  const problems: string[] = [];
  for (const t of ['influx_hist', 'influx_qc_rule', 'ingest_expectation', 'tl_derived']) if (!have.has(t)) problems.push(`${t} missing`);
  for (const rel of DERIVED_RELATIONS) {
    const h = have.get(rel);
    if (!h) problems.push(`${rel} missing`);
    else {
      const missing = DERIVED_COLUMNS[rel].filter((c) => !h.has(c));
      if (missing.length) problems.push(`${rel} lacks ${missing.join(', ')}`);
    }
  }
  checks.push({
    name: 'telemetry.relations',
    ok: problems.length === 0,
    detail: problems.length ? `${problems.join('; ')}: run \`linedeck migrate\`` : `${DERIVED_RELATIONS.join(', ')} present`,
  });
  if (problems.length) return checks;

  const f = await Q.sql<{ newest: string | null; newest1m: string | null; expected1m: string | null; pending: number; oldest_pending: string | null; behind: boolean }>(
    q,
    `WITH n AS (SELECT max(ts) AS newest FROM public.influx_latest)
     SELECT n.newest,
            (SELECT max(bucket) FROM public.influx_agg_1m WHERE bucket >= n.newest - interval '1 day') AS newest1m,
            date_bin('1 minute', n.newest, timestamptz '2000-01-03 00:00:00+00') AS expected1m,
            (SELECT count(*)::bigint FROM public.tl_invalidation) AS pending,
            (SELECT min(logged_at) FROM public.tl_invalidation) AS oldest_pending,
            COALESCE((SELECT min(logged_at) FROM public.tl_invalidation) < now() - interval '10 minutes', false) AS behind
     FROM n`,
  );
  const r = f[0];
  const iso = (v: string | null) => (v ? pgTimestampToIso(v) : '-');
  const fresh = r.newest === null || (r.newest1m !== null && Date.parse(pgTimestampToIso(r.newest1m)) >= Date.parse(pgTimestampToIso(r.expected1m!)));
  const ok = fresh && !r.behind;
  checks.push({
    name: 'telemetry.freshness',
    ok,
    detail:
      r.newest === null
        ? 'no telemetry yet'
        : ok
          ? `up to date: newest sample ${iso(r.newest)} is in influx_agg_1m${r.pending ? ` (${r.pending} change(s) queued for the scheduler)` : ''}`
          : `behind: newest sample ${iso(r.newest)}, newest 1-minute bucket ${iso(r.newest1m)}${r.pending ? `, ${r.pending} change(s) waiting since ${iso(r.oldest_pending)}` : ''}: run \`linedeck telemetry refresh\` (or start the app, whose scheduler refreshes them)`,
  });
  return checks;
}
