/**
 * Events by session and role (issue #17 item 8: "events are broadcast to logged-out windows and token-only
 * WebSocket clients"), on a real host over a real database with real WebSocket clients: a socket that holds only
 * the host token, one that says it is logged out and one that names no live session get nothing; a socket of each
 * role gets exactly the events its role may read (main/api/audience.ts, from the contract's roles), `db.status`
 * without the drivers' error texts; after a logout or the end of a session nothing more is sent. The desktop app's
 * path (the backend names the sessions, Electron main delivers to the windows holding one) is checked on the same
 * sessions with eventAudience and deliverToWindow.
 *
 * A socket that gets nothing cannot say so by itself: at the end of a round each socket is bound to a live admin
 * session and a marker event is sent until it arrives; what came before the marker is what the socket got.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EVENT_READS, eventAudience, eventRole } from '../api/audience';
import { contract } from '../api/contract';
import type { ApiEvents, EventName } from '../api/events';
import { ROLES, roleAtLeast, type Access, type Role } from '../api/kit';
import { createApp, type App } from '../app';
import { deliverToWindow } from '../backend/relay';
import { stationPaths } from '../config';
import { startHost, type Host } from '../host/server';
import { SOURCE_DOWN } from '../system/health';
import { createTestDb, type TestDb } from '../testing/db';

type BusEvent = Exclude<EventName, 'backend.status'>;
const AT = '2026-12-07T08:00:00.000Z';
/** One payload of every event the bus carries (a new event fails the typecheck here until it has one). */
const SAMPLE_PAYLOADS = {
  'db.status': { sources: [{ source: 'telemetry', ok: false, error: 'cannot connect to 10.20.30.40:5432 as plant_reader: connection refused' }], embedded: false, at: AT },
  'job.progress': { jobId: 'job-1', kind: 'bank', progress: 0.5, state: 'running' as const, message: 'scoring 6/12' },
  'telemetry.appended': { tags: ['D100'], lastTs: AT },
  'inspection.completed': { inspectionId: 7, inspectionCode: 'INS-7', productCode: 'P-1', source: 'station', defectDetected: true },
  'inspection.stored': { clientUuid: '00000000-0000-4000-8000-000000000007', inspectionId: 7, inspectionCode: 'INS-7' },
  'inspection.queue': { running: true, folders: 1, pending: [], processing: null, processed: 3, failed: 0, last: null, at: AT },
  'outbox.depth': { depth: 2, databaseAway: null },
  'inspection.drawn': {
    clientUuid: '00000000-0000-4000-8000-000000000007',
    artifacts: { original: 'ab/cd/o.png', heatmap: 'ab/cd/h.png', mask: null, overlay: null, comparison: null, anomalyMap: null },
  },
};
const SAMPLES: { [E in BusEvent]: ApiEvents[E] } = SAMPLE_PAYLOADS;
const BUS_EVENTS = Object.keys(SAMPLES) as BusEvent[];
const MARK = 'marker-';

type Msg = { event: string; payload: unknown };

