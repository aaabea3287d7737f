/**
 * A station killed with SIGKILL at random moments during 50 inspections and started again: every inspection whose
 * verdict was answered is stored exactly once (issue "Plant deployment"). The station is a real process
 * (testing/kill-station.ts) on the run's PostgreSQL; the kills fall anywhere: while scoring, while journaling,
 * while forwarding, between a commit and the journal entry's removal.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { EventBus } from '../events';
import { createTestDb, type TestDb } from '../testing/db';
import { createInspectionRuntime } from './runtime';
import { generateImage } from './synth/generate';

const here = path.dirname(fileURLToPath(import.meta.url));

const STATION = path.join(here, 'testing/kill-station.ts');
const TOTAL = 50;

function run(args: string[], killAfterMs: number | null): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    // node itself with tsx's loader: the kill hits the station, not a launcher that would leave it running
    const child = spawn(process.execPath, ['--import', 'tsx', STATION, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    let timer: NodeJS.Timeout | null = null;
    // the kill clock starts when the station is up (its first line), so kills land in the work, not in start-up
    const arm = () => {
      if (killAfterMs != null && !timer && out.includes('START')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    child.stdout.on('data', arm);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const lines = out.split('\n').filter(Boolean);
      if (signal === 'SIGKILL') resolve({ lines, killed: true });
      else if (code === 0) resolve({ lines, killed: false });
      else reject(new Error(`station exited ${code}: ${out}\n${err}`));
    });
  });
}

describe('a station killed at random moments', () => {
  let db: TestDb;
  let home: string;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-kill-'));
    const services = { dbs: db.dbs, paths: stationPaths(home), bus: new EventBus(), disposers: [] as (() => Promise<void> | void)[] };
    const rt = createInspectionRuntime(services);
    await rt.svc.createProduct({ productCode: 'KILL-1', productName: '강제 종료 시험', description: null, category: null } as never);
    const normals = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'kill-bank', index: i, size: 128 })).png));
    await rt.pipeline.buildBank('KILL-1', { images: normals.map((bytes, i) => ({ bytes, fileName: `n${i}.png` })) });
    for (const d of services.disposers.reverse()) await d();
  }, 240_000);

  afterAll(async () => {
    await db?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('stores every inspection whose verdict was answered exactly once', async () => {
    const answered = new Map<number, string>();
    let kills = 0;
    // seeded kill moments, so a failure can be replayed
    let seed = 20261207;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    while (answered.size < TOTAL) {
      const next = answered.size ? Math.max(...answered.keys()) + 1 : 0;
      const r = await run([home, db.url, 'KILL-1', String(next), String(TOTAL - next)], kills < 12 ? 150 + Math.round(rand() * 1800) : null);
      if (r.killed) kills++;
      for (const line of r.lines) {
        const m = /^VERDICT (\d+) ([0-9a-f-]{36})$/.exec(line);
        if (m) answered.set(Number(m[1]), m[2]);
      }
    }
    // a last start forwards whatever the kills left in the outbox
    const last = await run([home, db.url, 'KILL-1', String(TOTAL), '0'], null);
    expect(last.lines).toContain('DONE');
    expect(kills).toBeGreaterThanOrEqual(5);

    const rows = await db.pool.query<{ client_uuid: string; n: number }>('select client_uuid, count(*)::int as n from inspections group by client_uuid');
    const stored = new Map(rows.rows.map((r) => [r.client_uuid, r.n]));
    const missing = [...answered.values()].filter((u) => !stored.has(u));
    expect(missing).toEqual([]);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    // the codes are distinct and every row has its result
    const codes = await db.pool.query<{ n: number; codes: number; results: number }>(
      'select count(*)::int as n, count(distinct inspection_code)::int as codes, (select count(*)::int from inspection_results) as results from inspections',
    );
    expect(codes.rows[0].n).toBe(codes.rows[0].codes);
    expect(codes.rows[0].results).toBe(codes.rows[0].n);
    // nothing is left in the outbox, nothing was set aside
    expect(fs.readdirSync(path.join(home, 'outbox')).filter((f) => f.endsWith('.ldj'))).toEqual([]);
    const refused = path.join(home, 'outbox', 'refused');
    const reasons = fs.existsSync(refused) ? fs.readdirSync(refused).filter((f) => f.endsWith('.txt')).map((f) => fs.readFileSync(path.join(refused, f), 'utf8')) : [];
    expect(reasons).toEqual([]);
    console.log(`${kills} kills; ${answered.size} verdicts answered; ${stored.size} inspections stored`);
  }, 600_000);
});
