import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseDependencyTree } from 'dpdm';
import { afterAll, describe, expect, it } from 'vitest';
import { modules } from '../modules';
import { createTestDb, type TestDb } from '../testing/db';
import { domainCommands } from './commands/domains';
import { runCli } from './index';

/** A command tree as commander holds it: names, descriptions, options, arguments, sub-commands. */
function shape(c: Command): unknown {
  return {
    name: c.name(),
    description: c.description(),
    options: c.options.map((o) => [o.flags, o.description, o.defaultValue, o.required, o.mandatory]),
    args: c.registeredArguments.map((a) => [a.name(), a.required, a.variadic]),
    commands: c.commands.map(shape),
  };
}

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('linedeck CLI start-up', () => {
  it('its table of domain commands is exactly the modules’ commands (main/modules.ts), by name and in order', () => {
    const stub = {} as never;
    const fromModules = new Command('linedeck');
    for (const m of modules) m.commands?.(fromModules, stub);
    const fromTable = new Command('linedeck');
    for (const register of Object.values(domainCommands)) register(fromTable, stub);
    expect(shape(fromTable)).toEqual(shape(fromModules));
    expect(Object.keys(domainCommands)).toEqual(modules.filter((m) => m.commands).map((m) => m.name));
  });

  it('parsing and --help load only commander: no service, database driver, ONNX Runtime, sharp or zod (static imports of bin.ts)', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const tree = await parseDependencyTree([path.join(root, 'main/cli/bin.ts')], {
      context: root,
      cwd: root,
      tsconfig: path.join(root, 'tsconfig.json'),
      transform: true, // type-only imports load nothing
      skipDynamicImports: true,
      extensions: ['.ts', '.mjs', '.js', '.json'],
    });
    const files = Object.keys(tree).filter((f) => tree[f] !== null);
    const packages = new Set(
      Object.values(tree)
        .flatMap((deps) => deps ?? [])
        .filter((d) => !d.request.startsWith('.'))
        .map((d) => d.request.replace(/^(@[^/]+\/[^/]+|[^/]+).*$/, '$1')),
    );
    expect([...packages].filter((p) => !p.startsWith('node:')).sort()).toEqual(['commander']);
    expect(files.filter((f) => /^main\/(app|modules|boot|migrations|config|log)\.ts$|^main\/db\/|\/(service|module|handlers|pipeline|runtime)\.ts$|\/engine\//.test(f))).toEqual([]);
  });

  it('--help prints the command table', async () => {
    let out = '';
    const code = await runCli(['--help'], { stdout: (s) => (out += s), stderr: () => undefined });
    expect(code).toBe(0);
    for (const c of ['migrate', 'doctor', 'demo', 'cylinders', 'telemetry', 'inspection', 'outbox', 'inspect', 'bank', 'ml', 'stations', 'files']) expect(out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });
});

describe('linedeck CLI', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it('migrate --json applies everything once, then reports nothing pending', async () => {
    const db = await createTestDb({ migrate: false });
    dbs.push(db);
    const first = await cli(['migrate', '--database-url', db.url, '--json']);
    expect(first.code).toBe(0);
    const j1 = JSON.parse(first.stdout);
    expect(j1.applied.length).toBeGreaterThan(0);
    expect(j1.pending).toBe(0);
    const second = await cli(['migrate', '--json'], { LINEDECK_DATABASE_URL: db.url });
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [], pending: 0 });
    expect(second.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('an unreachable database exits 1 with a one-line reason', async () => {
    const r = await cli(['migrate', '--database-url', 'postgresql://u:p@127.0.0.1:1/x', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot connect to 127.0.0.1:1: connection refused');
  });

  it('bad arguments exit 2 with a usage line', async () => {
    const r = await cli(['migrat']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'migrat'/);
    expect(r.stderr).toMatch(/Usage: linedeck/);
    const r2 = await cli(['doctor', '--bogus']);
    expect(r2.code).toBe(2);
  });

  it('doctor reports each check as JSON', async () => {
    const db = await createTestDb();
    dbs.push(db);
    const r = await cli(['doctor', '--database-url', db.url, '--json']);
    const j = JSON.parse(r.stdout);
    const byName = Object.fromEntries(j.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName['database.cylinders']).toMatchObject({ ok: true });
    expect(byName.migrations).toMatchObject({ ok: true, detail: 'up to date' });
    expect(Object.keys(byName).some((n) => n.startsWith('extension.timescaledb'))).toBe(true);
    expect(Object.keys(byName).some((n) => n.startsWith('extension.pgvector'))).toBe(true);
  });

  it('demo seed with no URL and an empty LINEDECK_HOME starts the embedded database and seeds it (a real process)', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-cli-home-'));
    try {
      // 3 days of telemetry instead of 35 keeps this under a minute; the e2e station seeds the full demo
      const env = { ...process.env, LINEDECK_HOME: home, LINEDECK_DATABASE_URL: '', LINEDECK_LOG_LEVEL: 'error', LINEDECK_DEMO_TELEMETRY_DAYS: '3' };
      delete (env as Record<string, string | undefined>).LINEDECK_DATABASE_URL;
      const tsx = path.resolve('node_modules/.bin/tsx');
      const out = execFileSync(tsx, ['main/cli/bin.ts', 'demo', 'seed', '--json'], { env, encoding: 'utf8', timeout: 600_000 });
      const j = JSON.parse(out);
      expect(j.seeded.users).toBe(4);
      expect(j.seeded.cylinders).toBeGreaterThanOrEqual(5000);
      // 3 days × 8 640 slots × 9 tags, less the demo's gaps (network drops, a dead sensor)
      expect(j.seeded.telemetry_rows).toBeGreaterThan(0.95 * 3 * 8640 * 9);
      expect(j.seeded.telemetry_rows).toBeLessThanOrEqual(3 * 8640 * 9 + 9);
      expect(j.seeded.inspection_products).toBe(3);
      expect(fs.existsSync(path.join(home, 'pgdata', 'PG_VERSION'))).toBe(true);
      // the server was ours: it is stopped again, and a second run is idempotent
      expect(fs.existsSync(path.join(home, 'pgdata', 'postmaster.pid'))).toBe(false);
      const again = JSON.parse(execFileSync(tsx, ['main/cli/bin.ts', 'demo', 'seed', '--json'], { env, encoding: 'utf8', timeout: 600_000 }));
      expect(again.seeded.users).toBe(0);
      expect(again.seeded.cylinders ?? 0).toBe(0);
      // telemetry tops up to now: only the 10-second slots since the first run (9 tags each) are new
      expect(again.seeded.telemetry_rows ?? 0).toBeLessThan(9 * 60);
      expect(again.seeded.inspection_products).toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 900_000);
});

// Debian's PostgreSQL 15 server, when installed (CI installs it): the acceptance check of issue 2.
const PG15 = '/usr/lib/postgresql/15/bin';
describe.runIf(fs.existsSync(path.join(PG15, 'postgres')))('on PostgreSQL 15', () => {
  it('migrate applies every migration on an empty PG 15 database, then nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-pg15-'));
    const asPg = (cmd: string, args: string[]) => {
      const isRoot = process.getuid?.() === 0;
      return isRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
    };
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
    fs.chmodSync(dir, 0o777);
    const data = path.join(dir, 'data');
    const init = asPg(path.join(PG15, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
    expect(init.status, init.stderr).toBe(0);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const start = asPg(path.join(PG15, 'pg_ctl'), ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-w', 'start', '-l', path.join(dir, 'log')]);
    expect(start.status, start.stderr + start.stdout).toBe(0);
    try {
      const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
      const r1 = await cli(['migrate', '--database-url', url, '--json']);
      expect(r1.code, r1.stderr).toBe(0);
      expect(JSON.parse(r1.stdout).applied.length).toBeGreaterThan(0);
      const r2 = await cli(['migrate', '--database-url', url, '--json']);
      expect(JSON.parse(r2.stdout)).toMatchObject({ applied: [], pending: 0 });
    } finally {
      asPg(path.join(PG15, 'pg_ctl'), ['-D', data, '-m', 'fast', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
