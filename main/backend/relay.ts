/**
 * The relay protocol between a shell and the backend process: Electron main ↔ the utilityProcess (MessagePort:
 * `child.postMessage` / `process.parentPort`), and in tests a parent ↔ a Node child (`fork` with the 'advanced'
 * serialization, i.e. the same structured clone). Messages are plain objects; binary parts (uploads, files) travel
 * as Uint8Array, never as base64. Both sides import this file: it must stay free of electron, pg, sharp and onnx.
 *
 *   shell → backend   call {id, name, input, sessionId} · file {id, path, sessionId} · drop-session · secret-reply · stop
 *   backend → shell   result {id, envelope} · event {event, payload, sessions} · progress · ready · fatal · secret {id, op, value}
 *
 * An event names the sessions that may receive it (main/api/audience.ts); the shell delivers it only to windows
 * holding one of them (deliverToWindow).
 */
import type { Envelope, ErrorKind } from '../api/kit';
import type { ApiEvents } from '../api/events';

export type ToBackend =
  | { t: 'call'; id: number; name: string; input: unknown; sessionId?: string }
  | { t: 'file'; id: number; path: string; sessionId?: string }
  | { t: 'drop-session'; sessionId: string }
  | { t: 'secret-reply'; id: number; value?: string; error?: string }
  | { t: 'stop' };

export type FromBackend =
  | { t: 'result'; id: number; envelope: Envelope<unknown> }
  | { t: 'event'; event: string; payload: unknown; sessions: string[] }
  | { t: 'progress'; message: string; fraction?: number }
  | { t: 'ready'; pid: number; home: string }
  | { t: 'fatal'; message: string }
  | { t: 'secret'; id: number; op: SecretOp; value: string };

export type SecretOp = 'encrypt' | 'decrypt';

/** A stored file as bytes (the `linedeck://file/…` protocol and the host's `GET /api/file/…`). */
export interface FileBody {
  bytes: Uint8Array;
  mime: string;
  size: number;
}

/**
 * A URL path's segments percent-decoded, or null when the encoding is malformed or decodes to a NUL or another
 * control character (answered 400, never thrown).
 */
export function decodeUrlPath(pathname: string): string | null {
  try {
    const decoded = pathname.split('/').map(decodeURIComponent).join('/');
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f\u007f]/.test(decoded) ? null : decoded;
  } catch {
    return null;
  }
}

/** The HTTP status of an envelope (the host's calls and files, Electron's linedeck:// protocol): the error kind's. */
export function envelopeStatus(env: Envelope<unknown>): number {
  if (env.ok) return 200;
  const byKind: Record<ErrorKind, number> = {
    validation: 400,
    unauthenticated: 401,
    forbidden: 403,
    not_found: 404,
    conflict: 409,
    // the caller went away (nginx's "client closed request")
    cancelled: 499,
    unavailable: 503,
    timeout: 504,
    internal: 500,
  };
  return byKind[env.error.kind] ?? 500;
}
export const fileStatus = envelopeStatus;

export type { BackendStatus } from '../api/events';
export const BACKEND_STATUS_EVENT = 'backend.status' satisfies keyof ApiEvents;

/**
 * Whether a window gets an event (issue #17 item 8): the shell's own `backend.status` goes to every window; a
 * backend event only to a window whose session (`windowSession`, undefined when logged out) is one of the event's
 * `sessions` (the live sessions whose role may see it). A logged-out window gets nothing from the backend.
 */
export function deliverToWindow(event: string, sessions: readonly string[] | undefined, windowSession: string | undefined): boolean {
  if (event === BACKEND_STATUS_EVENT) return true;
  return windowSession !== undefined && Array.isArray(sessions) && sessions.includes(windowSession);
}

/** One end of the relay: post a message, listen to messages. */
export interface RelayPort<In, Out> {
  post(msg: Out): void;
  onMessage(fn: (msg: In) => void): () => void;
}

/** Duck types of the transports, so this file needs neither electron nor child_process at run time. */
interface ParentPortLike {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): unknown;
  off?(event: 'message', fn: (e: { data: unknown }) => void): unknown;
}
interface NodeChildLike {
  send?(msg: unknown): boolean;
  on(event: 'message', fn: (msg: unknown) => void): unknown;
  off(event: 'message', fn: (msg: unknown) => void): unknown;
}

/**
 * The backend's end, inside its own process: Electron's `process.parentPort` in a utilityProcess, or Node's IPC
 * channel (`process.send`) in a forked child. Undefined when the process has neither (started by hand).
 */
export function backendSidePort(proc: NodeJS.Process = process): RelayPort<ToBackend, FromBackend> | undefined {
  const parentPort = (proc as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      post: (msg) => parentPort.postMessage(msg),
      onMessage: (fn) => {
        const l = (e: { data: unknown }) => fn(e.data as ToBackend);
        parentPort.on('message', l);
        return () => parentPort.off?.('message', l);
      },
    };
  }
  if (typeof proc.send === 'function') return nodeChannelPort<ToBackend, FromBackend>(proc as unknown as NodeChildLike);
  return undefined;
}

