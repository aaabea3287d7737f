/**
 * `linedeck doctor`: the checks an IT person runs on a station — databases, extensions, migrations, folders,
 * models — plus each domain's own (stale cylinder snapshot, telemetry aggregates behind, …).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Databases } from './db/pools';
import type { StationPaths } from './config';
import type { Check } from './domain';
import { migrateAll } from './migrations';
import { modules } from './modules';
import { modelsDir } from './resources';
import { APP_ROLE, connectionRole } from './db/roles';


export async function runDoctor(dbs: Databases, paths: StationPaths, embedded: boolean): Promise<Check[]> {
  const checks: Check[] = [];
  const health = await dbs.health();
  for (const h of health)
    checks.push({ name: `database.${h.source}`, ok: h.ok, detail: h.ok ? `${h.url} (${h.latencyMs} ms${embedded ? ', embedded' : ''})` : `${h.url}: ${h.error}` });
  if (health.every((h) => h.ok)) {
    for (const { url, sources } of dbs.distinct()) {
      const pool = dbs.pool(sources[0]);
      const ext = await pool.query<{ name: string; installed: string | null; available: string }>(
        `select name, installed_version as installed, default_version as available from pg_available_extensions where name in ('timescaledb','vector')`,
      );
      const ver = (await pool.query<{ server_version: string }>('show server_version')).rows[0].server_version;
      checks.push({ name: `postgres.version[${sources.join(',')}]`, ok: Number.parseInt(ver, 10) >= 15, detail: `PostgreSQL ${ver}${Number.parseInt(ver, 10) >= 15 ? '' : ' (15 or newer needed)'}` });
      for (const want of ['timescaledb', 'vector']) {
        const e = ext.rows.find((r) => r.name === want);
        const label = want === 'vector' ? 'pgvector' : want;
        checks.push({
          name: `extension.${label}[${sources.join(',')}]`,
          ok: true,
          detail: e?.installed ? `installed ${e.installed}` : e ? `available ${e.available}, not installed` : `not available — ${want === 'timescaledb' ? 'plain PostgreSQL mode: the console refreshes the aggregates itself' : 'embeddings are compared in the console'}`,
        });
      }
      void url;
      // least privilege (db/roles.ts): the console should connect as linedeck_app, never as a superuser
      const who = await connectionRole(pool);
      const strong = who.superuser || who.createrole;
      checks.push({
        name: `database.role[${sources.join(',')}]`,
        ok: true,
        ...(strong ? { warn: true } : {}),
        detail: strong
          ? `the console connects as ${who.user}, a ${who.superuser ? 'superuser' : 'role that may create roles'}: connect as ${APP_ROLE} and give the owner's URL as migrateUrl (README "Security")`
          : `connects as ${who.user}${who.user === APP_ROLE ? '' : ` (not ${APP_ROLE}: check that it holds no more than the console needs)`}`,
      });
    }
    const pending = await migrateAll(dbs, { dryRun: true });
    checks.push({ name: 'migrations', ok: pending.pending === 0, detail: pending.pending === 0 ? 'up to date' : `${pending.pending} pending: run \`linedeck migrate\`` });
    for (const m of modules) {
      if (!m.doctor) continue;
      try {
        checks.push(...(await m.doctor(dbs, paths)));
      } catch (e) {
        checks.push({ name: `${m.name}.check`, ok: false, detail: (e as Error).message });
      }
    }
  }
  for (const [name, dir] of [['folder.home', paths.home], ['folder.images', paths.images], ['folder.logs', paths.logs]] as const) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
      checks.push({ name, ok: true, detail: `${dir} writable` });
    } catch (e) {
      checks.push({ name, ok: false, detail: `${dir}: ${(e as Error).message}` });
    }
  }
  checks.push(modelsCheck(modelsDir()));
  return checks;
}

/** The shipped models: at least one model folder, and every folder whole (the ONNX file its manifest names is there). */
export function modelsCheck(md: string): Check {
  const folders = fs.existsSync(md) ? fs.readdirSync(md).filter((d) => fs.existsSync(path.join(md, d, 'model.json'))) : [];
  // a model folder is whole when the ONNX file its manifest names is there (an installer that lost it must not pass)
  const incomplete = folders.flatMap((d) => {
    let file = 'model.onnx';
    try {
      file = (JSON.parse(fs.readFileSync(path.join(md, d, 'model.json'), 'utf8')) as { file?: string }).file ?? file;
    } catch {
      return [`${d} (model.json is not valid JSON)`];
    }
    return fs.existsSync(path.join(md, d, file)) ? [] : [`${d} (${file} is missing)`];
  });
  const models = folders.filter((d) => !incomplete.some((x) => x.startsWith(`${d} (`)));
  return {
    name: 'models',
    ok: models.length > 0 && incomplete.length === 0,
    detail: incomplete.length ? `${md}: incomplete: ${incomplete.join(', ')}` : models.length ? `${md}: ${models.join(', ')}` : `no model folders in ${md}: run \`npm run models:build\``,
  };
}
