/**
 * Live telemetry for demos: every `intervalMs` (10 s, like the plant's Node-RED feed) appends one sample per demo
 * tag at the current 10-second slot, with the same values the bulk seed would have written (demo.ts), refreshes
 * the aggregates the sample touched, and emits `telemetry.appended`. The caller keeps the handle's stop.
 */
import type { AppServices } from '../domain';
import { log } from '../log';
import { DEMO_TAGS, demoRowsSql } from './demo';
import { pgTimestampToIso } from './rules';
import { sql } from './queries';
import type { TelemetryService } from './service';

export interface SimulatorOptions {
  intervalMs?: number;
}

export interface SimulatorHandle {
  /** appends the current slot now (also what every tick does); resolves to the rows written */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

export function startTelemetrySimulator(services: Pick<AppServices, 'dbs' | 'bus'>, svc: TelemetryService, opts: SimulatorOptions = {}): SimulatorHandle {
  const intervalMs = opts.intervalMs ?? 10_000;
  if (!(intervalMs >= 100)) throw new Error(`intervalMs must be at least 100 (got ${intervalMs})`);
  const logger = log('telemetry');
  const pool = services.dbs.pool('telemetry', 'job');
  let running: Promise<number> | undefined;
  let stopped = false;

  const tick = (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      try {
        const now = Date.now();
        // The slot "now" on the 10-second grid; far-from-seed events (network drop, dead sensor) never match it.
        const rows = await sql<{ ts: string; tag_name: string }>(
          pool,
          `INSERT INTO public.influx_hist (ts, tag_name, value, qc, meta)
           SELECT r.ts, r.tag_name, r.value, 0, '{"src":"simulator"}'::jsonb FROM (
             ${demoRowsSql(`(SELECT date_bin('10 seconds', $1::timestamptz, timestamptz '2000-01-03 00:00:00+00') AS slot) AS s`)}
           ) r
           ON CONFLICT (ts, tag_name) DO NOTHING
           RETURNING ts, tag_name`,
          [new Date(now).toISOString(), '1970-01-01T00:00:00Z'],
        );
        if (rows.length) {
          // plain PostgreSQL: what the insert logged; TimescaleDB: real-time aggregates, only the console's tables
          if ((await svc.mode()) === 'timescaledb') await svc.refresh({ from: new Date(now - 60_000).toISOString(), to: new Date(now + 60_000).toISOString(), tablesOnly: true }, { quiet: true });
          else await svc.refresh({}, { quiet: true });
          const lastTs = rows.map((r) => pgTimestampToIso(r.ts)).sort().pop()!;
          services.bus.emit('telemetry.appended', { tags: [...new Set(rows.map((r) => r.tag_name))].sort(), lastTs });
        }
        return rows.length;
      } catch (e) {
        logger.warn({ event: 'simulator_failed', err: (e as Error).message }, 'telemetry simulator tick failed');
        return 0;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, intervalMs);
  timer.unref?.();
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
  logger.info({ intervalMs, tags: DEMO_TAGS.map((t) => t.tag) }, 'telemetry simulator started');
  return { tick, stop };
}
