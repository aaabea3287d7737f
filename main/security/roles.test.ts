/**
 * Role refusals for every procedure (issue #17, "Done when"): a table generated from the whole contract — each
 * procedure called by each role (no session, viewer, worker, manager, admin) through a real host over a real
 * database. Below the procedure's role the answer is `unauthenticated` (no session, HTTP 401) or `forbidden`
 * (HTTP 403); at or above it is no refusal: the input (a bare number, which no procedure takes) is refused as
 * `validation` (HTTP 400), so the role check passed and no handler ran. A new procedure is in the table by itself.
 *
 * The contract could be wrong and the table would still agree with it, so ROLE_FLOORS pins each procedure's role
 * as reviewed: a procedure whose role is lowered below its floor fails here, and a new procedure needs its line
 * (raising a role needs no change).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../api/contract';
import { ROLES, roleAtLeast, type Access, type Role } from '../api/kit';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { startHost, type Host } from '../host/server';
import { createTestDb, type TestDb } from '../testing/db';

/** The reviewed least role of every procedure. Lowering one is a security decision: change it here too, on purpose. */
const ROLE_FLOORS: Record<string, Access> = {
// public
  'auth.login': 'public',
  'auth.logout': 'public',
  'auth.setup': 'public',
  'auth.status': 'public',
  'system.health': 'public',
  // viewer
  'auth.activity': 'viewer',
  'auth.reauth': 'viewer',
  'cylinders.defaults.list': 'viewer',
  'cylinders.detail': 'viewer',
  'cylinders.exceptions.list': 'viewer',
  'cylinders.export': 'viewer',
  'cylinders.filters': 'viewer',
  'cylinders.freshness': 'viewer',
  'cylinders.list': 'viewer',
  'cylinders.summary': 'viewer',
  'cylinders.valveGroups.list': 'viewer',
  'files.removals': 'viewer',
  'inspection.actions.pending': 'viewer',
  'inspection.config.get': 'viewer',
  'inspection.dashboard.defectRate': 'viewer',
  'inspection.dashboard.defectTypes': 'viewer',
  'inspection.dashboard.stats': 'viewer',
  'inspection.defectTypes.list': 'viewer',
  'inspection.deployments.list': 'viewer',
  'inspection.file.get': 'viewer',
  'inspection.guide.get': 'viewer',
  'inspection.images.list': 'viewer',
  'inspection.inspections.export': 'viewer',
  'inspection.inspections.get': 'viewer',
  'inspection.inspections.list': 'viewer',
  'inspection.inspectors.list': 'viewer',
  'inspection.manuals.get': 'viewer',
  'inspection.manuals.list': 'viewer',
  'inspection.models.status': 'viewer',
  'inspection.outbox.get': 'viewer',
  'inspection.products.get': 'viewer',
  'inspection.products.list': 'viewer',
  'inspection.queue.get': 'viewer',
  'inspection.watch.list': 'viewer',
  'jobs.list': 'viewer',
  'stations.list': 'viewer',
  'telemetry.comm': 'viewer',
  'telemetry.expectations.list': 'viewer',
  'telemetry.features': 'viewer',
  'telemetry.kpi': 'viewer',
  'telemetry.latest': 'viewer',
  'telemetry.predictions': 'viewer',
  'telemetry.qc.list': 'viewer',
  'telemetry.status': 'viewer',
  'telemetry.tags': 'viewer',
  'telemetry.tech': 'viewer',
  'telemetry.trend': 'viewer',
  // worker
  'inspection.actions.create': 'worker',
  'inspection.feedbacks.create': 'worker',
  'inspection.inspect': 'worker',
  // manager
  'admin.audit.list': 'manager',
  'cylinders.defaults.delete': 'manager',
  'cylinders.defaults.preview': 'manager',
  'cylinders.defaults.save': 'manager',
  'cylinders.exceptions.delete': 'manager',
  'cylinders.exceptions.save': 'manager',
  'cylinders.exceptions.update': 'manager',
  'cylinders.mappings.delete': 'manager',
  'cylinders.mappings.save': 'manager',
  'cylinders.sync': 'manager',
  'cylinders.valveGroups.delete': 'manager',
  'cylinders.valveGroups.save': 'manager',
  'files.space': 'manager',
  'inspection.bank.build': 'manager',
  'inspection.config.preview': 'manager',
  'inspection.config.setThresholds': 'manager',
  'inspection.defectTypes.create': 'manager',
  'inspection.defectTypes.update': 'manager',
  'inspection.images.add': 'manager',
  'inspection.images.setActive': 'manager',
  'inspection.manuals.create': 'manager',
  'inspection.manuals.delete': 'manager',
  'inspection.manuals.update': 'manager',
  'inspection.products.create': 'manager',
  'inspection.products.update': 'manager',
  'inspection.sections.create': 'manager',
  'inspection.sections.delete': 'manager',
  'inspection.sections.update': 'manager',
  'inspection.watch.remove': 'manager',
  'inspection.watch.set': 'manager',
  'jobs.cancel': 'manager',
  'telemetry.expectations.delete': 'manager',
  'telemetry.expectations.save': 'manager',
  'telemetry.qc.delete': 'manager',
  'telemetry.qc.save': 'manager',
  'telemetry.refresh': 'manager',
  // admin
  'admin.datasources.get': 'admin',
  'admin.datasources.set': 'admin',
  'admin.users.create': 'admin',
  'admin.users.list': 'admin',
  'admin.users.unlock': 'admin',
  'admin.users.update': 'admin',
  'files.retention.run': 'admin',
  'files.retention.set': 'admin',
  'stations.rename': 'admin',
};

