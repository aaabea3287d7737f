/**
 * The first start of a demo station (issue #18 "first start ≤ 45 s, with a progress bar"): the seed does what the
 * screens open on (the newest two telemetry days, cylinders, inspection) while the start's progress climbs to 1,
 * then the older telemetry days fill in as one background job (`demo.backfill`) that the console sees; a station
 * stopped before it is done goes on at its next start. Real embedded PostgreSQL, real models.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../api/events';
import { bootStation } from '../boot';
import { CLI_USER } from '../domain';
import { DEMO_TAGS, pendingTelemetryBackfill } from '../telemetry/demo';

const homes: string[] = [];
const prevDays = process.env.LINEDECK_DEMO_TELEMETRY_DAYS;
afterAll(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  if (prevDays === undefined) delete process.env.LINEDECK_DEMO_TELEMETRY_DAYS;
  else process.env.LINEDECK_DEMO_TELEMETRY_DAYS = prevDays;
});

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('first start of a demo station', () => {
  it('seeds the recent days with a climbing progress bar, backfills the rest in the background, and resumes it after a stop', async () => {
    // 8 days: 2 at the start, 6 in the background (D201's dead hours, 4 days back, among them)
    process.env.LINEDECK_DEMO_TELEMETRY_DAYS = '8';
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-first-'));
    fs.chmodSync(home, 0o755);
    homes.push(home);
    const steps: { message: string; fraction?: number }[] = [];
    const first = await bootStation({ home, demo: true, onProgress: (message, fraction) => steps.push({ message, fraction }) });
    let pendingAtStop: { doneFrom: Date } | null;
    try {
      const known = steps.filter((s) => s.fraction !== undefined).map((s) => s.fraction!);
      expect(known[0]).toBe(0);
      expect(known.at(-1)).toBe(1);
      for (let i = 1; i < known.length; i++) expect(known[i], steps.map((s) => `${s.fraction} ${s.message}`).join('\n')).toBeGreaterThanOrEqual(known[i - 1]);
      expect(steps.some((s) => /텔레메트리: 2일/.test(s.message))).toBe(true);
      // the screens have their recent days at once; the rest is left, stopped here before it is done
      const pool = first.app.services.dbs.pool('telemetry', 'read');
      pendingAtStop = await pendingTelemetryBackfill(pool);
      expect(pendingAtStop).not.toBeNull();
    } finally {
      await first.close();
    }

    const second = await bootStation({ home, demo: true });
    try {
      const events: JobProgress[] = [];
      second.app.services.bus.on('job.progress', (p) => {
        if (p.kind === 'demo.backfill') events.push(p);
      });
      const pool = second.app.services.dbs.pool('telemetry', 'read');
      // a screen read while the older days fill in (the station's cache keeps it for minutes) ...
      const comm = { tag: 'D201', startDate: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10) };
      const read = async () => ((await second.app.call('telemetry.comm', comm, { transport: 'cli', user: CLI_USER })) as { ok: boolean; value: { outages: { hours: number }[] } }).value;
      await read();
      // the console sees the job: jobs.list while it runs, progress events until it completes
      const listed = await until('the backfill in jobs.list', async () => {
        const r = (await second.app.call('jobs.list', {}, { transport: 'cli', user: CLI_USER })) as { ok: boolean; value: JobProgress[] };
        return r.value.find((j) => j.kind === 'demo.backfill') ?? (events.some((e) => e.state === 'completed') ? events[0] : undefined);
      });
      expect(listed.kind).toBe('demo.backfill');
      await until('the backfill to complete', async () => events.some((e) => e.state === 'completed'));
      expect(await pendingTelemetryBackfill(pool)).toBeNull();
      const running = events.filter((e) => e.state === 'running' && e.message);
      expect(running.at(-1)!.message).toMatch(/^job\.demoBackfill \{"i":\d+,"n":\d+\}$/);
      // 8 days of every tag but D201's 7 dead hours, the simulator's live rows apart
      const n = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.influx_hist WHERE meta->>'src' = 'demo'`);
      expect(n.rows[0].n).toBe(DEMO_TAGS.length * 8 * 8640 - 7 * 360);
      const dead = await pool.query(`SELECT 1 FROM public.anomalies WHERE tag_name = 'D201' AND level = 'comm'`);
      expect(dead.rowCount).toBe(1);
      // ... shows the backfilled days once it is done: D201's 7 dead hours are an outage on the heatmap (7 or 8
      // hourly cells: the first start's window does not end on the hour)
      expect((await read()).outages.map((o) => o.hours).filter((h) => h === 7 || h === 8)).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 400_000);
});
