/**
 * The renderer's only door to main: `call(name, input)` → Envelope, `onEvent(name, fn)`, and `fileUrl(path)` for
 * stored pictures.
 * In Electron the preload bridge (window.linedeck) carries them over IPC (structured clone: pictures go as
 * Uint8Array) and pictures come from `linedeck://file/…`; in a plain browser (Playwright, development) they go to
 * the loopback browser host with its per-run token (a call with bytes in it as multipart/form-data) and pictures
 * come from its `/api/file/…`. Types come from the contract; no runtime code of main/ is imported here.
 */
import type { Contract, ProcedureName } from '../../../main/api/contract';
import type { Envelope, InputOf, OutputOf, ApiErrorBody } from '../../../main/api/kit';
import type { ApiEvents, EventName } from '../../../main/api/events';

export interface Bridge {
  call(name: string, input: unknown): Promise<Envelope<unknown>>;
  on(handler: (event: string, payload: unknown) => void): () => void;
  /** the URL of a stored picture or artifact (path relative to the image store), for <img src> */
  fileUrl(path: string): string;
  transport: 'ipc' | 'http';
}

declare global {
  interface Window {
    linedeck?: {
      call(name: string, input: unknown): Promise<Envelope<unknown>>;
      onEvent(handler: (event: string, payload: unknown) => void): () => void;
      fileUrl(path: string): string;
      platform: string;
    };
  }
}

const isBinary = (v: unknown): v is Uint8Array | Blob => v instanceof Uint8Array || (typeof Blob !== 'undefined' && v instanceof Blob);

/**
 * A call's input with its binary values (Uint8Array, Blob) taken out as form parts: the host reads the field
 * `input` (JSON, each binary value replaced by `{"$bin": "<part>"}`) and puts the parts back as bytes.
 * Undefined when the input holds no binary value (it goes as JSON).
 */