const RANK: Access[] = ['public', ...ROLES];
const procedures = Object.entries(contract as Record<string, { role: Access }>).map(([name, spec]) => ({ name, role: spec.role }));

describe('role refusals over the whole contract', () => {
  let db: TestDb;
  let app: App;
  let host: Host;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-roles-'));
  const sessions: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(home) });
    host = await startHost({ app });
    for (const role of ROLES) {
      await app.services.auth.createUser({ username: `${role}r`, email: `${role}r@plant.example`, password: `${role}-roles-pass`, role });
      sessions[role] = (await app.services.auth.login(`${role}r`, `${role}-roles-pass`)).sessionId;
    }
  });
  afterAll(async () => {
    await host?.close();
    await app?.dispose();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('no procedure’s role is below its reviewed floor, and every procedure has one', () => {
    const lowered = procedures.filter((p) => p.name in ROLE_FLOORS && RANK.indexOf(p.role) < RANK.indexOf(ROLE_FLOORS[p.name])).map((p) => `${p.name}: ${p.role} < ${ROLE_FLOORS[p.name]}`);
    expect(lowered, 'roles lowered below their reviewed floor').toEqual([]);
    const missing = procedures.filter((p) => !(p.name in ROLE_FLOORS)).map((p) => `'${p.name}': '${p.role}',`);
    expect(missing, 'new procedures: review their role and add these lines to ROLE_FLOORS').toEqual([]);
  });

  it(`calls each of the ${procedures.length} procedures as each role: refused below its role, never refused at or above`, async () => {
    const who: (Role | 'none')[] = ['none', ...ROLES];
    const calls = procedures.flatMap((p) => who.map((w) => ({ ...p, who: w })));
    const wrong: string[] = [];
    for (let i = 0; i < calls.length; i += 25) {
      await Promise.all(
        calls.slice(i, i + 25).map(async (c) => {
          const res = await fetch(`${host.url}/api/call/${encodeURIComponent(c.name)}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json', ...(c.who === 'none' ? {} : { 'x-linedeck-session': sessions[c.who]! }) },
            body: '42',
          });
          const env = (await res.json()) as { ok: boolean; error?: { kind: string } };
          const allowed = roleAtLeast(c.who === 'none' ? undefined : c.who, c.role);
          const want = allowed ? ['validation', 400] : c.who === 'none' ? ['unauthenticated', 401] : ['forbidden', 403];
          const got = [env.ok ? 'ok' : env.error?.kind, res.status];
          if (got[0] !== want[0] || got[1] !== want[1]) wrong.push(`${c.name} (${c.role}) as ${c.who}: ${got.join(' ')}, want ${want.join(' ')}`);
        }),
      );
    }
    expect(wrong).toEqual([]);
    // the sessions were only read: each is still live (nothing logged out or changed a user)
    for (const role of ROLES) expect(app.services.auth.sessions.get(sessions[role])?.role).toBe(role);
  });
});
