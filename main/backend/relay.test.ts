/**
 * The relay protocol in Node: the backend entry forked as a child process (the Electron binary is not here; Node's
 * fork with the 'advanced' serialization clones messages the way utilityProcess ports do), driven through the
 * supervisor Electron main uses, against a real database.
 */
import { readSetupCode } from '../system/setup-code';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { RelayClient, type BackendStatus, type FromBackend, type RelayPort, type ToBackend } from './relay';
import { BackendSupervisor, nodeBackendChild } from './supervisor';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = path.join(root, 'main', 'backend', 'entry.ts');

/** Waits until `pred` holds (polling), or fails after `ms`. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('relay client (no process)', () => {
  const fakePort = () => {
    const sent: ToBackend[] = [];
    let deliver: (m: FromBackend) => void = () => undefined;
    const port: RelayPort<FromBackend, ToBackend> = {
      post: (m) => void sent.push(m),
      onMessage: (fn) => {
        deliver = fn;
        return () => (deliver = () => undefined);
      },
    };
    return { port, sent, deliver: (m: FromBackend) => deliver(m) };
  };

  it('matches replies by id, times out a silent call, fails what waits when the process dies', async () => {
    const f = fakePort();
    const c = new RelayClient(f.port, { timeoutMs: 150 });
    const a = c.call('a', {});
    const b = c.call('b', {});
    const [ida, idb] = f.sent.map((m) => (m as { id: number }).id);
    f.deliver({ t: 'result', id: idb, envelope: { ok: true, value: 'B' } });
    f.deliver({ t: 'result', id: ida, envelope: { ok: true, value: 'A' } });
    expect(await a).toEqual({ ok: true, value: 'A' });
    expect(await b).toEqual({ ok: true, value: 'B' });
    expect(await c.call('silent', {})).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    const waiting = c.call('c', {});
    expect(c.inFlight).toBe(1);
    c.fail('unavailable', 'gone');
    expect(await waiting).toEqual({ ok: false, error: { kind: 'unavailable', message: 'gone' } });
    expect(await c.call('after', {})).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
  });

  it('answers the backend’s secret requests with the shell’s codec', async () => {
    const f = fakePort();
    new RelayClient(f.port, { onSecret: (op, v) => (op === 'encrypt' ? `sealed(${v})` : v.slice(7, -1)) });
    f.deliver({ t: 'secret', id: 7, op: 'encrypt', value: 'x' });
    await until(() => f.sent.length === 1, 1000, 'the reply');
    expect(f.sent[0]).toEqual({ t: 'secret-reply', id: 7, value: 'sealed(x)' });
  });
});

describe('supervisor (fake processes)', () => {
  it('restarts a backend that keeps dying with a back-off, then gives up and says so', async () => {
    const statuses: BackendStatus[] = [];
    let spawned = 0;
    const sup = new BackendSupervisor({
      maxRestarts: 2,
      backoffMs: (n) => n * 10,
      onStatus: (s) => statuses.push(s),
      spawn: () => {
        spawned++;
        let deliver: (m: FromBackend) => void = () => undefined;
        let exit: (code: number | null, signal: string | null) => void = () => undefined;
        setTimeout(() => deliver({ t: 'ready', pid: spawned, home: '/x' }), 5);
        setTimeout(() => exit(null, 'SIGSEGV'), 20);
        return {
          port: { post: () => undefined, onMessage: (fn) => ((deliver = fn), () => undefined) },
          onExit: (fn) => void (exit = fn),
          kill: () => exit(null, 'SIGKILL'),
        };
      },
    });
    await sup.start();
    await until(() => sup.status.state === 'failed', 2000, 'failed');
    expect(spawned).toBe(3);
    expect(statuses.map((s) => `${s.state}:${s.restarts}`)).toEqual(['starting:0', 'ready:0', 'restarting:1', 'ready:1', 'restarting:2', 'ready:2', 'failed:2']);
    expect(statuses.at(-1)!.message).toContain('SIGSEGV');
    expect(await sup.call('system.health', {})).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
  });
});

describe('supervisor stopped during the first boot', () => {
  it('settles start() with an error instead of leaving it waiting forever', async () => {
    const sup = new BackendSupervisor({
      spawn: () => {
        const onExit: ((code: number | null, signal: string | null) => void)[] = [];
        const exit = (code: number | null, signal: string | null) => onExit.splice(0).forEach((fn) => fn(code, signal));
        // never ready; a stop request ends it
        return {
          port: { post: (m) => void (m.t === 'stop' && setTimeout(() => exit(0, null), 5)), onMessage: () => () => undefined },
          onExit: (fn) => void onExit.push(fn),
          kill: () => exit(null, 'SIGKILL'),
        };
      },
    });
    const started = sup.start();
    await sup.stop(1000);
    await expect(started).rejects.toThrow('stopped before its backend was ready');
    expect(sup.status.state).toBe('stopped');
  });
});

describe('backend process over the relay', () => {
  let db: TestDb;
  let home: string;
  let sup: BackendSupervisor;
  const statuses: BackendStatus[] = [];
  const events: { event: string; payload: unknown }[] = [];
  const progress: string[] = [];
  const secretOps: string[] = [];
  let stderr = '';

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-backend-'));
    sup = new BackendSupervisor({
      spawn: () => {
        const cp = fork(entry, ['--home', home, '--database-url', db.url, '--no-seed', '--no-background', '--secrets', 'relay'], {
          cwd: root,
          execArgv: ['--import', 'tsx'],
          serialization: 'advanced',
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
          env: { ...process.env, LINEDECK_LOG_LEVEL: 'warn' },
        });
        cp.stderr!.on('data', (d) => (stderr += d));
        return nodeBackendChild(cp);
      },
      backoffMs: () => 100,
      onStatus: (s) => statuses.push(s),
      onEvent: (event, payload) => events.push({ event, payload }),
      onProgress: (m) => progress.push(m),
      // a stand-in for safeStorage: reversible, visibly not the plain value
      onSecret: (op, v) => {
        secretOps.push(op);
        return op === 'encrypt' ? Buffer.from(v).toString('base64') : Buffer.from(v, 'base64').toString();
      },
    });
    try {
      await sup.start();
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    }
  }, 120_000);

  afterAll(async () => {
    await sup?.stop();
    await db?.drop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('boots with progress, answers calls with sessions, pushes events, seals secrets through the shell', async () => {
    expect(statuses[0]).toEqual({ state: 'starting', restarts: 0 });
    expect(sup.status.state).toBe('ready');
    expect(progress).toContain('데이터베이스 구조 갱신 중… (migrating…)');
    expect(await sup.call('auth.status', {})).toEqual({ ok: true, value: { needsSetup: true, user: null, demo: false, setupCode: null } });
    expect(await sup.call('admin.users.list', {})).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    // the boot wrote the station's setup code (a production start)
    const setup = await sup.call('auth.setup', { username: 'relayadmin', password: 'relay-admin-pass', email: 'relay@plant.example', setupCode: readSetupCode({ home }) });
    expect(setup.ok).toBe(true);
    const sessionId = (setup as { value: { sessionId: string } }).value.sessionId;
    expect(await sup.call('system.health', {})).toMatchObject({ ok: true, value: { version: expect.any(String) } });
    expect(await sup.call('admin.users.list', {}, sessionId)).toMatchObject({ ok: true, value: [{ username: 'relayadmin' }] });
    // the database monitor pushes db.status once the station is up
    await until(() => events.some((e) => e.event === 'db.status'), 15_000, 'a db.status event');
    // Admin → data sources: the URL is sealed by the shell's codec (the backend has none of its own)
    const set = await sup.call('admin.datasources.set', { databaseUrl: db.url }, sessionId);
    expect(set.ok, JSON.stringify(set)).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(home, 'config.json'), 'utf8'));
    expect(cfg.databaseUrl).toBe(`enc:${Buffer.from(db.url).toString('base64')}`);
    expect(secretOps).toContain('encrypt');
    // a logout drops the session in the backend
    const other = (await sup.call('auth.login', { username: 'relayadmin', password: 'relay-admin-pass' })) as { value: { sessionId: string } };
    expect((await sup.call('auth.logout', {}, other.value.sessionId)).ok).toBe(true);
    expect(await sup.call('admin.users.list', {}, other.value.sessionId)).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
  }, 60_000);

  it('fails calls in flight with unavailable when the process dies, restarts it, and the old session is gone', async () => {
    const login = (await sup.call('auth.login', { username: 'relayadmin', password: 'relay-admin-pass' })) as { value: { sessionId: string } };
    const sessionId = login.value.sessionId;
    const pid = sup.pid!;
    const generation = sup.generation;
    const inFlight = [sup.call('admin.users.list', {}, sessionId), sup.call('auth.status', {})];
    process.kill(pid, 'SIGKILL');
    for (const r of await Promise.all(inFlight)) expect(r).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    // while it restarts, calls are refused as unavailable too
    await until(() => statuses.some((s) => s.state === 'restarting'), 5000, 'restarting');
    expect(statuses.find((s) => s.state === 'restarting')).toMatchObject({ restarts: 1, message: expect.stringContaining('SIGKILL') });
    await until(() => sup.status.state === 'ready', 90_000, `the restarted backend\n${stderr}`);
    expect(sup.status).toEqual({ state: 'ready', restarts: 1 });
    expect(sup.pid).not.toBe(pid);
    expect(sup.generation).toBe(generation + 1);
    // the restarted backend opened config.json's sealed URL through the shell
    expect(secretOps).toContain('decrypt');
    // sessions lived in the dead process: the window's next call answers unauthenticated and it goes to login
    expect(await sup.call('admin.users.list', {}, sessionId)).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    const again = await sup.call('auth.login', { username: 'relayadmin', password: 'relay-admin-pass' });
    expect(again.ok).toBe(true);
  }, 120_000);

  it('reports a first start that fails to the caller (Electron shows it) instead of restarting', async () => {
    // an unreachable database no longer fails a start (the station inspects into its outbox); a damaged config does
    const brokenHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-backend-broken-'));
    fs.writeFileSync(path.join(brokenHome, 'config.json'), '{ not json');
    const broken = new BackendSupervisor({
      spawn: () =>
        nodeBackendChild(
          fork(entry, ['--home', brokenHome, '--database-url', 'postgresql://nobody@127.0.0.1:1/none'], { cwd: root, execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...process.env, LINEDECK_LOG_LEVEL: 'silent' } }),
        ),
    });
    await expect(broken.start()).rejects.toThrow(/config\.json.*not valid JSON/i);
    expect(broken.status.state).toBe('starting');
    await broken.stop();
    fs.rmSync(brokenHome, { recursive: true, force: true });
  }, 60_000);
});