export function toFormData(input: unknown): FormData | undefined {
  const parts: [string, Blob][] = [];
  const walk = (v: unknown): unknown => {
    if (isBinary(v)) {
      const name = `b${parts.length}`;
      parts.push([name, v instanceof Blob ? v : new Blob([v as Uint8Array<ArrayBuffer>])]);
      return { $bin: name };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const json = walk(input ?? {});
  if (!parts.length) return undefined;
  const form = new FormData();
  form.append('input', JSON.stringify(json));
  for (const [name, blob] of parts) form.append(name, blob, name);
  return form;
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

const SESSION_KEY = 'linedeck.session';
const TOKEN_KEY = 'linedeck.hostToken';

function httpBridge(): Bridge {
  const params = new URLSearchParams(window.location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    // keep the token out of the address bar and history
    params.delete('token');
    const q = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${q ? `?${q}` : ''}${window.location.hash}`);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const listeners = new Set<(event: string, payload: unknown) => void>();
  let ws: WebSocket | undefined;
  let retry = 500;
  // the host sends events only to the live session a socket names (and only those its role may see): name this
  // tab's session when the socket opens and after every login, setup and logout
  const sendSession = () => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ session: sessionStorage.getItem(SESSION_KEY) || null }));
  };
  const connect = () => {
    const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${proto}://${window.location.host}/api/events?token=${encodeURIComponent(token)}`);
    ws.onopen = () => {
      retry = 500;
      sendSession();
      for (const l of listeners) l('transport.status', { connected: true });
    };
    ws.onmessage = (m) => {
      try {
        const { event, payload } = JSON.parse(String(m.data));
        for (const l of listeners) l(event, payload);
      } catch {
        /* ignore malformed */
      }
    };
    ws.onclose = () => {
      for (const l of listeners) l('transport.status', { connected: false });
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    };
  };
  connect();
  return {
    transport: 'http',
    async call(name, input) {
      let res: Response;
      try {
        // pictures as bytes: multipart (the browser sets its content type with the boundary), else JSON
        const form = toFormData(input);
        res = await fetch(`/api/call/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: {
            ...(form ? {} : { 'content-type': 'application/json' }),
            authorization: `Bearer ${token}`,
            'x-linedeck-session': sessionStorage.getItem(SESSION_KEY) ?? '',
          },
          body: form ?? JSON.stringify(input ?? {}),
        });
      } catch (e) {
        return { ok: false, error: { kind: 'unavailable', message: `the console host is not reachable (${(e as Error).message})` } };
      }
      const env = (await res.json().catch(() => null)) as Envelope<unknown> | null;
      if (!env) return { ok: false, error: { kind: 'internal', message: `HTTP ${res.status}` } };
      // the HTTP transport keeps the session id in this tab; IPC keeps it in main
      if (env.ok && (name === 'auth.login' || name === 'auth.setup')) {
        sessionStorage.setItem(SESSION_KEY, (env.value as { sessionId: string }).sessionId);
        sendSession();
      }
      if (name === 'auth.logout') {
        sessionStorage.removeItem(SESSION_KEY);
        sendSession();
      }
      return env;
    },
    on(handler) {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
    // an <img> sends no headers: the host takes the token and this tab's session as query parameters
    fileUrl: (path) => `/api/file/${encodePath(path)}?${new URLSearchParams({ token, session: sessionStorage.getItem(SESSION_KEY) ?? '' })}`,
  };
}

function ipcBridge(): Bridge {
  const api = window.linedeck!;
  return { transport: 'ipc', call: (n, i) => api.call(n, i), on: (h) => api.onEvent(h), fileUrl: (p) => api.fileUrl(p) };
}

let bridge: Bridge | undefined;
export function getBridge(): Bridge {
  bridge ??= typeof window !== 'undefined' && window.linedeck ? ipcBridge() : httpBridge();
  return bridge;
}
/** tests inject a bridge (e.g. an in-process dispatcher) */
export function setBridge(b: Bridge): void {
  bridge = b;
}

export class CallError extends Error {
  constructor(readonly error: ApiErrorBody) {
    super(error.message);
    this.name = 'CallError';
  }
  get kind() {
    return this.error.kind;
  }
}

const unauthListeners = new Set<() => void>();
export function onUnauthenticated(fn: () => void): () => void {
  unauthListeners.add(fn);
  return () => unauthListeners.delete(fn);
}

/** main's `details.reason` of a refusal, if any. */
const reasonOf = (e: ApiErrorBody) => (e.details as { reason?: unknown } | undefined)?.reason;

let reauthHandler: (() => Promise<boolean>) | undefined;
let reauthPending: Promise<boolean> | undefined;
/**
 * Who asks for the password again when main answers an admin change with `unauthenticated`/`reauth` (the shell's
 * dialog): resolves true once auth.reauth succeeded (the call is then sent again), false when the person cancels.
 */
export function setReauthHandler(fn: () => Promise<boolean>): () => void {
  reauthHandler = fn;
  return () => {
    if (reauthHandler === fn) reauthHandler = undefined;
  };
}
function askReauth(): Promise<boolean> {
  if (!reauthHandler) return Promise.resolve(false);
  // several refused calls at once share one dialog
  reauthPending ??= reauthHandler().finally(() => {
    reauthPending = undefined;
  });
  return reauthPending;
}

/** Calls a procedure; resolves with its value or throws CallError with the envelope's error. */
export async function call<N extends ProcedureName>(name: N, input: InputOf<Contract[N]>): Promise<OutputOf<Contract[N]>> {
  let env = await getBridge().call(name, input);
  // an admin change without a recent password: ask for it, then send the call again (once)
  if (!env.ok && env.error.kind === 'unauthenticated' && reasonOf(env.error) === 'reauth' && (await askReauth())) env = await getBridge().call(name, input);
  if (env.ok) return env.value as OutputOf<Contract[N]>;
  if (env.error.kind === 'unauthenticated' && name !== 'auth.login' && reasonOf(env.error) !== 'reauth') for (const f of unauthListeners) f();
  throw new CallError(env.error);
}

export function onEvent<E extends EventName>(name: E, fn: (payload: ApiEvents[E]) => void): () => void {
  return getBridge().on((event, payload) => {
    if (event === name) fn(payload as ApiEvents[E]);
  });
}
/** The URL of a stored picture or artifact (path relative to the image store). */
export function fileUrl(path: string): string {
  return getBridge().fileUrl(path);
}

export function onTransport(fn: (connected: boolean) => void): () => void {
  return getBridge().on((event, payload) => {
    if (event === 'transport.status') fn((payload as { connected: boolean }).connected);
  });
}