/** A Node IPC channel as a port: the child's `process`, or the parent's ChildProcess (fork with serialization 'advanced'). */
export function nodeChannelPort<In, Out>(ch: NodeChildLike): RelayPort<In, Out> {
  return {
    post: (msg) => {
      // a channel that closed (the other side died) drops the message; the exit handling fails what waits
      try {
        ch.send?.(msg);
      } catch {
        /* channel closed */
      }
    },
    onMessage: (fn) => {
      const l = (m: unknown) => fn(m as In);
      ch.on('message', l);
      return () => ch.off('message', l);
    },
  };
}

export interface RelayClientOptions {
  /** a call that gets no reply in this time answers `timeout` (default 15 min: bank builds run long; a hang must not wait forever) */
  timeoutMs?: number;
  /** `sessions`: the session ids that may receive it (deliverToWindow) */
  onEvent?(event: string, payload: unknown, sessions: string[]): void;
  /** the boot's progress: what it does, and how far (0…1) when known */
  onProgress?(message: string, fraction?: number): void;
  onReady?(info: { pid: number; home: string }): void;
  onFatal?(message: string): void;
  /** the shell's secrets codec (Electron: safeStorage); without it secret requests are refused */
  onSecret?(op: SecretOp, value: string): string | Promise<string>;
}

type Pending = { resolve(env: Envelope<unknown>): void; timer: ReturnType<typeof setTimeout> | undefined };

/** The shell's end: numbered requests, replies matched by id, every pending call failed when the process dies. */
export class RelayClient {
  private next = 1;
  private pending = new Map<number, Pending>();
  private off: () => void;
  private closed = false;

  constructor(
    private port: RelayPort<FromBackend, ToBackend>,
    private opts: RelayClientOptions = {},
  ) {
    this.off = port.onMessage((m) => this.receive(m));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call(name: string, input: unknown, sessionId?: string): Promise<Envelope<unknown>> {
    return this.request((id) => ({ t: 'call', id, name, input, sessionId }));
  }

  file(path: string, sessionId?: string): Promise<Envelope<FileBody>> {
    return this.request((id) => ({ t: 'file', id, path, sessionId })) as Promise<Envelope<FileBody>>;
  }

  dropSession(sessionId: string | undefined): void {
    if (sessionId && !this.closed) this.port.post({ t: 'drop-session', sessionId });
  }

  stop(): void {
    if (!this.closed) this.port.post({ t: 'stop' });
  }

  /** Answers every waiting call with `kind` and refuses new ones (the process died or is being replaced). */
  fail(kind: ErrorKind, message: string): void {
    this.closed = true;
    this.off();
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      if (p.timer) clearTimeout(p.timer);
      p.resolve({ ok: false, error: { kind, message } });
    }
  }

  private request(build: (id: number) => ToBackend): Promise<Envelope<unknown>> {
    if (this.closed) return Promise.resolve({ ok: false, error: { kind: 'unavailable', message: 'the backend is not running' } });
    const id = this.next++;
    return new Promise((resolve) => {
      const ms = this.opts.timeoutMs ?? 15 * 60_000;
      const timer =
        ms > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              resolve({ ok: false, error: { kind: 'timeout', message: `the backend did not answer in ${Math.round(ms / 1000)} s` } });
            }, ms)
          : undefined;
      timer?.unref?.();
      this.pending.set(id, { resolve, timer });
      try {
        this.port.post(build(id));
      } catch (e) {
        this.pending.delete(id);
        if (timer) clearTimeout(timer);
        // e.g. a value that cannot be cloned (a function in the input)
        resolve({ ok: false, error: { kind: 'validation', message: `cannot send this input: ${(e as Error).message}` } });
      }
    });
  }

  private receive(m: FromBackend): void {
    if (!m || typeof m !== 'object') return;
    switch (m.t) {
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (p.timer) clearTimeout(p.timer);
        p.resolve(m.envelope);
        return;
      }
      case 'event':
        this.opts.onEvent?.(m.event, m.payload, Array.isArray(m.sessions) ? m.sessions : []);
        return;
      case 'progress':
        this.opts.onProgress?.(m.message, typeof m.fraction === 'number' && Number.isFinite(m.fraction) ? Math.min(1, Math.max(0, m.fraction)) : undefined);
        return;
      case 'ready':
        this.opts.onReady?.({ pid: m.pid, home: m.home });
        return;
      case 'fatal':
        this.opts.onFatal?.(m.message);
        return;
      case 'secret': {
        const codec = this.opts.onSecret;
        Promise.resolve()
          .then(() => {
            if (!codec) throw new Error('this shell has no secrets codec');
            return codec(m.op, m.value);
          })
          .then(
            (value) => this.port.post({ t: 'secret-reply', id: m.id, value }),
            (e) => this.port.post({ t: 'secret-reply', id: m.id, error: (e as Error)?.message ?? String(e) }),
          );
        return;
      }
    }
  }
}
