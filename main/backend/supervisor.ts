/**
 * Keeps the backend process running for a shell: starts it, relays calls (RelayClient), and when it dies
 * unexpectedly fails the calls in flight with `unavailable`, restarts it after a back-off (up to a limit) and says
 * so through `onStatus` (Electron main turns that into the windows' `backend.status` event). How a process is
 * started is given (`spawn`): Electron's utilityProcess in the app, Node's fork in the tests.
 * Sessions live in the backend's memory: a restarted backend knows none, so the next call of a logged-in window
 * answers `unauthenticated` and the window goes back to login.
 */
import type { Envelope } from '../api/kit';
import type { ChildProcess } from 'node:child_process';
import { nodeChannelPort, RelayClient, type BackendStatus, type FileBody, type FromBackend, type RelayPort, type SecretOp, type ToBackend } from './relay';

export interface BackendChild {
  port: RelayPort<FromBackend, ToBackend>;
  /** called once when the process has exited (code, or the signal that ended it) */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  pid?: number;
}

export interface SupervisorOptions {
  spawn(): BackendChild;
  /** restarts in a row (without a stable run between) before giving up (default 5) */
  maxRestarts?: number;
  /** a run that stays up this long resets the restart count (default 60 s) */
  stableMs?: number;
  /** wait before restart n (1-based) (default 0.5 s, 1 s, 2 s … up to 15 s) */
  backoffMs?(n: number): number;
  /** relay timeout of one call (RelayClient) */
  timeoutMs?: number;
  /** `sessions`: the session ids that may receive it; deliver with deliverToWindow (main/backend/relay.ts) */
  onEvent?(event: string, payload: unknown, sessions: string[]): void;
  onStatus?(status: BackendStatus): void;
  onProgress?(message: string, fraction?: number): void;
  onSecret?(op: SecretOp, value: string): string | Promise<string>;
}

export class BackendSupervisor {
  private child: BackendChild | undefined;
  private client: RelayClient | undefined;
  private restarts = 0;
  private stopping = false;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private current: BackendStatus = { state: 'stopped', restarts: 0 };
  /** increases with every process started; a session belongs to one generation */
  generation = 0;

  constructor(private opts: SupervisorOptions) {}

  get status(): BackendStatus {
    return this.current;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the backend; resolves when it is ready, rejects when the first start fails (no restart then). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => this.launch({ resolve, reject }));
  }

  call(name: string, input: unknown, sessionId?: string): Promise<Envelope<unknown>> {
    if (this.current.state !== 'ready' || !this.client) return Promise.resolve(this.notReady());
    return this.client.call(name, input, sessionId);
  }

  file(path: string, sessionId?: string): Promise<Envelope<FileBody>> {
    if (this.current.state !== 'ready' || !this.client) return Promise.resolve(this.notReady());
    return this.client.file(path, sessionId);
  }

  dropSession(sessionId: string | undefined): void {
    if (this.current.state === 'ready') this.client?.dropSession(sessionId);
  }

  /** Asks the backend to stop cleanly; kills it after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    const child = this.child;
    const client = this.client;
    if (!child) return this.setStatus({ state: 'stopped', restarts: this.restarts });
    const exited = new Promise<void>((r) => child.onExit(() => r()));
    client?.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    if (timer) clearTimeout(timer);
    if (this.child === child) child.kill();
    await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 2000))]);
  }

  private notReady(): Envelope<never> {
    const what = { starting: 'is starting', restarting: 'is restarting', failed: 'stopped and could not be restarted', stopped: 'is stopped', ready: '' }[this.current.state];
    return { ok: false, error: { kind: 'unavailable', message: `the station's backend ${what}` } };
  }

  private setStatus(s: BackendStatus): void {
    this.current = s;
    this.opts.onStatus?.(s);
  }

  private launch(first?: { resolve(): void; reject(e: Error): void }): void {
    if (this.stopping) return;
    this.generation++;
    if (first) this.setStatus({ state: 'starting', restarts: this.restarts }); // a restart said 'restarting' already
    let ready = false;
    let fatal: string | undefined;
    let child: BackendChild;
    try {
      child = this.opts.spawn();
    } catch (e) {
      if (first) return first.reject(e as Error);
      return this.died(`could not start: ${(e as Error).message}`);
    }
    const client = new RelayClient(child.port, {
      timeoutMs: this.opts.timeoutMs,
      onEvent: (event, payload, sessions) => this.opts.onEvent?.(event, payload, sessions),
      onProgress: (m, f) => this.opts.onProgress?.(m, f),
      onSecret: this.opts.onSecret,
      onFatal: (m) => (fatal = m),
      onReady: () => {
        ready = true;
        this.setStatus({ state: 'ready', restarts: this.restarts });
        if (this.stableTimer) clearTimeout(this.stableTimer);
        this.stableTimer = setTimeout(() => (this.restarts = 0), this.opts.stableMs ?? 60_000);
        this.stableTimer.unref?.();
        first?.resolve();
      },
    });
    this.child = child;
    this.client = client;
    child.onExit((code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.client = undefined;
      if (this.stableTimer) clearTimeout(this.stableTimer);
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (this.stopping) {
        client.fail('unavailable', 'the station is shutting down');
        // a stop during the first boot settles start() too (the app quit while the splash was up)
        if (first && !ready) first.reject(new Error('the station was stopped before its backend was ready'));
        return this.setStatus({ state: 'stopped', restarts: this.restarts });
      }
      client.fail('unavailable', `the station's backend stopped (${how}); it is being restarted`);
      if (first && !ready) return first.reject(new Error(fatal ?? `the backend stopped before it was ready (${how})`));
      this.died(fatal ? `${fatal} (${how})` : how);
    });
  }

  private died(why: string): void {
    const max = this.opts.maxRestarts ?? 5;
    if (this.restarts >= max) return this.setStatus({ state: 'failed', restarts: this.restarts, message: why });
    this.restarts++;
    this.setStatus({ state: 'restarting', restarts: this.restarts, message: why });
    const wait = this.opts.backoffMs ? this.opts.backoffMs(this.restarts) : Math.min(500 * 2 ** (this.restarts - 1), 15_000);
    this.restartTimer = setTimeout(() => this.launch(), wait);
  }
}

/** A Node child process (fork with `serialization: 'advanced'`) as a BackendChild: the tests' stand-in for utilityProcess. */
export function nodeBackendChild(cp: ChildProcess): BackendChild {
  return {
    port: nodeChannelPort<FromBackend, ToBackend>(cp),
    onExit: (fn) => {
      if (cp.exitCode !== null || cp.signalCode !== null) fn(cp.exitCode, cp.signalCode);
      else cp.once('exit', (code, signal) => fn(code, signal));
    },
    kill: () => void cp.kill('SIGKILL'),
    pid: cp.pid,
  };
}