describe('events reach live sessions only, by role', () => {
  let db: TestDb;
  let app: App;
  let host: Host;
  let now = Date.parse('2026-12-07T08:00:00Z');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-sec-events-'));
  const sockets: WebSocket[] = [];
  let marks = 0;

  const login = async (role: Role) => (await app.services.auth.login(`${role}e`, `${role}-events-pass`)).sessionId;

  class Client {
    got: Msg[] = [];
    constructor(
      readonly label: string,
      readonly ws: WebSocket,
    ) {
      ws.on('message', (m) => this.got.push(JSON.parse(String(m))));
    }
    static async open(label: string, session?: string | null): Promise<Client> {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
      sockets.push(ws);
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const c = new Client(label, ws);
      if (session !== undefined) c.bind(session);
      return c;
    }
    bind(session: string | null) {
      this.ws.send(JSON.stringify({ session }));
    }
    /**
     * Binds the socket to `session` (a live one) if given, then sends marker events until one arrives; returns the
     * (non-marker) events that came before it and forgets them.
     */
    async settle(session?: string): Promise<Msg[]> {
      if (session) this.bind(session);
      const tag = `${MARK}${++marks}`;
      const deadline = Date.now() + 5000;
      const seen = () => this.got.findIndex((m) => m.event === 'telemetry.appended' && (m.payload as { tags: string[] }).tags[0] === tag);
      while (seen() < 0) {
        if (Date.now() > deadline) throw new Error(`${this.label}: the marker did not arrive`);
        app.services.bus.emit('telemetry.appended', { tags: [tag], lastTs: AT });
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = this.got.slice(0, seen());
      this.got = [];
      return before.filter((m) => !(m.event === 'telemetry.appended' && String((m.payload as { tags: string[] }).tags[0]).startsWith(MARK)));
    }
  }

  const emitAll = () => {
    for (const e of BUS_EVENTS) app.services.bus.emit(e, SAMPLES[e] as never);
  };

  beforeAll(async () => {
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(home), auth: { clock: () => now } });
    host = await startHost({ app });
    for (const role of ROLES) await app.services.auth.createUser({ username: `${role}e`, email: `${role}e@plant.example`, password: `${role}-events-pass`, role });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await host?.close();
    await app?.dispose();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('every bus event has a reading procedure in the contract, and none goes to a socket without a session', () => {
    for (const e of BUS_EVENTS) {
      const read = EVENT_READS[e];
      expect(read, e).not.toBeNull();
      expect(contract[read!], e).toBeDefined();
      expect(eventRole(e), e).toBe(contract[read!].role === 'public' ? 'viewer' : contract[read!].role);
    }
    expect(eventRole('backend.status')).toBeUndefined();
    expect(eventRole('no.such.event')).toBeUndefined();
    expect(eventRole('__proto__')).toBeUndefined();
  });

  it('sends each role exactly what it may read; nothing to a token-only, logged-out or forged socket; db.status without error texts', async () => {
    const sessions = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await login(r)] as const))) as Record<Role, string>;
    const barrier = await login('admin');
    const anon = [await Client.open('token only'), await Client.open('logged out', null), await Client.open('forged session', 'not-a-session-id')];
    const byRole = await Promise.all(ROLES.map((r) => Client.open(r, sessions[r])));
    for (const c of byRole) await c.settle(); // bound and receiving
    emitAll();
    for (const c of anon) expect(await c.settle(barrier), c.label).toEqual([]);
    for (const [i, c] of byRole.entries()) {
      const got = await c.settle();
      const want = BUS_EVENTS.filter((e) => roleAtLeast(ROLES[i], eventRole(e)!));
      expect(got.map((m) => m.event), c.label).toEqual(want);
      const db = got.find((m) => m.event === 'db.status');
      if (db) {
        expect(db.payload).toEqual({ ...SAMPLES['db.status'], sources: [{ source: 'telemetry', ok: false, error: SOURCE_DOWN }] });
        expect(JSON.stringify(db.payload)).not.toMatch(/10\.20\.30\.40|plant_reader|refused/);
      }
    }
  });

  it('follows the contract: raising the reading procedure’s role keeps the event from the roles below (jobs.list → manager)', async () => {
    const spec = contract['jobs.list'] as { role: Access };
    const was = spec.role;
    const worker = await Client.open('worker', await login('worker'));
    const manager = await Client.open('manager', await login('manager'));
    await worker.settle();
    await manager.settle();
    spec.role = 'manager';
    try {
      app.services.bus.emit('job.progress', SAMPLES['job.progress']);
      expect(await worker.settle()).toEqual([]);
      expect((await manager.settle()).map((m) => m.event)).toEqual(['job.progress']);
    } finally {
      spec.role = was;
    }
    app.services.bus.emit('job.progress', SAMPLES['job.progress']);
    expect((await worker.settle()).map((m) => m.event)).toEqual(['job.progress']);
  });

  it('sends nothing more after a logout (over the host) or after the session’s lifetime', async () => {
    const viewerSid = await login('viewer');
    const workerSid = await login('worker');
    const viewer = await Client.open('viewer', viewerSid);
    const worker = await Client.open('worker', workerSid);
    await viewer.settle();
    await worker.settle();
    const out = await fetch(`${host.url}/api/call/auth.logout`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'x-linedeck-session': viewerSid }, body: '{}' });
    expect(await out.json()).toEqual({ ok: true, value: { ok: true } });
    emitAll();
    expect((await worker.settle()).map((m) => m.event)).toEqual(BUS_EVENTS);
    expect(await viewer.settle(await login('admin')), 'after logout').toEqual([]);

    // the worker's shift ends: its session expires though the socket stays open
    now += app.services.auth.sessions.opts.lifetimeMs + 60_000;
    emitAll();
    expect(await worker.settle(await login('admin')), 'after expiry').toEqual([]);
  });

  it('the desktop app’s path: the backend names the live sessions that may receive, a window without one gets nothing', async () => {
    const sids = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await login(r)] as const))) as Record<Role, string>;
    const store = app.services.auth.sessions;
    for (const e of BUS_EVENTS) {
      const a = eventAudience(store, e, SAMPLES[e])!;
      for (const r of ROLES) {
        expect(a.sessionIds.includes(sids[r]), `${e} → ${r}`).toBe(roleAtLeast(r, eventRole(e)!));
        expect(deliverToWindow(e, a.sessionIds, sids[r])).toBe(roleAtLeast(r, eventRole(e)!));
      }
      expect(deliverToWindow(e, a.sessionIds, undefined), `${e} → logged-out window`).toBe(false);
      expect(deliverToWindow(e, a.sessionIds, 'not-a-session'), `${e} → unknown session`).toBe(false);
    }
    expect(JSON.stringify(eventAudience(store, 'db.status', SAMPLES['db.status'])!.payload)).not.toContain('10.20.30.40');
    expect(eventAudience(store, 'no.such.event', {})).toBeUndefined();
    // the shell's own status goes to every window, logged in or not
    expect(deliverToWindow('backend.status', [], undefined)).toBe(true);
    // a logout or the end of the session takes the session out of every audience
    store.drop(sids.admin);
    expect(eventAudience(store, 'job.progress', SAMPLES['job.progress'])!.sessionIds).not.toContain(sids.admin);
    now += store.opts.lifetimeMs + 60_000;
    expect(eventAudience(store, 'job.progress', SAMPLES['job.progress'])!.sessionIds).toEqual([]);
  });
});
